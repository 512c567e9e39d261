//! A real verifier for tests: the Verifier gRPC service on a loopback socket, reading the
//! devnet's registry with proofs, its requests in a real Redis (or in process), and the
//! wallet side of a presentation.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use realdid_core::clock::{Clock, ShiftedClock};
use realdid_core::did::{OrgKeys, RealDid};
use realdid_core::jws::KeySigner;
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::sd_jwt::{ClaimPath, KeyBindingParams, SdJwt};
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use realdid_verifier::provider::Provider;
use realdid_verifier::service::{VerifierService, serve};
use realdid_verifier::store::AnyStore;
use realdid_verifier::verify::chain::{CachedChain, ChainCacheConfig};
use realdid_verifier::verify::status::{HttpStatusSource, StatusChecker};
use realdid_verifier::verify::{CheckOptions, Checks};
use tokio::sync::oneshot;

use crate::chain::Devnet;

/// The bearer token of the test provider, a bank.
pub const PROVIDER_TOKEN: &str = "test-provider-token";
/// The bearer token of a second provider, a shop.
pub const SHOP_TOKEN: &str = "test-shop-token";
/// The bearer token of the test verifier's operator.
pub const OPERATOR_TOKEN: &str = "test-operator-token";

/// A provider of the test verifier: its bearer token and its DID's keys, the same in every
/// run (so that replicas and wallets agree on its DID).
#[derive(Debug, Clone, Copy)]
pub struct TestProvider {
    /// Its name.
    pub id: &'static str,
    /// Its bearer token.
    pub token: &'static str,
    seed: u8,
}

/// The bank.
pub const BANK: TestProvider = TestProvider {
    id: "bank",
    token: PROVIDER_TOKEN,
    seed: 1,
};
/// The shop.
pub const SHOP: TestProvider = TestProvider {
    id: "shop",
    token: SHOP_TOKEN,
    seed: 2,
};

impl TestProvider {
    /// Its DID's keys.
    pub fn keys(&self) -> OrgKeys {
        let key = |n: u8| {
            SigningKey::from_secret_bytes(Algorithm::EdDsa, &[self.seed.wrapping_mul(16) + n; 32])
                .expect("a seed is a key")
        };
        OrgKeys::from_keys(key(1), key(2))
    }

    /// Its DID: the `client_id` of its requests, the `aud` of presentations to it.
    pub fn did(&self) -> RealDid {
        self.keys().did().clone()
    }

    /// Its DID as text.
    pub fn audience(&self) -> String {
        self.did().to_string()
    }

    /// Puts its DID on `net`'s chain (once), so that wallets can check its requests.
    pub async fn register(&self, net: &Devnet) {
        let gateway = RegistryGateway::new(
            &net.endpoints(),
            LightClient::for_genesis(net.layout.genesis()),
        )
        .expect("gateway");
        gateway
            .ensure_created(
                "a provider's DID",
                &self
                    .keys()
                    .create_operation(gateway.chain_id())
                    .expect("create"),
            )
            .await
            .expect("the provider's DID is final");
    }
}

