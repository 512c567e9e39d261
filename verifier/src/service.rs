//! `realdid.v1.Verifier` over gRPC: translation, caller authorisation and the replay store;
//! the checks are [`crate::verify`]'s. Errors become codes in one place,
//! [`VerifierError::grpc_code`].

use std::sync::Arc;

use realdid_core::clock::Clock;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_server::{Verifier as VerifierRpc, VerifierServer};
use sha2::{Digest as _, Sha256};
use tonic::{Request, Response, Status};

use crate::VerifierError;
use crate::provider::Provider;
use crate::requests::{RequestSpec, create};
use crate::store::{AnyStore, Known, RequestStore, StoredRequest, Taken};
use crate::verify::Checks;
use crate::verify::chain::CachedChain;
use crate::verify::reason::{Failure, FailureReason, Outcome};
use crate::verify::status::HttpStatusSource;

/// Largest request read (a 64 KiB presentation and its id).
pub const MAX_REQUEST_BYTES: usize = 80 * 1024;

/// The running verifier.
#[derive(Debug)]
pub struct VerifierService {
    store: AnyStore,
    checks: Checks<CachedChain, HttpStatusSource>,
    providers: Vec<Provider>,
    request_uri_base: String,
    clock: Arc<dyn Clock>,
    stats: Arc<crate::stats::Stats>,
}

fn reason(r: FailureReason) -> pb::VerificationFailureReason {
    use pb::VerificationFailureReason as P;
    match r {
        FailureReason::RequestUnknown => P::RequestUnknown,
        FailureReason::RequestExpired => P::RequestExpired,
        FailureReason::NonceReplayed => P::NonceReplayed,
        FailureReason::Malformed => P::Malformed,
        FailureReason::IssuerDidState => P::IssuerDidState,
        FailureReason::IssuerSignature => P::IssuerSignature,
        FailureReason::IssuerNotAccredited => P::IssuerNotAccredited,
        FailureReason::CredentialTypeNotAccepted => P::CredentialTypeNotAccepted,
        FailureReason::NotYetValid => P::NotYetValid,
        FailureReason::Expired => P::Expired,
        FailureReason::HolderDidState => P::HolderDidState,
        FailureReason::HolderBinding => P::HolderBinding,
        FailureReason::AudienceMismatch => P::AudienceMismatch,
        FailureReason::NonceMismatch => P::NonceMismatch,
        FailureReason::StatusUnavailable => P::StatusUnavailable,
        FailureReason::Revoked => P::Revoked,
        FailureReason::Suspended => P::Suspended,
        FailureReason::PolicyClaimMissing => P::PolicyClaimMissing,
        FailureReason::PolicyPredicateUnsatisfied => P::PolicyPredicateUnsatisfied,
        FailureReason::RegistryUnavailable => P::RegistryUnavailable,
    }
}

fn failed(failure: Failure) -> pb::VerifyPresentationResponse {
    pb::VerifyPresentationResponse {
        result: Some(pb::verify_presentation_response::Result::Failure(
            pb::VerificationFailure {
                reason: reason(failure.reason) as i32,
                message: failure.message,
                claim: failure.claim,
            },
        )),
    }
}

impl VerifierService {
    /// A service over `store` and `checks`, for `providers`, dating requests and verdicts by
    /// `clock` (the clock `store` and `checks` were given).
    pub fn new(
        store: AnyStore,
        checks: Checks<CachedChain, HttpStatusSource>,
        providers: Vec<Provider>,
        request_uri_base: String,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            checks,
            providers,
            request_uri_base,
            stats: Arc::new(crate::stats::Stats::new(clock.clone())),
            clock,
        }
    }

    /// Its figures since it started.
    pub fn stats(&self) -> &Arc<crate::stats::Stats> {
        &self.stats
    }

    /// The status lists it holds now, at most `limit`, the most recently checked first.
    pub fn held_lists(&self, limit: usize) -> Vec<crate::verify::status::HeldList> {
        self.checks.held_lists(limit)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_i64()
    }

    /// The provider whose bearer token the call carries.
    fn caller<T>(&self, request: &Request<T>) -> Result<&Provider, VerifierError> {
        let token = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                VerifierError::Unauthenticated("send `authorization: Bearer <token>`".into())
            })?;
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        self.providers
            .iter()
            .find(|p| p.token_sha256.eq_ignore_ascii_case(&digest))
            .ok_or_else(|| VerifierError::Unauthenticated("unknown token".into()))
    }
}

