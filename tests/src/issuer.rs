//! A real issuer for tests, beside a [`Devnet`]: the reference identity authority over a
//! generated register and the issuer service, both in this process but on real loopback
//! sockets, with real RocksDB directories; the issuer's DID registered and accredited on
//! the devnet chain.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use realdid_core::clock::ShiftedClock;
use realdid_core::codec::{
    ApproverSet, GovernanceAction, TraceApproval, TraceApprover, Transaction,
};
use realdid_core::control_proof::sign_control_proof;
use realdid_core::did::{KeyId, Purposes};
use realdid_core::escrow::{
    ApproverPublic, ApproverSecret, OfficerSecret, ReleasedShare, ThresholdSealed, open,
    release_share, reshare_contribution,
};
use realdid_core::keys::{Algorithm, DidKey, SigningKey};
use realdid_issuer::authority::dataset::{Person, ResidentDataset};
use realdid_issuer::authority::grpc::{self as authority_grpc, GrpcAuthority};
use realdid_issuer::authority::reference::ReferenceAuthority;
use realdid_issuer::config::IssuerConfig;
use realdid_issuer::engine::Issuer;
use realdid_issuer::privacy::person_index::Argon2Cost;
use realdid_issuer::provision::{IDENTITY_VCT, ProvisionOptions, Provisioned, provision};
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use tokio::sync::oneshot;
use tonic::transport::Channel;

use crate::chain::{Devnet, Holder, create_did, submit};

/// The holder-tag key the tests' wallets give the issuer at enrolment.
pub const HOLDER_TAG_KEY: [u8; 32] = [0x42; 32];

/// A second credential type the test issuer offers but is not accredited for.
pub const UNACCREDITED_VCT: &str = "https://realdid.example/credentials/unaccredited";

/// The issuer side of a test network.
#[derive(Debug)]
pub struct IssuerStack {
    /// Keeps the directories alive.
    pub dir: tempfile::TempDir,
    /// The register's people.
    pub people: Vec<Person>,
    /// The issuer directory's files.
    pub provisioned: Provisioned,
    /// The issuer's configuration.
    pub config: IssuerConfig,
    /// The running issuer (`None` between a stop and a restart).
    issuer: Option<Arc<Issuer<GrpcAuthority>>>,
    /// Its gRPC endpoint.
    pub endpoint: String,
    /// Its HTTP address.
    pub http: SocketAddr,
    /// The light client of the devnet.
    pub light: LightClient,
    /// The key of the operator `keyholder`, who logs in with a key instead of a password.
    pub operator_key: SigningKey,
    /// The trace approvers governance named for the issuer (2 of 3).
    pub approvers: Vec<ApproverSecret>,
    /// The officer's key, to which the approvers release their shares.
    pub officer: OfficerSecret,
    /// The issuer's clock (the machine's, until a test moves it): moving it ages what the
    /// issuer judges by time (disclosure delays, nonces, operator logins, the proven state
    /// it reads) without waiting.
    pub clock: ShiftedClock,
    stops: Vec<oneshot::Sender<()>>,
    issuer_stop: Option<oneshot::Sender<()>>,
    issuer_task: Option<tokio::task::JoinHandle<Result<(), realdid_issuer::IssuerError>>>,
}

/// Binds `addr`, retrying for a while: a port released a moment ago can be held briefly by
/// an outgoing connection that the system gave it (ports are shared with ephemeral ones).
async fn bind(addr: &str) -> tokio::net::TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = tokio::net::TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr}")
}

impl IssuerStack {
    /// Starts an authority over `residents` generated people and an issuer accredited for
    /// [`IDENTITY_VCT`] only (it also offers [`UNACCREDITED_VCT`]).
    pub async fn start(net: &Devnet, residents: usize, disclosure_delay_seconds: u32) -> Self {
        Self::start_in(
            tempfile::tempdir().expect("temp dir"),
            net,
            residents,
            disclosure_delay_seconds,
        )
        .await
    }