/// A running verifier replica.
#[derive(Debug)]
pub struct VerifierReplica {
    /// Its gRPC endpoint.
    pub endpoint: String,
    /// Its clock (the machine's, until a test moves it): moving it ages the replica's caches
    /// and requests without waiting.
    pub clock: ShiftedClock,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for VerifierReplica {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a verifier replica over `net`'s registry; requests in Redis at `redis_url` under
/// `prefix` (replicas with the same URL and prefix share them), or in process when `None`.
/// Caches live `cache_ttl`.
pub async fn start_verifier(
    net: &Devnet,
    redis_url: Option<&str>,
    prefix: &str,
    accepted_type: &str,
    cache_ttl: Duration,
) -> VerifierReplica {
    start_verifier_with(net, redis_url, prefix, accepted_type, cache_ttl, None).await
}

/// A replica served over `tls` (`https://127.0.0.1:…`, its certificate naming 127.0.0.1),
/// whose operators are `operators`, its requests in process.
pub async fn start_verifier_tls(
    net: &Devnet,
    accepted_type: &str,
    tls: realdid_proto::tls::ServerTls,
    operators: Vec<realdid_verifier::config::OperatorConfig>,
) -> VerifierReplica {
    start_verifier_with(
        net,
        None,
        "",
        accepted_type,
        Duration::from_secs(30),
        Some((tls, operators)),
    )
    .await
}

async fn start_verifier_with(
    net: &Devnet,
    redis_url: Option<&str>,
    prefix: &str,
    accepted_type: &str,
    cache_ttl: Duration,
    tls: Option<(
        realdid_proto::tls::ServerTls,
        Vec<realdid_verifier::config::OperatorConfig>,
    )>,
) -> VerifierReplica {
    let clock = ShiftedClock::new();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let light = LightClient::for_genesis(net.layout.genesis());
    let gateway = RegistryGateway::new(&net.endpoints(), light)
        .expect("gateway")
        .with_clock(shared.clone());
    let chain = CachedChain::new(
        gateway,
        ChainCacheConfig {
            did_ttl: cache_ttl,
            accreditation_ttl: cache_ttl,
            anchor_ttl: cache_ttl,
            capacity: 1000,
        },
    );
    let status = StatusChecker::new(
        HttpStatusSource::new(Duration::from_secs(3), &Default::default()).expect("status source"),
        cache_ttl,
        1000,
        shared.clone(),
    );
    let checks = Checks::new(chain, status, check_options(accepted_type));
    let store = AnyStore::from_config(redis_url, prefix, shared.clone(), &Default::default())
        .await
        .expect("store");
    let sha256 = |token: &str| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let service = Arc::new(VerifierService::new(
        store,
        checks,
        vec![
            Provider {
                id: BANK.id.into(),
                token_sha256: sha256(BANK.token),
                keys: BANK.keys(),
            },
            Provider {
                id: SHOP.id.into(),
                token_sha256: sha256(SHOP.token),
                keys: SHOP.keys(),
            },
        ],
        format!("realdid://{addr}/requests"),
        shared,
    ));
    let (stop, stopped) = oneshot::channel::<()>();
    let (server_tls, operators) = match tls {
        Some((tls, operators)) => (Some(tls), operators),
        None => (
            None,
            vec![realdid_verifier::config::OperatorConfig {
                id: "ops".into(),
                token_sha256: Some(sha256(OPERATOR_TOKEN)),
                cert_sha256: None,
            }],
        ),
    };
    let scheme = if server_tls.is_some() {
        "https"
    } else {
        "http"
    };
    tokio::spawn(async move {
        serve(
            service,
            operators,
            listener,
            server_tls.as_ref(),
            async move {
                let _ = stopped.await;
            },
        )
        .await
    });
    VerifierReplica {
        endpoint: format!("{scheme}://{addr}"),
        clock,
        stop: Some(stop),
    }
}

/// `message` with the test provider's bearer token.
pub fn authorized<T>(message: T) -> tonic::Request<T> {
    authorized_as(PROVIDER_TOKEN, message)
}

/// `message` with the bearer token `token`.
pub fn authorized_as<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII"),
    );
    request
}

/// One presentation at the verifier at `endpoint`, as the bank asks for it (the predicate
/// `real_name_verified`): `credential` presented by
/// the holder of `holder_key`; the verifier's verdict.
pub async fn present_once(
    endpoint: &str,
    credential: &str,
    holder_key: &SigningKey,
) -> pb::verify_presentation_response::Result {
    let mut verifier = VerifierClient::connect(endpoint.to_owned())
        .await
        .expect("the verifier answers");
    let asked = ask_as_bank(&mut verifier).await;
    let presentation = present(
        credential,
        &["real_name_verified"],
        holder_key,
        &asked.nonce,
        &BANK.audience(),
    );
    verifier
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: asked.request_id,
            presentation,
        }))
        .await
        .expect("a verdict")
        .into_inner()
        .result
        .expect("a result")
}

/// A request of the bank: the predicate `real_name_verified`.
pub async fn ask_as_bank(
    verifier: &mut VerifierClient<tonic::transport::Channel>,
) -> pb::CreatePresentationRequestResponse {
    verifier
        .create_presentation_request(authorized(pb::CreatePresentationRequestRequest {
            claims: vec![],
            predicates: vec!["real_name_verified".into()],
            purpose: "open an account".into(),
            expiry_seconds: 0,
            credential_types: vec![],
        }))
        .await
        .expect("a request")
        .into_inner()
}

/// The wallet's presentation of `credential`: the disclosures of `reveal`, bound by
/// `holder_key` to `nonce` and `audience`.
pub fn present(
    credential: &str,
    reveal: &[&str],
    holder_key: &SigningKey,
    nonce: &str,
    audience: &str,
) -> String {
    let sd_jwt = SdJwt::parse(credential).expect("credential parses");
    let paths: Vec<ClaimPath> = reveal.iter().map(|c| ClaimPath::root().key(*c)).collect();
    let now = crate::unix_s();
    sd_jwt
        .present(&paths)
        .expect("claims exist")
        .bind(
            &KeyBindingParams {
                nonce: nonce.to_owned(),
                audience: audience.to_owned(),
                issued_at: now,
            },
            &KeySigner::new(holder_key.clone()),
        )
        .expect("binds")
        .to_compact()
}

