//! `realdid id`: resident identity numbers.

use clap::Subcommand;
use realdid_core::resident_id::{ResidentId, ResidentIdGenerator};

use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum IdCommand {
    /// Checks a resident identity number: region, birth date, check character.
    Check {
        /// The 18-character number.
        number: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Prints valid synthetic numbers with synthetic names (test data; never real people).
    Generate {
        /// How many.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Seed of the deterministic generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: IdCommand) -> Result<(), CliError> {
    let today = time::OffsetDateTime::now_utc().date();
    match cmd {
        IdCommand::Check { number, json } => {
            let id = ResidentId::parse(number.trim(), today)?;
            let region = id.region();
            let place = region
                .known()
                .map(|k| {
                    format!(
                        " ({} {}, {})",
                        k.city_en,
                        k.county_en,
                        k.province().name_en()
                    )
                })
                .unwrap_or_default();
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "valid": true,
                        "region": region.to_string(),
                        "place": region.known().map(|k| format!(
                            "{} {}, {}",
                            k.city_en,
                            k.county_en,
                            k.province().name_en()
                        )),
                        "birth_date": id.birth_date().to_string(),
                        "sex": format!("{:?}", id.sex()),
                        "check": id.check_character().to_string(),
                    })
                );
                return Ok(());
            }
            println!("valid resident identity number");
            println!("  region      {region}{place}");
            println!("  birth date  {}", id.birth_date());
            println!("  sex         {:?}", id.sex());
            println!("  check       {}", id.check_character());
            Ok(())
        }
        IdCommand::Generate { count, seed, json } => {
            if count > 1_000_000 {
                return Err(CliError::Usage("--count is at most 1000000".into()));
            }
            let mut generator = ResidentIdGenerator::new(seed);
            for _ in 0..count {
                let id = generator.next_id();
                let name = generator.next_name();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"resident_id": id.as_str(), "name": name.to_string()})
                    );
                } else {
                    println!("{}\t{}", id.as_str(), name);
                }
            }
            Ok(())
        }
    }
}