#[tonic::async_trait]
impl VerifierRpc for VerifierService {
    async fn create_presentation_request(
        &self,
        request: Request<pb::CreatePresentationRequestRequest>,
    ) -> Result<Response<pb::CreatePresentationRequestResponse>, Status> {
        let provider = self.caller(&request)?;
        let r = request.into_inner();
        let (stored, request_uri) = create(
            &RequestSpec {
                claims: r.claims,
                predicates: r.predicates,
                purpose: r.purpose,
                expiry_seconds: r.expiry_seconds,
                credential_types: r.credential_types,
            },
            provider,
            self.now_ms(),
            &self.request_uri_base,
        )?;
        self.store.put(&stored).await?;
        Ok(Response::new(pb::CreatePresentationRequestResponse {
            request_id: stored.request_id,
            nonce: stored.nonce,
            request_object: stored.request_object,
            client_id: stored.audience,
            request_uri,
            expires_at_unix_ms: stored.expires_at_ms,
        }))
    }

    async fn get_request(
        &self,
        request: Request<pb::GetRequestRequest>,
    ) -> Result<Response<pb::GetRequestResponse>, Status> {
        let id = request.into_inner().request_id;
        check_request_id(&id)?;
        match self.store.get(&id).await? {
            Some(Known {
                request,
                used: false,
            }) if request.expires_at_ms > self.now_ms() => {
                Ok(Response::new(pb::GetRequestResponse {
                    request_object: request.request_object,
                    expires_at_unix_ms: request.expires_at_ms,
                }))
            }
            Some(Known { used: true, .. }) => {
                Err(VerifierError::NotFound("the request was already answered".into()).into())
            }
            _ => Err(VerifierError::NotFound("no open request with this id".into()).into()),
        }
    }

    async fn verify_presentation(
        &self,
        request: Request<pb::VerifyPresentationRequest>,
    ) -> Result<Response<pb::VerifyPresentationResponse>, Status> {
        let provider = self.caller(&request)?;
        let r = request.into_inner();
        let (response, _) = self
            .judge(&r.request_id, &r.presentation, Some(provider))
            .await?;
        Ok(Response::new(response))
    }

    async fn submit_presentation(
        &self,
        request: Request<pb::SubmitPresentationRequest>,
    ) -> Result<Response<pb::SubmitPresentationResponse>, Status> {
        let r = request.into_inner();
        let (response, taken) = self.judge(&r.request_id, &r.presentation, None).await?;
        // Only a verdict on a request this call took is kept: a replay must not overwrite
        // the verdict the first answer earned.
        if let Some(stored) = taken {
            self.store
                .put_verdict(&stored, &prost::Message::encode_to_vec(&response))
                .await?;
        }
        let answer = match response.result {
            Some(pb::verify_presentation_response::Result::Verified(_)) => {
                pb::SubmitPresentationResponse {
                    verified: true,
                    ..Default::default()
                }
            }
            Some(pb::verify_presentation_response::Result::Failure(f)) => {
                pb::SubmitPresentationResponse {
                    verified: false,
                    reason: f.reason,
                    message: f.message,
                }
            }
            None => return Err(VerifierError::Internal("an empty verdict".into()).into()),
        };
        Ok(Response::new(answer))
    }

    async fn get_result(
        &self,
        request: Request<pb::GetResultRequest>,
    ) -> Result<Response<pb::GetResultResponse>, Status> {
        let provider = self.caller(&request)?;
        let id = request.into_inner().request_id;
        check_request_id(&id)?;
        let Some(Known {
            request: stored, ..
        }) = self.store.get(&id).await?
        else {
            return Err(VerifierError::NotFound("no request has this id".into()).into());
        };
        if !provider.owns(&stored.audience) {
            return Err(VerifierError::PermissionDenied(format!(
                "provider {} did not create this request",
                provider.id
            ))
            .into());
        }
        let Some(bytes) = self.store.get_verdict(&id).await? else {
            return Err(VerifierError::NotFound(
                "no presentation was submitted for this request yet".into(),
            )
            .into());
        };
        let verdict = <pb::VerifyPresentationResponse as prost::Message>::decode(bytes.as_slice())
            .map_err(|e| VerifierError::Internal(format!("a kept verdict does not decode: {e}")))?;
        Ok(Response::new(pb::GetResultResponse {
            verdict: Some(verdict),
        }))
    }
}

fn check_request_id(id: &str) -> Result<(), VerifierError> {
    if id.is_empty() || id.len() > 128 {
        return Err(VerifierError::InvalidRequest(
            "request_id: 1 to 128 bytes".into(),
        ));
    }
    Ok(())
}

