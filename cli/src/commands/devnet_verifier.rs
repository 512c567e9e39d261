//! The devnet's verifier: one replica for two demo providers ("the bank" and "the shop",
//! each with its bearer token in `<devnet>/verifier/<id>-token` and its own DID on the
//! devnet chain, keys in `<id>-keys.json`) and one operator (its token in
//! `<devnet>/verifier/operator-token`, for the console), its requests in the local Redis when one
//! answers on 127.0.0.1:6379 (scripts/setup.sh starts one), else in process. Made once
//! under the devnet directory and reused.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use realdid_core::did::RealDid;
use realdid_issuer::files::write_private;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry::devnet::{DevnetLayout, free_loopback_addresses};
use realdid_verifier::config::VerifierConfig;
use sha2::{Digest as _, Sha256};

use crate::error::CliError;
use crate::supervisor::Supervisor;

/// The file, in the devnet's verifier directory, holding its operator's bearer token.
pub const OPERATOR_TOKEN_FILE: &str = "operator-token";

/// Where the devnet's verifier is.
#[derive(Debug, Clone)]
pub struct VerifierSide {
    /// Its configuration.
    pub config: VerifierConfig,
    /// Its configuration file.
    pub config_path: PathBuf,
    /// The bank's bearer token.
    pub token: String,
    /// The shop's bearer token.
    pub shop_token: String,
    /// The bank's DID, which signs its requests.
    pub bank: RealDid,
    /// The shop's DID.
    pub shop: RealDid,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn random_hex(bytes: usize) -> Result<String, CliError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| CliError::Refused(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// Makes (once) the verifier directory, registers the providers' DIDs on the devnet chain
/// (once), and starts the verifier under `supervisor`.
pub async fn start(
    layout: &DevnetLayout,
    supervisor: &mut Supervisor,
) -> Result<VerifierSide, CliError> {
    let dir = layout.dir().join("verifier");
    let config_path = dir.join("verifier.toml");
    let token_path = dir.join("bank-token");
    if !config_path.exists() {
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        write_private(&dir.join("verifier-secret"), &random_hex(32)?)?;
        let token = random_hex(24)?;
        write_private(&token_path, &token)?;
        let shop_token = random_hex(24)?;
        write_private(&dir.join("shop-token"), &shop_token)?;
        let (operator_token, operator) = super::verifier_setup::new_operator("operator", None)?;
        write_private(
            &dir.join(OPERATOR_TOKEN_FILE),
            operator_token.as_deref().unwrap_or_default(),
        )?;
        let [listen, metrics] = free_loopback_addresses().map_err(io(Path::new("127.0.0.1")))?;
        let redis = if std::net::TcpStream::connect_timeout(
            &"127.0.0.1:6379"
                .parse()
                .map_err(|_| CliError::Usage("address".into()))?,
            Duration::from_millis(300),
        )
        .is_ok()
        {
            "redis_url = \"redis://127.0.0.1:6379\"\nredis_prefix = \"realdid:devnet:verifier:\"\n"
        } else {
            ""
        };
        let registry = layout
            .nodes()
            .iter()
            .map(|n| format!("\"{}\"", n.grpc_endpoint()))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            "grpc_listen = \"{listen}\"\nmetrics_listen = \"{metrics}\"\nrequest_uri_base = \"realdid://{listen}/requests\"\ngenesis = \"{}\"\nregistry = [{registry}]\n{redis}secret_file = \"verifier-secret\"\naccepted_types = [\"{}\"]\n\n[[providers]]\nid = \"bank\"\ntoken_sha256 = \"{}\"\nkeys_file = \"bank-keys.json\"\n\n[[providers]]\nid = \"shop\"\ntoken_sha256 = \"{}\"\nkeys_file = \"shop-keys.json\"\n{operator}\n# Short, so that the demo shows a suspension reaching the verifier.\n[cache]\ndid_ttl_seconds = 5\naccreditation_ttl_seconds = 5\nstatus_ttl_seconds = 5\n",
            std::path::absolute(layout.genesis_path())
                .map_err(io(layout.genesis_path()))?
                .display(),
            realdid_issuer::provision::IDENTITY_VCT,
            hex::encode(Sha256::digest(token.as_bytes())),
            hex::encode(Sha256::digest(shop_token.as_bytes())),
        );
        // Citizens' wallets and providers call it: TLS, no client certificate.
        let tls = layout.service_tls("verifier", false);
        let text = if tls == Default::default() {
            text
        } else {
            let table = toml::to_string(&tls)
                .map_err(|e| CliError::Usage(format!("the verifier's TLS settings: {e}")))?;
            format!("{text}\n[tls]\n{table}")
        };
        std::fs::write(&config_path, text).map_err(io(&config_path))?;
    }
    let config = VerifierConfig::load(&config_path)?;
    let [bank, shop]: [RealDid; 2] = super::verifier::ensure_providers(&config)
        .await?
        .try_into()
        .map_err(|_| {
            CliError::Usage(format!(
                "{}: configure the bank and the shop only",
                config_path.display()
            ))
        })?;
    let token = std::fs::read_to_string(&token_path).map_err(io(&token_path))?;
    let shop_path = dir.join("shop-token");
    let shop_token = std::fs::read_to_string(&shop_path).map_err(io(&shop_path))?;
    let index = supervisor.add(
        "verifier",
        vec![
            "verifier".into(),
            "--config".into(),
            config_path.clone().into(),
        ],
        dir.join("verifier.log"),
    );
    supervisor.start(index)?;
    Ok(VerifierSide {
        config,
        config_path,
        token: token.trim().to_owned(),
        shop_token: shop_token.trim().to_owned(),
        bank,
        shop,
    })
}

/// Waits until the devnet's verifier answers.
pub async fn wait_ready(layout: &DevnetLayout, side: &VerifierSide) -> Result<(), CliError> {
    let endpoint = endpoint(layout, side);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut waiting = super::Waiting::new("the verifier");
    loop {
        waiting.tick();
        if let Ok(channel) = layout.client_tls().connect(&endpoint).await
            && VerifierClient::new(channel)
                .get_request(pb::GetRequestRequest {
                    request_id: "probe".into(),
                })
                .await
                .is_err_and(|s| s.code() == tonic::Code::NotFound)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CliError::Refused(format!(
                "the verifier did not answer on {endpoint} within 60 s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The devnet verifier's gRPC endpoint.
pub fn endpoint(layout: &DevnetLayout, side: &VerifierSide) -> String {
    format!("{}://{}", layout.scheme(), side.config.grpc_listen)
}
