//! A real registry network for tests: `realdid node` processes on loopback, real RocksDB
//! data dirs under a temporary directory, gRPC clients to each node.

use std::path::Path;
use std::time::{Duration, Instant};

use commonware_codec::Encode as _;
use realdid::supervisor::Supervisor;
use realdid_core::codec::{GovernanceAction, GovernanceTx, Transaction};
use realdid_core::did::{
    CreateOp, DidOperation, DidState, KeyId, Purposes, UpdateOp, VerificationKey, apply,
};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry::devnet::DevnetLayout;
use tonic::transport::Channel;

use crate::realdid_binary;

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Its files.
    pub layout: DevnetLayout,
    /// Its processes.
    pub supervisor: Supervisor,
}

impl Devnet {
    /// Generates and starts a devnet of `n` validators.
    pub fn start(n: usize) -> Self {
        Self::start_tuned(n, &realdid_registry::devnet::devnet_tuning())
    }

    /// [`Devnet::start`] with the nodes tuned by `tuning`.
    pub fn start_tuned(n: usize, tuning: &realdid_registry::config::Tuning) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), n, tuning)
    }

    /// [`Devnet::start_tuned`] in `dir`. The nodes are killed when the thread that calls this
    /// exits (see [`realdid::supervisor::supervised`]), if they have not been stopped before:
    /// a devnet that outlives the test starting it is started from
    /// [`crate::lasting::on_keeper`].
    pub fn start_in(
        dir: tempfile::TempDir,
        n: usize,
        tuning: &realdid_registry::config::Tuning,
    ) -> Self {
        let layout =
            realdid_registry::devnet::generate_tuned(&dir.path().join("devnet"), n, None, tuning)
                .expect("devnet generates");
        let supervisor = Supervisor::start_all(realdid_binary(), &layout).expect("nodes start");
        Self {
            dir,
            layout,
            supervisor,
        }
    }

    /// [`Devnet::start_tuned`], then waits until every node has finalized a block.
    pub async fn running(n: usize, tuning: &realdid_registry::config::Tuning) -> Self {
        let net = Self::start_tuned(n, tuning);
        for i in 0..n {
            net.wait_height(i, 1, Duration::from_secs(90)).await;
        }
        net
    }

    /// Every node's gRPC endpoint, node 0 first.
    pub fn endpoints(&self) -> Vec<String> {
        self.layout
            .nodes()
            .iter()
            .map(|n| n.grpc_endpoint())
            .collect()
    }

    /// Where node `i` logs, for failure messages.
    pub fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.layout.nodes()[i].log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A client of node `i`, retrying until it answers.
    pub async fn client(&self, i: usize) -> RegistryClient<Channel> {
        let endpoint = self.layout.nodes()[i].grpc_endpoint();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match RegistryClient::connect(endpoint.clone()).await {
                Ok(client) => return client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!(
                    "node {i} at {endpoint} never answered: {e}\n{}",
                    self.log_tail(i)
                ),
            }
        }
    }

    /// Waits until node `i` has finalized at least `height`; returns its status.
    pub async fn wait_height(
        &self,
        i: usize,
        height: u64,
        within: Duration,
    ) -> pb::GetChainStatusResponse {
        let deadline = Instant::now() + within;
        let mut client = self.client(i).await;
        loop {
            if let Ok(status) = client.get_chain_status(pb::GetChainStatusRequest {}).await {
                let status = status.into_inner();
                if status.height >= height {
                    return status;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {i} did not reach height {height} in {within:?}\n{}",
                self.log_tail(i)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The devnet's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A DID with its keys, as a holder keeps it.
#[derive(Debug)]
pub struct Holder {
    /// The signing key named `key-1`.
    pub key: SigningKey,
    /// The recovery key.
    pub recovery: SigningKey,
    /// The state after the last operation built.
    pub state: DidState,
}

/// The chain id of a devnet, and of every test network: DID operations are signed for it.
pub fn devnet_chain() -> realdid_registry_client::genesis::ChainId {
    realdid_registry_client::genesis::ChainId::parse(realdid_registry::devnet::DEVNET_CHAIN_ID)
        .expect("the devnet's chain id")
}

/// Builds a signed DID creation; `purposes` are the key's.
pub fn create_did(purposes: Purposes) -> (Transaction, Holder) {
    let key = SigningKey::generate(Algorithm::EdDsa).expect("key");
    let recovery = SigningKey::generate(Algorithm::EdDsa).expect("key");
    let create = CreateOp::single_key(&key.public_key(), purposes, &recovery.public_key());
    signed_create(create, key, recovery)
}

/// `create` signed by `key` as `key-1`, and its holder.
fn signed_create(create: CreateOp, key: SigningKey, recovery: SigningKey) -> (Transaction, Holder) {
    let signed = DidOperation::Create(create)
        .sign(&devnet_chain(), Some(KeyId::first()), &key)
        .expect("signs");
    let state = apply(&devnet_chain(), None, &signed).expect("valid create");
    (
        Transaction::Did(signed),
        Holder {
            key,
            recovery,
            state,
        },
    )
}

/// Builds a signed DID creation as large as the method allows: `MAX_KEYS` P-256 keys and
/// `MAX_SERVICES` services, every id, type and endpoint at its longest (about 11 KB).
/// `seed` makes each one distinct.
pub fn create_large_did(seed: u64) -> (Transaction, Holder) {
    use realdid_core::did::{
        CreateOp, DocumentState, MAX_ENDPOINT_LEN, MAX_KEYS, MAX_SERVICE_TYPE_LEN, MAX_SERVICES,
        RecoveryCommitment, ServiceEntry,
    };
    let key = SigningKey::generate(Algorithm::EdDsa).expect("key");
    let recovery = SigningKey::generate(Algorithm::EdDsa).expect("key");
    let id = |prefix: &str, i: usize| -> KeyId {
        format!("{prefix}-{i:0>width$}", width = 30 - prefix.len())
            .parse()
            .expect("key id")
    };
    let mut keys = vec![VerificationKey {
        id: KeyId::first(),
        key: key.public_key(),
        purposes: Purposes::CAPABILITY_INVOCATION.with(Purposes::AUTHENTICATION),
    }];
    keys.extend((1..MAX_KEYS).map(|i| {
        VerificationKey {
            id: id("k", i),
            key: SigningKey::generate(Algorithm::Es256)
                .expect("key")
                .public_key(),
            purposes: Purposes::AUTHENTICATION,
        }
    }));
    let services = (0..MAX_SERVICES)
        .map(|i| {
            let head = format!("https://flood.example/{seed}/{i}/");
            ServiceEntry {
                id: id("s", i),
                service_type: "T".repeat(MAX_SERVICE_TYPE_LEN),
                endpoint: format!("{head}{}", "e".repeat(MAX_ENDPOINT_LEN - head.len())),
            }
        })
        .collect();
    let create = CreateOp {
        document: DocumentState { keys, services },
        recovery_commitment: RecoveryCommitment::to(&recovery.public_key()),
    };
    signed_create(create, key, recovery)
}

/// Builds an update of `holder`'s DID that adds a key, signed by `signer` as `key-1`.
pub fn update_did(holder: &Holder, signer: &SigningKey) -> (Transaction, DidState) {
    let mut document = holder.state.document.clone();
    document.keys.push(VerificationKey {
        id: format!("key-{}", document.keys.len() + 1)
            .parse()
            .expect("key id"),
        key: SigningKey::generate(Algorithm::EdDsa)
            .expect("key")
            .public_key(),
        purposes: Purposes::AUTHENTICATION,
    });
    let signed = DidOperation::Update(UpdateOp {
        did: holder.state.did.clone(),
        previous: holder.state.last_operation,
        document,
    })
    .sign(&devnet_chain(), Some(KeyId::first()), signer)
    .expect("signs");
    let state = apply(&devnet_chain(), Some(&holder.state), &signed)
        .unwrap_or_else(|_| holder.state.clone());
    (Transaction::Did(signed), state)
}

/// A governance accreditation of `issuer` approved by `approvers`, for a devnet's chain.
pub fn accredit(issuer: &DidState, approvers: &[SigningKey], nonce: u64) -> Transaction {
    let chain = devnet_chain();
    let action = GovernanceAction::AccreditIssuer {
        issuer: issuer.did.clone(),
        name: "Test Issuer".into(),
        credential_types: vec!["https://realdid.example/credentials/identity".into()],
    };
    Transaction::Governance(
        GovernanceTx::approved(&chain, action, nonce, approvers).expect("approves"),
    )
}

/// A nonce for a governance decision of kind `kind` (`"accredit"`, `"remove"`) about `did`:
/// a chain takes each governance nonce once, and tests that share a devnet each make their own
/// decisions about their own issuers.
pub fn governance_nonce(kind: &str, did: &realdid_core::did::RealDid) -> u64 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{kind} {did}").as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Submits `tx` to `client`.
pub async fn submit(
    client: &mut RegistryClient<Channel>,
    tx: &Transaction,
) -> pb::submit_transaction_response::Result {
    submit_bytes(client, tx.encode().to_vec()).await
}

/// Submits raw bytes to `client`.
pub async fn submit_bytes(
    client: &mut RegistryClient<Channel>,
    bytes: Vec<u8>,
) -> pb::submit_transaction_response::Result {
    client
        .submit_transaction(pb::SubmitTransactionRequest { transaction: bytes })
        .await
        .expect("submit answers")
        .into_inner()
        .result
        .expect("a result is set")
}

/// Resolves `did` at `at` (latest when `None`) from `client`.
pub async fn resolve(
    client: &mut RegistryClient<Channel>,
    did: &realdid_core::did::RealDid,
    at: Option<pb::resolve_request::At>,
) -> pb::ResolveResponse {
    client
        .resolve(pb::ResolveRequest {
            did: did.to_string(),
            at,
            proof_only: false,
        })
        .await
        .expect("resolve answers")
        .into_inner()
}