    /// [`IssuerStack::start`] with its files in `dir`.
    pub async fn start_in(
        dir: tempfile::TempDir,
        net: &Devnet,
        residents: usize,
        disclosure_delay_seconds: u32,
    ) -> Self {
        let people = ResidentDataset::generate(&dir.path().join("authority"), residents, 7)
            .expect("register generates");
        let dataset =
            Arc::new(ResidentDataset::open(&dir.path().join("authority")).expect("register opens"));
        let mut stops = Vec::new();
        let authority_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let authority_addr = authority_listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        stops.push(stop);
        let authority_key = SigningKey::generate(Algorithm::EdDsa).expect("key");
        let authority_public = realdid_issuer::authority::key::public_did_key(&authority_key);
        tokio::spawn(authority_grpc::serve(
            ReferenceAuthority::new(dataset),
            authority_key,
            authority_listener,
            None,
            async move {
                let _ = stopped.await;
            },
        ));

        // The listeners are bound before their addresses go into the configuration, so no
        // other socket can take the ports in between.
        let grpc = bind("127.0.0.1:0").await;
        let http = bind("127.0.0.1:0").await;
        let issuer_dir = dir.path().join("issuer");
        let provisioned = provision(
            &issuer_dir,
            &ProvisionOptions {
                display_name: "Test Issuer".into(),
                genesis: net.layout.genesis_path().to_path_buf(),
                registry: net
                    .layout
                    .nodes()
                    .iter()
                    .map(|n| n.grpc_endpoint())
                    .collect(),
                authority: format!("http://{authority_addr}"),
                authority_key: authority_public,
                grpc_listen: grpc.local_addr().expect("addr"),
                http_listen: http.local_addr().expect("addr"),
                disclosure_delay_seconds,
                argon2: Argon2Cost::FLOOR,
                operator: "officer".into(),
                tls: Default::default(),
                metrics_listen: None,
            },
        )
        .expect("provisions");
        let mut text = std::fs::read_to_string(&provisioned.config_path).expect("config");
        let operator_key = SigningKey::generate(Algorithm::EdDsa).expect("key");
        text.push_str(&format!(
            "\n[[operators]]\nid = \"keyholder\"\nroles = [\"auditor\"]\npublic_key = \"{}\"\n",
            DidKey::from_public_key(&operator_key.public_key())
                .did()
                .as_str()
        ));
        text.push_str(&format!(
            "\n[[credential_types]]\nvct = \"{UNACCREDITED_VCT}\"\ndisplay_name = \"Unaccredited\"\nvalidity_days = 30\n"
        ));
        std::fs::write(&provisioned.config_path, text).expect("config");
        let config = IssuerConfig::load(&provisioned.config_path).expect("config loads");

        let light = LightClient::for_genesis(net.layout.genesis());
        let registry = RegistryGateway::new(&config.registry, light.clone()).expect("gateway");
        let keys = &provisioned.keys;
        registry
            .submit_final(
                "issuer DID",
                &Transaction::Did(keys.create_operation(registry.chain_id()).expect("create")),
            )
            .await
            .expect("issuer DID final");
        let officers = net.layout.governance_signing_keys().expect("officers");
        registry
            .decide(
                "accreditation",
                GovernanceAction::AccreditIssuer {
                    issuer: keys.did().clone(),
                    name: "Test Issuer".into(),
                    credential_types: vec![IDENTITY_VCT.into()],
                },
                crate::chain::governance_nonce("accredit", keys.did()),
                &officers[..net.layout.governance_threshold()],
            )
            .await
            .expect("accredited");
        // Three approvers, each with keys of their own; governance names them, 2 of 3.
        let approvers: Vec<ApproverSecret> = (1..=3)
            .map(|i| ApproverSecret::generate(&format!("judge-{i}")).expect("approver keys"))
            .collect();
        registry
            .decide(
                "trace approvers",
                GovernanceAction::SetTraceApprovers {
                    issuer: keys.did().clone(),
                    set: ApproverSet {
                        threshold: 2,
                        approvers: approvers
                            .iter()
                            .map(|a| trace_approver(&a.public()))
                            .collect(),
                    },
                },
                crate::chain::governance_nonce("approvers", keys.did()),
                &officers[..net.layout.governance_threshold()],
            )
            .await
            .expect("approvers named");

        let mut stack = Self {
            dir,
            people,
            endpoint: format!("http://{}", config.grpc_listen),
            http: config.http_listen,
            provisioned,
            config,
            issuer: None,
            light,
            operator_key,
            approvers,
            officer: OfficerSecret::generate().expect("officer key"),
            clock: ShiftedClock::new(),
            stops,
            issuer_stop: None,
            issuer_task: None,
        };
        stack.start_issuer_on(grpc, http).await;
        stack
    }