/// Whether a verdict spends the request: only one reached after the key-binding JWT over the
/// request's nonce and audience checked, so that only the holder who answered the request can
/// use it up. Anyone who sees a request (its id travels in a QR code) could otherwise burn it
/// with a presentation that fails early. A verdict the registry or the status list could not
/// reach does not spend it either: the holder may try again.
fn spends_request(response: &pb::VerifyPresentationResponse) -> bool {
    use pb::verify_presentation_response::Result as R;
    match &response.result {
        Some(R::Verified(_)) => true,
        Some(R::Failure(f)) => matches!(
            pb::VerificationFailureReason::try_from(f.reason),
            Ok(pb::VerificationFailureReason::Revoked
                | pb::VerificationFailureReason::Suspended
                | pb::VerificationFailureReason::PolicyClaimMissing
                | pb::VerificationFailureReason::PolicyPredicateUnsatisfied)
        ),
        None => false,
    }
}

impl VerifierService {
    /// The verdict on `presentation` for request `request_id`. A provider that did not
    /// create the request is refused before anything is read or spent. The presentation is
    /// checked against the request as stored, and the request is spent (atomically, once,
    /// on every replica) only by a verdict that [`spends_request`]; a later presentation
    /// gets NONCE_REPLAYED without being checked. A store that cannot answer fails the call,
    /// UNAVAILABLE, never accepts. Returns the request too when this call spent it. Each
    /// verdict reached is counted, with how long it took, for the operators.
    async fn judge(
        &self,
        request_id: &str,
        presentation: &str,
        provider: Option<&Provider>,
    ) -> Result<(pb::VerifyPresentationResponse, Option<StoredRequest>), VerifierError> {
        let _in_flight = self.stats.begin();
        let started = std::time::Instant::now();
        let judged = self.decide(request_id, presentation, provider).await;
        if let Ok((response, _)) = &judged {
            let failure = match &response.result {
                Some(pb::verify_presentation_response::Result::Failure(f)) => Some(
                    pb::VerificationFailureReason::try_from(f.reason)
                        .unwrap_or(pb::VerificationFailureReason::Unspecified),
                ),
                Some(pb::verify_presentation_response::Result::Verified(v)) => {
                    self.stats.registry_seen(v.registry_height);
                    None
                }
                None => None,
            };
            self.stats.verdict(failure, started.elapsed());
        }
        judged
    }

    /// [`VerifierService::judge`]'s decision.
    async fn decide(
        &self,
        request_id: &str,
        presentation: &str,
        provider: Option<&Provider>,
    ) -> Result<(pb::VerifyPresentationResponse, Option<StoredRequest>), VerifierError> {
        check_request_id(request_id)?;
        if presentation.is_empty() || presentation.len() > 64 * 1024 {
            return Err(VerifierError::InvalidRequest(
                "presentation: 1 byte to 64 KiB".into(),
            ));
        }
        let now = self.now_ms();
        let Some(Known {
            request: stored,
            used,
        }) = self.store.get(request_id).await?
        else {
            return Ok((
                failed(Failure::new(
                    FailureReason::RequestUnknown,
                    "no open request has this id",
                )),
                None,
            ));
        };
        if let Some(provider) = provider
            && !provider.owns(&stored.audience)
        {
            return Err(VerifierError::PermissionDenied(format!(
                "provider {} did not create this request",
                provider.id
            )));
        }
        if stored.expires_at_ms <= now {
            return Ok((
                failed(Failure::new(
                    FailureReason::RequestExpired,
                    "the request has expired",
                )),
                None,
            ));
        }
        // A request a verdict already took answers every later presentation the same way:
        // checking it again would only let a replay cost the verifier a verification.
        if used {
            return Ok((
                failed(Failure::new(
                    FailureReason::NonceReplayed,
                    "the request already took a verdict",
                )),
                None,
            ));
        }
        let response = match self.checks.verify(&stored, presentation, now).await {
            Outcome::Failed(failure) => failed(failure),
            Outcome::Verified(v) => pb::VerifyPresentationResponse {
                result: Some(pb::verify_presentation_response::Result::Verified(
                    pb::VerifiedPresentation {
                        claims: v.claims.into_iter().collect(),
                        predicates: v.predicates,
                        issuer_did: v.issuer_did,
                        credential_type: v.credential_type,
                        subject_id: v.subject_id,
                        issued_at_unix_ms: v.issued_at_ms,
                        expires_at_unix_ms: v.expires_at_ms,
                        verified_at_unix_ms: v.verified_at_ms,
                        registry_height: v.registry_height,
                    },
                )),
            },
        };
        if !spends_request(&response) {
            return Ok((response, None));
        }
        match self.store.take(&stored).await? {
            Taken::Open => Ok((response, Some(stored))),
            Taken::AlreadyUsed => Ok((
                failed(Failure::new(
                    FailureReason::NonceReplayed,
                    "the request already took a verdict",
                )),
                None,
            )),
            Taken::Unknown => Ok((
                failed(Failure::new(
                    FailureReason::RequestExpired,
                    "the request expired while the presentation was checked",
                )),
                None,
            )),
        }
    }
}

