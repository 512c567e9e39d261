//! `realdid.v1.VerifierAdmin`: the verifier's figures for its operators. Operators are
//! known by a bearer token or, where mutual TLS is configured, by their client
//! certificate; providers' tokens open nothing here. Nothing it returns is personal data.

use std::sync::Arc;

use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_admin_server::VerifierAdmin;
use sha2::{Digest as _, Sha256};
use tonic::{Request, Response, Status};

use crate::VerifierError;
use crate::config::OperatorConfig;
use crate::service::VerifierService;

/// Status lists returned at most.
pub const MAX_HELD_LISTS: usize = 256;

/// The operator service over a running verifier.
#[derive(Debug)]
pub struct AdminService {
    verifier: Arc<VerifierService>,
    operators: Vec<OperatorConfig>,
}

impl AdminService {
    /// The figures of `verifier`, for `operators`.
    pub fn new(verifier: Arc<VerifierService>, operators: Vec<OperatorConfig>) -> Self {
        Self {
            verifier,
            operators,
        }
    }

    /// The operator the call comes from: by its bearer token when it sends one, else by
    /// its client certificate.
    fn operator<T>(&self, request: &Request<T>) -> Result<&OperatorConfig, VerifierError> {
        let matches = |configured: &Option<String>, digest: &str| {
            configured
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(digest))
        };
        if let Some(value) = request.metadata().get("authorization") {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    VerifierError::Unauthenticated(
                        "authorization: send `Bearer <operator token>`".into(),
                    )
                })?;
            let digest = hex::encode(Sha256::digest(token.as_bytes()));
            return self
                .operators
                .iter()
                .find(|o| matches(&o.token_sha256, &digest))
                .ok_or_else(|| VerifierError::Unauthenticated("not an operator's token".into()));
        }
        let certs = request.peer_certs().ok_or_else(|| {
            VerifierError::Unauthenticated(
                "send `authorization: Bearer <operator token>`, or an operator's client \
                 certificate"
                    .into(),
            )
        })?;
        let digest = certs
            .first()
            .map(|cert| hex::encode(Sha256::digest(cert.as_ref())))
            .unwrap_or_default();
        self.operators
            .iter()
            .find(|o| matches(&o.cert_sha256, &digest))
            .ok_or_else(|| {
                VerifierError::Unauthenticated("the client certificate is not an operator's".into())
            })
    }
}

#[tonic::async_trait]
impl VerifierAdmin for AdminService {
    async fn get_verifier_stats(
        &self,
        request: Request<pb::GetVerifierStatsRequest>,
    ) -> Result<Response<pb::GetVerifierStatsResponse>, Status> {
        let operator = self.operator(&request)?;
        tracing::debug!(operator = %operator.id, "figures read");
        let mut stats = self.verifier.stats().snapshot();
        stats.status_lists = self
            .verifier
            .held_lists(MAX_HELD_LISTS)
            .into_iter()
            .map(|list| pb::HeldStatusList {
                issuer_did: list.issuer.to_string(),
                uri: list.uri,
                proven_height: list.proven_height,
                sequence: list.sequence,
                list_sha256: hex::encode(list.hash),
                revoked: list.tally.revoked,
                suspended: list.tally.suspended,
                checked_at_unix_ms: list.checked_at_ms,
                expires_at_unix_ms: list.expires_at_ms,
            })
            .collect();
        Ok(Response::new(stats))
    }
}