    /// Starts the issuer service on its configured ports.
    async fn start_issuer(&mut self) {
        let grpc = bind(&self.config.grpc_listen.to_string()).await;
        let http = bind(&self.config.http_listen.to_string()).await;
        self.start_issuer_on(grpc, http).await;
    }

    async fn start_issuer_on(
        &mut self,
        grpc: tokio::net::TcpListener,
        http: tokio::net::TcpListener,
    ) {
        let registry = RegistryGateway::new(&self.config.registry, self.light.clone())
            .expect("gateway")
            .with_max_state_age(self.config.max_state_age)
            .with_clock(Arc::new(self.clock.clone()));
        let authority = GrpcAuthority::connect(
            self.config.authority.clone(),
            self.config.authority_key.clone(),
            &self.config.tls.client(),
        )
        .await
        .expect("authority answers");
        let issuer = Issuer::start(self.config.clone(), authority, registry)
            .await
            .expect("issuer starts");
        let (stop, stopped) = oneshot::channel::<()>();
        self.issuer_stop = Some(stop);
        self.issuer_task = Some(tokio::spawn(realdid_issuer::service::serve(
            issuer.clone(),
            grpc,
            http,
            async move {
                let _ = stopped.await;
            },
        )));
        self.issuer = Some(issuer);
    }

    /// The running issuer.
    pub fn issuer(&self) -> &Arc<Issuer<GrpcAuthority>> {
        self.issuer.as_ref().expect("the issuer runs")
    }

    /// Stops the issuer (its database closes), as an operator does before maintenance.
    pub async fn stop_issuer_for_maintenance(&mut self) {
        self.stop_issuer().await;
    }

    /// Starts the issuer again from its files.
    pub async fn start_issuer_again(&mut self) {
        self.start_issuer().await;
    }

    async fn stop_issuer(&mut self) {
        if let Some(stop) = self.issuer_stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.issuer_task.take() {
            task.await
                .expect("serve task")
                .expect("served until stopped");
        }
        let issuer = self.issuer.take().expect("the issuer runs");
        // The last handle closes RocksDB; background tasks of the service let go of theirs
        // once it has stopped.
        for _ in 0..200 {
            if Arc::strong_count(&issuer) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            Arc::strong_count(&issuer),
            1,
            "something still holds the issuer"
        );
        drop(issuer);
    }

