//! The authority over gRPC: a server for any [`IdentityAuthority`] (`realdid authority`
//! serves the reference one) and a client that is itself an [`IdentityAuthority`], so the
//! issuer talks to a remote authority exactly as to a local one.

use std::net::SocketAddr;

use realdid_core::resident_id::ResidentId;
use realdid_proto::v1 as pb;
use realdid_proto::v1::identity_authority_client::IdentityAuthorityClient;
use realdid_proto::v1::identity_authority_server::{
    IdentityAuthority as AuthorityRpc, IdentityAuthorityServer,
};
use time::OffsetDateTime;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::{Answer, CheckRequest, IdentityAuthority, Verdict, now_ms};
use crate::IssuerError;

/// Largest request the server reads: the evidence token's 16 KiB and the other fields.
pub const MAX_REQUEST_BYTES: usize = 20 * 1024;

/// Serves an [`IdentityAuthority`] as `realdid.v1.IdentityAuthority`.
#[derive(Debug)]
pub struct AuthorityService<A> {
    authority: A,
}

impl<A> AuthorityService<A> {
    /// Serves `authority`.
    pub fn new(authority: A) -> Self {
        Self { authority }
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
        let (result, authority_reference) = match answer.verdict {
            Verdict::Match { reference } => (pb::CheckResult::Match, reference),
            Verdict::NoMatch => (pb::CheckResult::NoMatch, String::new()),
            Verdict::Unavailable => (pb::CheckResult::Unavailable, String::new()),
        };
        Ok(Response::new(pb::CheckResponse {
            result: result as i32,
            authority_reference,
            checked_at_unix_ms: ms(answer.checked_at_ms),
        }))
    }
}

/// Serves `authority` on `listener`, with reflection (v1, v1alpha) and health, until
/// `shutdown` completes.
pub async fn serve<A: IdentityAuthority + 'static>(
    authority: A,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IssuerError> {
    let local: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?local, "identity authority serving");
    realdid_proto::server::with_health_and_reflection::<IdentityAuthorityServer<AuthorityService<A>>>()
        .await
        .map_err(IssuerError::Server)?
        .add_service(
            IdentityAuthorityServer::new(AuthorityService::new(authority))
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

/// A remote identity authority, reached over gRPC.
#[derive(Debug, Clone)]
pub struct GrpcAuthority {
    client: IdentityAuthorityClient<Channel>,
}

impl GrpcAuthority {
    /// Connects to the authority at `endpoint` (`http://host:port`).
    pub async fn connect(endpoint: String) -> Result<Self, IssuerError> {
        let client = IdentityAuthorityClient::connect(endpoint.clone())
            .await
            .map_err(|e| IssuerError::Authority(format!("cannot reach {endpoint}: {e}")))?;
        Ok(Self { client })
    }
}

impl IdentityAuthority for GrpcAuthority {
    async fn check(&self, request: &CheckRequest) -> Result<Answer, IssuerError> {
        request.check_limits()?;
        let response = self
            .client
            .clone()
            .check(pb::CheckRequest {
                full_name: request.full_name.clone(),
                resident_id: request.resident_id.as_str().to_owned(),
                evidence_token: request.evidence_token.clone(),
                request_id: request.request_id.clone(),
            })
            .await
            .map_err(|status| {
                IssuerError::Authority(format!("{:?}: {}", status.code(), status.message()))
            })?
            .into_inner();
        let verdict = match pb::CheckResult::try_from(response.result) {
            Ok(pb::CheckResult::Match) if !response.authority_reference.is_empty() => {
                Verdict::Match {
                    reference: response.authority_reference,
                }
            }
            Ok(pb::CheckResult::NoMatch) => Verdict::NoMatch,
            Ok(pb::CheckResult::Unavailable) => Verdict::Unavailable,
            _ => {
                return Err(IssuerError::Authority(format!(
                    "answer {} is not a decision the contract allows",
                    response.result
                )));
            }
        };
        let checked_at_ms = u64::try_from(response.checked_at_unix_ms).unwrap_or(now_ms());
        Ok(Answer {
            verdict,
            checked_at_ms,
        })
    }
}
