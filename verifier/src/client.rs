//! The provider's client: the Verifier service over gRPC with typed results, the same
//! [`Outcome`] an in-process [`Checks`](crate::verify::Checks) returns.

use std::collections::BTreeMap;

use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use tonic::transport::Channel;

use crate::VerifierError;
use crate::requests::RequestSpec;
use crate::verify::reason::{Failure, FailureReason, Outcome, Verified};

/// A created request, as the provider hands it to the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedRequest {
    /// Its id (for VerifyPresentation).
    pub request_id: String,
    /// Its nonce.
    pub nonce: String,
    /// The signed request object a wallet reads.
    pub request_object: String,
    /// The provider's DID, which signed it.
    pub client_id: String,
    /// The URI for a QR code.
    pub request_uri: String,
    /// When it closes, Unix ms.
    pub expires_at_ms: i64,
}

/// A provider's connection to a verifier.
#[derive(Debug, Clone)]
pub struct ProviderClient {
    inner: VerifierClient<Channel>,
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

fn from_status(status: tonic::Status) -> VerifierError {
    let message = status.message().to_owned();
    match status.code() {
        tonic::Code::InvalidArgument => VerifierError::InvalidRequest(message),
        tonic::Code::Unauthenticated => VerifierError::Unauthenticated(message),
        tonic::Code::PermissionDenied => VerifierError::PermissionDenied(message),
        tonic::Code::NotFound => VerifierError::NotFound(message),
        tonic::Code::Unavailable => VerifierError::Unavailable(message),
        _ => VerifierError::Server(format!("{:?}: {message}", status.code())),
    }
}

fn reason(r: pb::VerificationFailureReason) -> FailureReason {
    use pb::VerificationFailureReason as P;
    match r {
        P::RequestUnknown | P::Unspecified => FailureReason::RequestUnknown,
        P::RequestExpired => FailureReason::RequestExpired,
        P::NonceReplayed => FailureReason::NonceReplayed,
        P::Malformed => FailureReason::Malformed,
        P::IssuerDidState => FailureReason::IssuerDidState,
        P::IssuerSignature => FailureReason::IssuerSignature,
        P::IssuerNotAccredited => FailureReason::IssuerNotAccredited,
        P::CredentialTypeNotAccepted => FailureReason::CredentialTypeNotAccepted,
        P::NotYetValid => FailureReason::NotYetValid,
        P::Expired => FailureReason::Expired,
        P::HolderDidState => FailureReason::HolderDidState,
        P::HolderBinding => FailureReason::HolderBinding,
        P::AudienceMismatch => FailureReason::AudienceMismatch,
        P::NonceMismatch => FailureReason::NonceMismatch,
        P::StatusUnavailable => FailureReason::StatusUnavailable,
        P::Revoked => FailureReason::Revoked,
        P::Suspended => FailureReason::Suspended,
        P::PolicyClaimMissing => FailureReason::PolicyClaimMissing,
        P::PolicyPredicateUnsatisfied => FailureReason::PolicyPredicateUnsatisfied,
        P::RegistryUnavailable => FailureReason::RegistryUnavailable,
    }
}

impl ProviderClient {
    /// Connects to `endpoint` with the provider's bearer `token`; an `https://` endpoint is
    /// trusted by the system's roots ([`ProviderClient::connect_with`] names a CA).
    pub async fn connect(endpoint: String, token: &str) -> Result<Self, VerifierError> {
        Self::connect_with(endpoint, token, &ClientTls::default()).await
    }

    /// Connects to `endpoint` by `tls` (the bearer token travels only over TLS to an
    /// `https://` endpoint) with the provider's bearer `token`.
    pub async fn connect_with(
        endpoint: String,
        token: &str,
        tls: &ClientTls,
    ) -> Result<Self, VerifierError> {
        let channel = tls
            .connect(&endpoint)
            .await
            .map_err(|e| VerifierError::Unavailable(format!("cannot reach {endpoint}: {e}")))?;
        let inner = VerifierClient::new(channel);
        let authorization = format!("Bearer {token}")
            .parse()
            .map_err(|_| VerifierError::Config("the token is not ASCII".into()))?;
        Ok(Self {
            inner,
            authorization,
        })
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        request
    }

    /// Creates a presentation request.
    pub async fn create_request(
        &mut self,
        spec: &RequestSpec,
    ) -> Result<CreatedRequest, VerifierError> {
        let message = pb::CreatePresentationRequestRequest {
            claims: spec.claims.clone(),
            predicates: spec.predicates.clone(),
            purpose: spec.purpose.clone(),
            expiry_seconds: spec.expiry_seconds,
            credential_types: spec.credential_types.clone(),
        };
        let r = self
            .inner
            .create_presentation_request(self.request(message))
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(CreatedRequest {
            request_id: r.request_id,
            nonce: r.nonce,
            request_object: r.request_object,
            client_id: r.client_id,
            request_uri: r.request_uri,
            expires_at_ms: r.expires_at_unix_ms,
        })
    }

    /// Verifies a presentation against a request this provider created.
    pub async fn verify(
        &mut self,
        request_id: &str,
        presentation: &str,
    ) -> Result<Outcome, VerifierError> {
        let message = pb::VerifyPresentationRequest {
            request_id: request_id.to_owned(),
            presentation: presentation.to_owned(),
        };
        let answer = self
            .inner
            .verify_presentation(self.request(message))
            .await
            .map_err(from_status)?
            .into_inner();
        outcome(answer)
    }

    /// The verdict on the presentation a wallet submitted itself for a request this
    /// provider created; `NotFound` while none was submitted.
    pub async fn result(&mut self, request_id: &str) -> Result<Outcome, VerifierError> {
        let message = pb::GetResultRequest {
            request_id: request_id.to_owned(),
        };
        let answer = self
            .inner
            .get_result(self.request(message))
            .await
            .map_err(from_status)?
            .into_inner()
            .verdict
            .ok_or_else(|| VerifierError::Server("an answer with no verdict".into()))?;
        outcome(answer)
    }
}

fn outcome(answer: pb::VerifyPresentationResponse) -> Result<Outcome, VerifierError> {
    match answer.result {
        Some(pb::verify_presentation_response::Result::Verified(v)) => {
            Ok(Outcome::Verified(Verified {
                claims: v.claims.into_iter().collect::<BTreeMap<_, _>>(),
                predicates: v.predicates,
                issuer_did: v.issuer_did,
                credential_type: v.credential_type,
                subject_id: v.subject_id,
                issued_at_ms: v.issued_at_unix_ms,
                expires_at_ms: v.expires_at_unix_ms,
                verified_at_ms: v.verified_at_unix_ms,
                registry_height: v.registry_height,
            }))
        }
        Some(pb::verify_presentation_response::Result::Failure(f)) => {
            Ok(Outcome::Failed(Failure {
                reason: reason(f.reason()),
                message: f.message,
                claim: f.claim,
            }))
        }
        None => Err(VerifierError::Server("an answer with no result".into())),
    }
}
