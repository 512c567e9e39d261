//! The authority over gRPC: a server for any [`IdentityAuthority`] (`realdid authority`
//! serves the reference one) that signs every answer, and a client that is itself an
//! [`IdentityAuthority`] and takes an answer only with the configured authority's signature
//! over its own fresh nonce and its exact question. Whoever else answers on the authority's
//! address (a misrouted connection, anyone on the path) cannot make the issuer issue.

use std::net::SocketAddr;

use realdid_core::authority_answer::{
    self, Answer as SignedAnswer, Decision, NONCE_LEN, Query, query_digest,
};
use realdid_core::keys::{PublicKey, SigningKey};
use realdid_core::resident_id::ResidentId;
use realdid_proto::tls::{ClientTls, ServerTls};
use realdid_proto::v1 as pb;
use realdid_proto::v1::identity_authority_client::IdentityAuthorityClient;
use realdid_proto::v1::identity_authority_server::{
    IdentityAuthority as AuthorityRpc, IdentityAuthorityServer,
};
use time::OffsetDateTime;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::{Answer, CheckRequest, IdentityAuthority, Verdict};
use crate::IssuerError;

/// Largest request the server reads: the evidence token's 16 KiB and the other fields.
pub const MAX_REQUEST_BYTES: usize = 20 * 1024;

/// Serves an [`IdentityAuthority`] as `realdid.v1.IdentityAuthority`, signing every
/// answer with the authority's key.
#[derive(Debug)]
pub struct AuthorityService<A> {
    authority: A,
    key: SigningKey,
}

impl<A> AuthorityService<A> {
    /// Serves `authority`, signing with `key`.
    pub fn new(authority: A, key: SigningKey) -> Self {
        Self { authority, key }
    }
}

/// The question as signed: the fields exactly as they travel.
fn query_of(request: &CheckRequest) -> Query<'_> {
    Query {
        full_name: &request.full_name,
        resident_id: request.resident_id.as_str(),
        evidence_token: &request.evidence_token,
        request_id: &request.request_id,
    }
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[tonic::async_trait]
impl<A: IdentityAuthority + 'static> AuthorityRpc for AuthorityService<A> {
    async fn check(
        &self,
        request: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        let request = request.into_inner();
        let nonce: [u8; NONCE_LEN] = request.nonce.as_slice().try_into().map_err(|_| {
            IssuerError::InvalidRequest(format!(
                "nonce: {} bytes, exactly {NONCE_LEN} needed",
                request.nonce.len()
            ))
        })?;
        let today = OffsetDateTime::now_utc().date();
        let resident_id = ResidentId::parse(&request.resident_id, today)
            .map_err(|e| IssuerError::InvalidRequest(format!("resident_id: {e}")))?;
        let check = CheckRequest {
            full_name: request.full_name,
            resident_id,
            evidence_token: request.evidence_token,
            request_id: request.request_id,
        };
        let answer = self.authority.check(&check).await?;
        let (result, decision, authority_reference) = match answer.verdict {
            Verdict::Match { reference } => (pb::CheckResult::Match, Decision::Match, reference),
            Verdict::NoMatch => (pb::CheckResult::NoMatch, Decision::NoMatch, String::new()),
            Verdict::Unavailable => (
                pb::CheckResult::Unavailable,
                Decision::Unavailable,
                String::new(),
            ),
        };
        let checked_at_unix_ms = ms(answer.checked_at_ms);
        let signature = authority_answer::sign(
            &self.key,
            &SignedAnswer {
                nonce: &nonce,
                query: query_digest(&query_of(&check)),
                decision,
                reference: &authority_reference,
                checked_at_ms: checked_at_unix_ms,
            },
        )
        .map_err(|e| IssuerError::Internal(format!("signing the answer: {e}")))?;
        Ok(Response::new(pb::CheckResponse {
            result: result as i32,
            authority_reference,
            checked_at_unix_ms,
            signature,
        }))
    }
}