    /// A client of the issuer.
    pub async fn client(&self) -> IssuerClient<Channel> {
        for _ in 0..100 {
            if let Ok(c) = IssuerClient::connect(self.endpoint.clone()).await {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the issuer does not answer on {}", self.endpoint)
    }

    /// A session token of the provisioned operator (`officer`, password login).
    pub async fn officer_session(&self, client: &mut IssuerClient<Channel>) -> String {
        let password = std::fs::read_to_string(&self.provisioned.operator_password_file)
            .expect("password file");
        client
            .operator_login(pb::OperatorLoginRequest {
                operator_id: "officer".into(),
                credential: Some(pb::operator_login_request::Credential::Password(
                    password.trim().into(),
                )),
            })
            .await
            .expect("the officer logs in")
            .into_inner()
            .session_token
    }

    /// `message` carrying a fresh session of the provisioned officer.
    pub async fn as_officer<T>(
        &self,
        client: &mut IssuerClient<Channel>,
        message: T,
    ) -> tonic::Request<T> {
        let token = self.officer_session(client).await;
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ASCII"),
        );
        request
    }

    /// Enrols person `person` (of [`IssuerStack::people`]) with `holders`' DIDs; the
    /// credentials, or the refusal.
    pub async fn enrol(
        &self,
        person: usize,
        holders: &[&Holder],
    ) -> Result<pb::EnrolmentIssued, pb::EnrolmentRefusal> {
        match self
            .try_enrol(person, holders)
            .await
            .expect("the issuer answers")
        {
            pb::enrol_response::Result::Issued(issued) => Ok(issued),
            pb::enrol_response::Result::Refused(refused) => Err(refused),
        }
    }

    /// [`IssuerStack::enrol`], with the issuer's status when it reached no decision.
    pub async fn try_enrol(
        &self,
        person: usize,
        holders: &[&Holder],
    ) -> Result<pb::enrol_response::Result, tonic::Status> {
        self.try_enrol_with(&mut self.client().await, person, holders)
            .await
    }

    /// [`IssuerStack::try_enrol`] through `client`.
    pub async fn try_enrol_with(
        &self,
        client: &mut IssuerClient<Channel>,
        person: usize,
        holders: &[&Holder],
    ) -> Result<pb::enrol_response::Result, tonic::Status> {
        let issuer_did = self.issuer().did().to_string();
        let who = &self.people[person];
        let n = client
            .create_nonce(pb::CreateNonceRequest {
                purpose: pb::NoncePurpose::Enrol as i32,
            })
            .await?
            .into_inner()
            .nonce;
        let answer = client
            .enrol(pb::EnrolRequest {
                nonce: n.clone(),
                full_name: who.full_name.clone(),
                resident_id: who.resident_id.clone(),
                evidence_token: who.evidence_token.clone(),
                dids: holders
                    .iter()
                    .map(|h| control_proof(h, &n, &issuer_did))
                    .collect(),
                credential_type: String::new(),
                holder_tag_key: HOLDER_TAG_KEY.to_vec(),
            })
            .await?;
        Ok(answer.into_inner().result.expect("a result"))
    }

    /// A client of the issuer whose connection comes from `source` (any 127.x.y.z address
    /// works on loopback), as a distinct client machine's would.
    pub async fn client_from(&self, source: std::net::IpAddr) -> IssuerClient<Channel> {
        let channel = tonic::transport::Endpoint::from_shared(self.endpoint.clone())
            .expect("endpoint")
            .local_address(Some(source))
            .connect()
            .await
            .expect("the issuer answers");
        IssuerClient::new(channel)
    }

    /// Revokes `credential_id` as the provisioned officer; the issuer's answer.
    pub async fn revoke(
        &self,
        credential_id: &str,
    ) -> Result<pb::RevokeCredentialsResponse, tonic::Status> {
        self.revoke_target(pb::revoke_credentials_request::Target::CredentialId(
            credential_id.to_owned(),
        ))
        .await
    }

    /// Revokes every credential of `enrolment_id` as the provisioned officer.
    pub async fn revoke_enrolment(
        &self,
        enrolment_id: &str,
    ) -> Result<pb::RevokeCredentialsResponse, tonic::Status> {
        self.revoke_target(pb::revoke_credentials_request::Target::EnrolmentId(
            enrolment_id.to_owned(),
        ))
        .await
    }

    async fn revoke_target(
        &self,
        target: pb::revoke_credentials_request::Target,
    ) -> Result<pb::RevokeCredentialsResponse, tonic::Status> {
        let mut client = self.client().await;
        let request = self
            .as_officer(
                &mut client,
                pb::RevokeCredentialsRequest {
                    target: Some(target),
                    reason: pb::RevocationReason::KeyCompromise as i32,
                    note: String::new(),
                },
            )
            .await;
        client
            .revoke_credentials(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Restarts the issuer asking the identity authority at `endpoint` (its configured
    /// authority key unchanged).
    pub async fn use_authority(&mut self, endpoint: String) {
        self.reconfigure(|c| c.authority = endpoint).await;
    }

    /// Restarts the issuer with `endpoints` as its registry nodes.
    pub async fn use_registry(&mut self, endpoints: Vec<String>) {
        self.reconfigure(|c| c.registry = endpoints).await;
    }

    /// Restarts the issuer with its configuration changed by `change`.
    pub async fn reconfigure(&mut self, change: impl FnOnce(&mut IssuerConfig)) {
        self.stop_issuer().await;
        change(&mut self.config);
        self.start_issuer().await;
    }

    /// A trace of `subject_did` (its holder as `subject` says) requested by the officer and
    /// approved by the first `approvals` provisioned approvers; its id.
    pub async fn approved_trace(
        &self,
        subject_did: &str,
        subject: Option<pb::create_trace_request::Subject>,
        approvals: usize,
    ) -> String {
        let trace = self.request_trace(subject_did, subject).await;
        let now = crate::unix_s();
        for approver in 0..approvals {
            self.approve(&trace, approver, now)
                .await
                .expect("the approval is taken");
        }
        trace.trace_id
    }

    /// A trace of `subject_did` (its holder as `subject` says) requested by the officer, not
    /// yet approved.
    pub async fn request_trace(
        &self,
        subject_did: &str,
        subject: Option<pb::create_trace_request::Subject>,
    ) -> pb::TraceRequest {
        self.try_request_trace(subject_did, subject)
            .await
            .expect("the officer requests a trace")
    }

    /// [`IssuerStack::request_trace`], with the issuer's refusal.
    pub async fn try_request_trace(
        &self,
        subject_did: &str,
        subject: Option<pb::create_trace_request::Subject>,
    ) -> Result<pb::TraceRequest, tonic::Status> {
        let mut client = self.client().await;
        let request = self
            .as_officer(
                &mut client,
                pb::CreateTraceRequest {
                    officer_key: self.officer.public().as_bytes().to_vec(),
                    subject_did: subject_did.to_owned(),
                    legal_basis: "Criminal Procedure Law art. 142; warrant 2026-77".into(),
                    case_reference: "CASE-77".into(),
                    subject,
                },
            )
            .await;
        Ok(client
            .create_trace(request)
            .await?
            .into_inner()
            .trace
            .expect("a trace"))
    }

    /// `trace` approved by approver `approver` with an approval signed at `signed_at_s`;
    /// the issuer's answer.
    pub async fn approve(
        &self,
        trace: &pb::TraceRequest,
        approver: usize,
        signed_at_s: i64,
    ) -> Result<(), tonic::Status> {
        self.client()
            .await
            .approve_trace(approval(trace, &self.approvers[approver], signed_at_s))
            .await
            .map(|_| ())
    }

    /// Governance names `approvers`, `threshold` of them, for this issuer in place of the
    /// set it has; the stack approves with them from now on. The old set is returned.
    pub async fn replace_approvers(
        &mut self,
        net: &Devnet,
        approvers: Vec<ApproverSecret>,
        threshold: u8,
    ) -> Vec<ApproverSecret> {
        let registry =
            RegistryGateway::new(&self.config.registry, self.light.clone()).expect("gateway");
        let officers = net.layout.governance_signing_keys().expect("officers");
        let did = self.issuer().did().clone();
        let ids: Vec<&str> = approvers.iter().map(|a| a.id()).collect();
        registry
            .decide(
                "trace approvers",
                GovernanceAction::SetTraceApprovers {
                    issuer: did.clone(),
                    set: ApproverSet {
                        threshold,
                        approvers: approvers
                            .iter()
                            .map(|a| trace_approver(&a.public()))
                            .collect(),
                    },
                },
                crate::chain::governance_nonce(&format!("approvers {}", ids.join(",")), &did),
                &officers[..net.layout.governance_threshold()],
            )
            .await
            .expect("approvers replaced");
        std::mem::replace(&mut self.approvers, approvers)
    }

    /// `approver` re-seals the records it holds a share of to the set on chain, as
    /// `realdid approver reseal` does on its machine: the issuer's count of records
    /// re-sealed and of records waiting for other approvers.
    pub async fn reseal_as(&self, approver: &ApproverSecret) -> Result<(u32, u32), tonic::Status> {
        let mut client = self.client().await;
        let registry =
            RegistryGateway::new(&self.config.registry, self.light.clone()).expect("gateway");
        let did = self.issuer().did();
        let named = registry
            .accreditation(&did)
            .await
            .expect("the register entry")
            .and_then(|record| record.trace_approvers)
            .expect("approvers on chain");
        let target = named.set.sealing_approvers().expect("the set's keys");
        let n = nonce(&mut client, pb::NoncePurpose::Reseal).await;
        let key = approver.approval_key();
        let signature = key
            .sign(&realdid_core::trace::reseal_list_input(
                did.as_str(),
                &n,
                approver.id(),
            ))
            .expect("signs");
        let page = client
            .list_reseals(pb::ListResealsRequest {
                approver_id: approver.id().to_owned(),
                nonce: n,
                signature,
                after_enrolment: String::new(),
                page_size: 0,
                approval_key: DidKey::from_public_key(&key.public_key()).did().to_string(),
            })
            .await?
            .into_inner();
        assert_eq!(page.approvers_set_height, named.height, "the set on chain");
        let contributions: Vec<String> = page
            .sealed_records
            .iter()
            .map(|json| {
                let sealed = ThresholdSealed::from_json(json).expect("a sealed record");
                reshare_contribution(&sealed, approver, named.set.threshold, &target)
                    .expect("a contribution")
                    .to_json()
                    .expect("JSON")
            })
            .collect();
        if contributions.is_empty() {
            return Ok((0, 0));
        }
        let outcome = client
            .submit_reshares(pb::SubmitResharesRequest { contributions })
            .await?
            .into_inner();
        Ok((outcome.resealed, outcome.waiting))
    }

    /// Opens trace `trace_id` as the officer; the issuer's answer.
    pub async fn open_trace(&self, trace_id: &str) -> Result<pb::OpenTraceResponse, tonic::Status> {
        let mut client = self.client().await;
        let request = self
            .as_officer(
                &mut client,
                pb::OpenTraceRequest {
                    trace_id: trace_id.to_owned(),
                },
            )
            .await;
        client
            .open_trace(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// After an opening: approvers `approvers` each check the audit anchor on chain and
    /// release their share to the officer, who collects them and opens the record with the
    /// officer's key, as their devices do. The record, or the first refusal.
    pub async fn release_and_read(
        &self,
        trace_id: &str,
        approvers: &[usize],
    ) -> Result<pb::IdentityRecord, String> {
        use prost::Message as _;
        let mut client = self.client().await;
        let registry = RegistryGateway::new(&self.config.registry, self.light.clone())
            .map_err(|e| e.to_string())?;
        let issuer = self.issuer().did();
        for &i in approvers {
            let answer = client
                .get_sealed_record(pb::GetSealedRecordRequest {
                    trace_id: trace_id.to_owned(),
                })
                .await
                .map_err(|s| s.message().to_owned())?
                .into_inner();
            let sealed =
                ThresholdSealed::from_json(&answer.sealed_record).map_err(|e| e.to_string())?;
            let proven = registry
                .audit_anchor_at(&issuer, answer.audit_sequence)
                .await
                .map_err(|e| e.to_string())?;
            let anchor = proven.value.ok_or("the audit anchor is not on chain")?;
            let anchor_hash = anchor.anchor_hash();
            let share = release_share(
                &sealed,
                &self.approvers[i],
                &anchor_hash,
                &self.officer.public(),
            )
            .map_err(|e| e.to_string())?;
            client
                .release_share(signed_release(trace_id, &share, &self.approvers[i]))
                .await
                .map_err(|s| s.message().to_owned())?;
        }
        let request = self
            .as_officer(
                &mut client,
                pb::CollectSharesRequest {
                    trace_id: trace_id.to_owned(),
                },
            )
            .await;
        let collected = client
            .collect_shares(request)
            .await
            .map_err(|s| s.message().to_owned())?
            .into_inner();
        let sealed =
            ThresholdSealed::from_json(&collected.sealed_record).map_err(|e| e.to_string())?;
        let shares = collected
            .released_shares
            .iter()
            .map(|j| ReleasedShare::from_json(j))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let proven = registry
            .audit_anchor_at(&issuer, collected.audit_sequence)
            .await
            .map_err(|e| e.to_string())?;
        let anchor = proven.value.ok_or("the audit anchor is not on chain")?;
        let anchor_hash = anchor.anchor_hash();
        let plain =
            open(&sealed, &shares, &self.officer, &anchor_hash).map_err(|e| e.to_string())?;
        pb::IdentityRecord::decode(plain.as_slice()).map_err(|e| e.to_string())
    }

    /// Stops the issuer in this process and runs it as its own `realdid issuer` process
    /// on the same files and ports, so that a test can kill it as a crash would.
    pub async fn run_as_process(&mut self) -> IssuerProcess {
        self.stop_issuer().await;
        let mut process = IssuerProcess {
            child: None,
            config: self.provisioned.config_path.clone(),
            log: self.dir.path().join("issuer-process.log"),
        };
        process.start_again();
        process
    }

    /// The issuer's RocksDB directory.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// Stops the issuer and the authority.
    pub async fn stop(&mut self) {
        self.stop_issuer().await;
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// A stack's issuer as a process of its own ([`IssuerStack::run_as_process`]); killed when
/// dropped.
#[derive(Debug)]
pub struct IssuerProcess {
    child: Option<std::process::Child>,
    config: PathBuf,
    log: PathBuf,
}

impl IssuerProcess {
    /// Kills it (SIGKILL: no shutdown runs) and waits until it is gone.
    pub fn kill(&mut self) {
        crate::kill_and_wait(&mut self.child);
    }

    /// Starts it again from its files (its log appended to), without waiting for it.
    pub fn start_again(&mut self) {
        self.kill();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("issuer log");
        let child = std::process::Command::new(crate::realdid_binary())
            .args(["issuer", "--config"])
            .arg(&self.config)
            .stdout(log.try_clone().expect("issuer log"))
            .stderr(log)
            .spawn()
            .expect("realdid issuer starts");
        self.child = Some(child);
    }

    /// Its log, every run of it.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for IssuerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A holder DID (an authentication key), put on the chain through `net`'s node 0.
pub async fn holder_did(net: &Devnet) -> Holder {
    let (tx, holder) = create_did(Purposes::AUTHENTICATION);
    let mut node = net.client(0).await;
    match submit(&mut node, &tx).await {
        pb::submit_transaction_response::Result::Finalized(_) => holder,
        pb::submit_transaction_response::Result::Rejected(r) => {
            panic!("holder DID refused: {}", r.message)
        }
    }
}

/// A fresh nonce for `purpose`.
pub async fn nonce(client: &mut IssuerClient<Channel>, purpose: pb::NoncePurpose) -> String {
    client
        .create_nonce(pb::CreateNonceRequest {
            purpose: purpose as i32,
        })
        .await
        .expect("nonce")
        .into_inner()
        .nonce
}

/// `holder`'s proof of control answering `nonce` for `issuer_did`.
pub fn control_proof(holder: &Holder, nonce: &str, issuer_did: &str) -> pb::DidControlProof {
    let now = crate::unix_s();
    pb::DidControlProof {
        did: holder.state.did.to_string(),
        proof_jws: sign_control_proof(
            &holder.state.did,
            &KeyId::first(),
            &holder.key,
            nonce,
            issuer_did,
            now,
        )
        .expect("signs"),
    }
}

/// `id` with its birth date replaced by `year` and `month_day` (MMDD) and a fresh check
/// character: a well-formed number of somebody else.
pub fn with_birth_date(id: &str, year: &str, month_day: &str) -> String {
    let body = format!("{}{year}{month_day}{}", &id[..6], &id[14..17]);
    let first17: [u8; 17] = body.as_bytes().try_into().expect("17 digits");
    let check = realdid_core::resident_id::check_character(&first17).expect("digits");
    format!("{body}{check}")
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The on-chain entry of an approver.
pub fn trace_approver(public: &ApproverPublic) -> TraceApprover {
    TraceApprover {
        id: public.id().to_owned(),
        signing_key: public.approval_public_key(),
        hpke_key: *public.hpke_public_key().as_bytes(),
    }
}

/// `approver`'s approval of `trace`, signed at `signed_at_s`, over what the trace says its
/// request hash, chain and issuer are (as an approver's device signs it).
pub fn approval(
    trace: &pb::TraceRequest,
    approver: &ApproverSecret,
    signed_at_s: i64,
) -> pb::ApproveTraceRequest {
    let hash: [u8; 32] = trace.request_hash.clone().try_into().expect("32 bytes");
    let chain = realdid_core::codec::ChainId::parse(&trace.chain_id).expect("chain id");
    let issuer: realdid_core::did::RealDid = trace.issuer_did.parse().expect("issuer DID");
    let key = approver.approval_key();
    let signed = TraceApproval::sign(
        &chain,
        &issuer,
        &hash,
        u64::try_from(signed_at_s).expect("after 1970"),
        &key,
    )
    .expect("signs");
    pb::ApproveTraceRequest {
        trace_id: trace.trace_id.clone(),
        approval_key: DidKey::from_public_key(&key.public_key()).did().to_string(),
        signed_at_unix_s: signed_at_s,
        signature: signed.signature.0.to_vec(),
    }
}

/// `share` handed in for `trace_id`, signed by `approver`, as an approver's device does.
pub fn signed_release(
    trace_id: &str,
    share: &ReleasedShare,
    approver: &ApproverSecret,
) -> pb::ReleaseShareRequest {
    let json = share.to_json().expect("share JSON");
    let signature = approver
        .approval_key()
        .sign(&realdid_core::trace::share_release_input(trace_id, &json))
        .expect("signs");
    pb::ReleaseShareRequest {
        trace_id: trace_id.to_owned(),
        released_share: json,
        signature,
    }
}