/// An SD-JWT implementation that is not realdid's, installed by scripts/setup.sh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The IETF reference implementation (PyPI `sd-jwt`).
    Python,
    /// The JavaScript SD-JWT VC library (npm `@sd-jwt/sd-jwt-vc`).
    JavaScript,
}

impl Reference {
    /// Both of them.
    pub const ALL: [Reference; 2] = [Reference::Python, Reference::JavaScript];

    /// The holder script and the program that runs it, from the variables setup.sh exports
    /// (or its default places).
    fn command(self) -> std::process::Command {
        let home = std::env::var("HOME").unwrap_or_default();
        let interop = concat!(env!("CARGO_MANIFEST_DIR"), "/interop");
        match self {
            Reference::Python => {
                let python = std::env::var("REALDID_SDJWT_PYTHON")
                    .unwrap_or_else(|_| format!("{home}/.cache/realdid/sdjwt-venv/bin/python"));
                let mut command = std::process::Command::new(python);
                command.arg(format!("{interop}/present_sd_jwt.py"));
                command
            }
            Reference::JavaScript => {
                let modules = std::env::var("REALDID_SDJWT_NODE_PATH")
                    .unwrap_or_else(|_| format!("{home}/.cache/realdid/sdjwt-js/node_modules"));
                let mut command = std::process::Command::new("node");
                command
                    .env("NODE_PATH", modules)
                    .arg(format!("{interop}/js/present_sd_jwt.cjs"));
                command
            }
        }
    }
}

/// The same presentation as [`present`], made by an independent implementation instead of
/// realdid's wallet code.
pub fn present_with_reference(
    implementation: Reference,
    credential: &str,
    reveal: &[&str],
    holder_key: &SigningKey,
    nonce: &str,
    audience: &str,
) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let credential_file = dir.path().join("credential");
    let key_file = dir.path().join("holder.jwk");
    std::fs::write(&credential_file, credential).expect("write");
    let jwk = realdid_core::keys::Jwk::from_signing_key(holder_key).expect("jwk");
    std::fs::write(&key_file, serde_json::to_string(&jwk).expect("json")).expect("write");
    let out = implementation
        .command()
        .arg(&credential_file)
        .arg(&key_file)
        .arg(nonce)
        .arg(audience)
        .args(reveal)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {implementation:?} (scripts/setup.sh installs it): {e}")
        });
    assert!(
        out.status.success(),
        "the {implementation:?} implementation could not present: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("ASCII")
        .trim()
        .to_owned()
}

/// The checks every test verifier makes: credentials of `vct`, a 60 s leeway, key bindings
/// up to 5 min old, 1 024 signatures remembered.
fn check_options(vct: &str) -> CheckOptions {
    CheckOptions {
        accepted_types: vec![vct.to_owned()],
        subject_secret: [42; 32],
        leeway_seconds: 60,
        key_binding_max_age: Duration::from_secs(300),
        remembered_signatures: 1024,
    }
}

/// A status source no test check asks: the credentials it is used with name no status
/// list.
#[derive(Debug, Clone, Copy)]
pub struct NoStatus;

impl realdid_verifier::verify::status::StatusSource for NoStatus {
    async fn fetch(&self, uri: &str) -> Result<String, String> {
        Err(format!("no status list at {uri} in this test"))
    }
}

/// The verifier's checks over `chain`, without a network: credentials of `vct` accepted,
/// a 60 s leeway, key bindings up to 5 min old, no status list and no remembered
/// signatures.
pub fn offline_checks<C: realdid_verifier::verify::chain::ChainView>(
    chain: C,
    vct: &str,
) -> Checks<C, NoStatus> {
    Checks::new(
        chain,
        StatusChecker::new(
            NoStatus,
            Duration::from_secs(5),
            16,
            realdid_core::clock::SystemClock::shared(),
        ),
        CheckOptions {
            remembered_signatures: 0,
            ..check_options(vct)
        },
    )
}

/// A request `request_id` as the verifier stores it: `claims` asked of `audience` with
/// `nonce`, made at `now_s` (Unix seconds) and open for 5 minutes.
pub fn stored_request(
    request_id: &str,
    nonce: &str,
    audience: &str,
    claims: &[&str],
    now_s: i64,
) -> realdid_verifier::store::StoredRequest {
    realdid_verifier::store::StoredRequest {
        request_id: request_id.into(),
        nonce: nonce.into(),
        audience: audience.into(),
        claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        predicates: vec![],
        credential_types: vec![],
        purpose: "test".into(),
        created_at_ms: now_s * 1000,
        expires_at_ms: (now_s + 300) * 1000,
        request_object: "a.b.c".into(),
    }
}
