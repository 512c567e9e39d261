//! What a credential says about its holder, derived from the checked identity.
//!
//! Every claim is selectively disclosable: the holder shows a service only what it asks
//! for. Age is issued as predicates (`age_over_18: true`), so a service that needs "adult"
//! never learns the birth date; region as province and prefecture codes, never the county
//! or address. Name and birth date are in every credential but are needed by no default
//! request.

use realdid_core::resident_id::ResidentId;
use serde_json::{Map, Value};
use time::Date;

/// The age thresholds issued as `age_over_<n>` predicates.
pub const AGE_PREDICATES: [u8; 4] = [14, 16, 18, 60];
/// The assurance level of a check by the identity authority with liveness evidence.
pub const ASSURANCE_LEVEL: &str = "high";

/// Every claim name this issuer puts in a credential, in order.
pub fn claim_names() -> Vec<String> {
    let mut names = vec![
        "real_name_verified".to_owned(),
        "assurance_level".to_owned(),
    ];
    names.extend(AGE_PREDICATES.iter().map(|n| format!("age_over_{n}")));
    names.extend(
        ["province", "city", "name", "birthdate"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    names
}

/// Whole years from `birth` to `today`.
pub fn age_on(birth: Date, today: Date) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

/// The claims of one person's credentials, as of `today`.
pub fn identity_claims(
    full_name: &str,
    resident_id: &ResidentId,
    today: Date,
) -> Map<String, Value> {
    let birth = resident_id.birth_date();
    let age = age_on(birth, today);
    let region = resident_id.region();
    let mut claims = Map::new();
    claims.insert("real_name_verified".into(), Value::Bool(true));
    claims.insert("assurance_level".into(), ASSURANCE_LEVEL.into());
    for n in AGE_PREDICATES {
        claims.insert(format!("age_over_{n}"), Value::Bool(age >= i32::from(n)));
    }
    let code = region.get();
    claims.insert(
        "province".into(),
        format!("{:06}", code / 10_000 * 10_000).into(),
    );
    claims.insert("city".into(), format!("{:06}", code / 100 * 100).into());
    claims.insert("name".into(), full_name.into());
    claims.insert(
        "birthdate".into(),
        format!(
            "{:04}-{:02}-{:02}",
            birth.year(),
            birth.month() as u8,
            birth.day()
        )
        .into(),
    );
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn age_counts_whole_years_only_after_the_birthday() {
        let birth = date!(2008 - 06 - 15);
        assert_eq!(age_on(birth, date!(2026 - 06 - 14)), 17);
        assert_eq!(age_on(birth, date!(2026 - 06 - 15)), 18);
        assert_eq!(age_on(birth, date!(2027 - 01 - 01)), 18);
    }

    #[test]
    fn claims_follow_the_resident_id() -> Result<(), Box<dyn std::error::Error>> {
        // 110105 (Beijing Chaoyang), born 2009-06-15: 17 on the day.
        let body = "11010520090615001";
        let first17: &[u8; 17] = body.as_bytes().try_into()?;
        let check = realdid_core::resident_id::check_character(first17).ok_or("not digits")?;
        let id = ResidentId::parse(&format!("{body}{check}"), date!(2026 - 11 - 21))?;
        let claims = identity_claims("王小明", &id, date!(2026 - 11 - 21));
        assert_eq!(claims["age_over_16"], Value::Bool(true));
        assert_eq!(claims["age_over_18"], Value::Bool(false));
        assert_eq!(claims["province"], "110000");
        assert_eq!(claims["city"], "110100");
        assert_eq!(claims["birthdate"], "2009-06-15");
        let names: Vec<String> = claims.keys().cloned().collect();
        assert_eq!(names, claim_names());
        Ok(())
    }
}