/// Serves `authority` on `listener`, signing every answer with `key`, with reflection (v1,
/// v1alpha) and health, over `tls` when given (an authority answers known issuers only:
/// give it a client CA for mutual TLS), until `shutdown` completes.
pub async fn serve<A: IdentityAuthority + 'static>(
    authority: A,
    key: SigningKey,
    listener: tokio::net::TcpListener,
    tls: Option<&ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IssuerError> {
    let local: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?local, "identity authority serving");
    realdid_proto::server::with_health_and_reflection::<IdentityAuthorityServer<AuthorityService<A>>>(tls)
        .await
        .map_err(IssuerError::Server)?
        .0
        .add_service(
            IdentityAuthorityServer::new(AuthorityService::new(authority, key))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .serve_with_incoming_shutdown(
            // Small answers leave at once (no Nagle delay).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(|e| IssuerError::Server(e.to_string()))
}

/// A remote identity authority, reached over gRPC, whose answers count only when signed by
/// its key.
#[derive(Debug, Clone)]
pub struct GrpcAuthority {
    client: IdentityAuthorityClient<Channel>,
    key: PublicKey,
}

impl GrpcAuthority {
    /// Connects to the authority at `endpoint` (`https://host:port`, or `http://` in
    /// development) by `tls`, whose answers must be signed by `key`.
    pub async fn connect(
        endpoint: String,
        key: PublicKey,
        tls: &ClientTls,
    ) -> Result<Self, IssuerError> {
        let channel = tls
            .connect(&endpoint)
            .await
            .map_err(|e| IssuerError::authority_because(format!("cannot reach {endpoint}"), e))?;
        Ok(Self {
            client: IdentityAuthorityClient::new(channel),
            key,
        })
    }
}

impl IdentityAuthority for GrpcAuthority {
    async fn check(&self, request: &CheckRequest) -> Result<Answer, IssuerError> {
        request.check_limits()?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(IssuerError::Randomness)?;
        let response = self
            .client
            .clone()
            .check(pb::CheckRequest {
                full_name: request.full_name.clone(),
                resident_id: request.resident_id.as_str().to_owned(),
                evidence_token: request.evidence_token.clone(),
                request_id: request.request_id.clone(),
                nonce: nonce.to_vec(),
            })
            .await
            .map_err(|status| {
                IssuerError::authority_because(
                    format!("{:?}: {}", status.code(), status.message()),
                    status,
                )
            })?
            .into_inner();
        let (verdict, decision) = match pb::CheckResult::try_from(response.result) {
            Ok(pb::CheckResult::Match) if !response.authority_reference.is_empty() => (
                Verdict::Match {
                    reference: response.authority_reference.clone(),
                },
                Decision::Match,
            ),
            Ok(pb::CheckResult::NoMatch) => (Verdict::NoMatch, Decision::NoMatch),
            Ok(pb::CheckResult::Unavailable) => (Verdict::Unavailable, Decision::Unavailable),
            _ => {
                return Err(IssuerError::authority(format!(
                    "answer {} is not a decision the contract allows",
                    response.result
                )));
            }
        };
        let signed = SignedAnswer {
            nonce: &nonce,
            query: query_digest(&query_of(request)),
            decision,
            reference: &response.authority_reference,
            checked_at_ms: response.checked_at_unix_ms,
        };
        authority_answer::verify(&self.key, &signed, &response.signature).map_err(|e| {
            IssuerError::authority_because(
                format!(
                    "the answer is not signed by the configured identity authority's key ({e}); \
                     whoever answered is not that authority, or not answering this request"
                ),
                e,
            )
        })?;
        // The authority signed this time; one before the epoch counts as the epoch.
        let checked_at_ms = u64::try_from(response.checked_at_unix_ms).unwrap_or(0);
        Ok(Answer {
            verdict,
            checked_at_ms,
        })
    }
}