/// Serves `service` on `listener` with health and reflection (over `tls` when given), and
/// its figures to `operators` (`VerifierAdmin`), until `shutdown`. Health follows the
/// request store ([`crate::health`]); the registry is read every
/// [`crate::health::HEALTH_PERIOD`] too, so that its operators see it answer or not while
/// no presentation arrives.
pub async fn serve(
    service: Arc<VerifierService>,
    operators: Vec<crate::config::OperatorConfig>,
    listener: tokio::net::TcpListener,
    tls: Option<&realdid_proto::tls::ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), VerifierError> {
    use realdid_proto::v1::verifier_admin_server::VerifierAdminServer;

    let (router, health) = realdid_proto::server::with_health_and_reflection_of::<
        VerifierServer<VerifierService>,
    >(
        tls,
        &[<VerifierAdminServer<crate::admin::AdminService> as tonic::server::NamedService>::NAME],
    )
    .await
    .map_err(VerifierError::Server)?;
    let follower = tokio::spawn(
        crate::health::follow_store::<VerifierServer<VerifierService>>(
            service.store.clone(),
            service.stats.clone(),
            health,
            crate::health::HEALTH_PERIOD,
        )
        .await,
    );
    let registry = service.providers.first().map(|provider| {
        tokio::spawn(crate::health::follow_registry(
            service.checks.chain().gateway().clone(),
            provider.did().clone(),
            service.stats.clone(),
            crate::health::HEALTH_PERIOD,
        ))
    });
    let admin =
        VerifierAdminServer::new(crate::admin::AdminService::new(service.clone(), operators));
    let served = router
        .add_service(admin)
        .add_service(VerifierServer::from_arc(service).max_decoding_message_size(MAX_REQUEST_BYTES))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(|e| VerifierError::Server(format!("gRPC: {e}")));
    follower.abort();
    if let Some(registry) = registry {
        registry.abort();
    }
    served
}

/// The service a configuration describes: its registry view with caches, its status
/// fetcher, its request store (Redis when configured, else in process) and its callers, all
/// reading the time from `clock`.
pub async fn from_config(
    config: &crate::config::VerifierConfig,
    clock: Arc<dyn Clock>,
) -> Result<VerifierService, VerifierError> {
    use std::time::Duration;

    use realdid_registry_client::gateway::RegistryGateway;
    use realdid_registry_client::genesis::Genesis;
    use realdid_registry_client::light_client::LightClient;

    use crate::verify::CheckOptions;
    use crate::verify::chain::ChainCacheConfig;
    use crate::verify::status::StatusChecker;

    let genesis =
        Genesis::load(&config.genesis).map_err(|e| VerifierError::Config(e.to_string()))?;
    let gateway = RegistryGateway::with_tls(
        &config.registry,
        LightClient::for_genesis(&genesis),
        &config.tls.client(),
    )
    .map_err(|e| VerifierError::Config(e.to_string()))?
    .with_max_state_age(Duration::from_secs(config.max_state_age_seconds))
    .with_clock(clock.clone());
    let cache = config.cache;
    let chain = CachedChain::new(
        gateway,
        ChainCacheConfig {
            did_ttl: Duration::from_secs(cache.did_ttl_seconds),
            accreditation_ttl: Duration::from_secs(cache.accreditation_ttl_seconds),
            anchor_ttl: Duration::from_secs(cache.status_ttl_seconds),
            capacity: cache.capacity,
        },
    );
    let status = StatusChecker::new(
        HttpStatusSource::new(Duration::from_secs(3), &config.tls.client())?,
        Duration::from_secs(cache.status_ttl_seconds),
        cache.capacity,
        clock.clone(),
    );
    let checks = Checks::new(
        chain,
        status,
        CheckOptions {
            accepted_types: config.accepted_types.clone(),
            subject_secret: config.load_secret()?,
            leeway_seconds: 60,
            key_binding_max_age: Duration::from_secs(300),
            remembered_signatures: cache.signatures,
        },
    );
    let store = AnyStore::from_config(
        config.redis_url.as_deref(),
        &config.redis_prefix,
        clock.clone(),
        &config.tls.client(),
    )
    .await?;
    Ok(VerifierService::new(
        store,
        checks,
        config.load_providers()?,
        config.request_uri_base.clone(),
        clock,
    ))
}
