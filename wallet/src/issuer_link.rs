//! The wallet's side of the issuer's protocol (realdid.v1.Issuer): enrolment with a batch
//! of DIDs and their proofs of control, and suspending one's own credentials.

use std::time::Duration;

use realdid_core::control_proof::sign_control_proof;
use realdid_core::did::RealDid;
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use tonic::transport::Channel;

use crate::contents::Origin;
use crate::error::Service;
use crate::{Wallet, WalletError};

/// What a person gives the issuer.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// Full legal name.
    pub full_name: String,
    /// Resident identity number.
    pub resident_id: String,
    /// The evidence token the identity authority checks.
    pub evidence_token: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity(…)")
    }
}

/// A connection to one issuer, with its DID.
#[derive(Debug, Clone)]
pub struct IssuerLink {
    client: IssuerClient<Channel>,
    did: RealDid,
}

/// The credentials an enrolment stored: (DID, credential id) in the order of the DIDs.
pub type Enrolled = Vec<(RealDid, String)>;

/// The waits before each new attempt at an enrolment that got no decision: about 20 s in
/// all, longer than an issuer takes to restart.
pub const ENROL_RETRY_DELAYS: [Duration; 8] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(4),
    Duration::from_secs(4),
    Duration::from_secs(4),
];

/// Whether `error` ended an enrolment attempt without the issuer's decision, so that asking
/// again is safe and may succeed: no answer (down, restarting, a broken connection, busy),
/// or a refusal of the nonce alone (one from an issuer that has restarted since).
fn undecided(error: &WalletError) -> bool {
    use tonic::Code;
    match error {
        WalletError::Call { status, .. } => matches!(
            status.code(),
            Code::Unavailable
                | Code::Unknown
                | Code::DeadlineExceeded
                | Code::Cancelled
                | Code::ResourceExhausted
                | Code::Aborted
                | Code::Internal
        ),
        WalletError::EnrolmentRefused { reason, .. } => {
            reason == pb::EnrolmentRefusalReason::NonceInvalid.as_str_name()
        }
        _ => false,
    }
}

impl IssuerLink {
    /// Connects to the issuer at `endpoint` and reads its DID.
    pub async fn connect(endpoint: &str) -> Result<Self, WalletError> {
        Self::connect_with(endpoint, &ClientTls::default()).await
    }

    /// Connects to the issuer at `endpoint` by `tls` (an `https://` endpoint over TLS,
    /// checked against its CA) and reads its DID.
    pub async fn connect_with(endpoint: &str, tls: &ClientTls) -> Result<Self, WalletError> {
        let channel = tls
            .connect(endpoint)
            .await
            .map_err(WalletError::unreachable(Service::Issuer, endpoint))?;
        Self::over(channel).await
    }

    /// Talks to the issuer over `channel`, connected by the caller (a load generator that
    /// stands for many citizens connects from several source addresses), and reads its DID.
    pub async fn over(channel: tonic::transport::Channel) -> Result<Self, WalletError> {
        let mut client = IssuerClient::new(channel);
        let info = client
            .get_issuer_info(pb::GetIssuerInfoRequest {})
            .await
            .map_err(WalletError::call(
                Service::Issuer,
                "reading the issuer's information",
            ))?
            .into_inner();
        let did = info
            .issuer_did
            .parse()
            .map_err(|e| WalletError::Issuer(format!("its DID {:?}: {e}", info.issuer_did)))?;
        Ok(Self { client, did })
    }

    /// The issuer's DID.
    pub fn did(&self) -> &RealDid {
        &self.did
    }

    async fn nonce(&mut self, purpose: pb::NoncePurpose) -> Result<String, WalletError> {
        Ok(self
            .client
            .create_nonce(pb::CreateNonceRequest {
                purpose: purpose as i32,
            })
            .await
            .map_err(WalletError::call(Service::Issuer, "getting a nonce"))?
            .into_inner()
            .nonce)
    }

    fn proof(
        &self,
        wallet: &Wallet,
        did: &RealDid,
        nonce: &str,
    ) -> Result<pb::DidControlProof, WalletError> {
        let entry = wallet.contents().did(did)?;
        let proof = sign_control_proof(
            did,
            &entry.key_id,
            &entry.key.key()?,
            nonce,
            self.did.as_str(),
            wallet.now().as_secs(),
        )
        .map_err(WalletError::keys)?;
        Ok(pb::DidControlProof {
            did: did.to_string(),
            proof_jws: proof,
        })
    }

    /// Enrols `person` with `dids` (each of this wallet, each proven by its device key) and
    /// stores the credentials issued, one per DID.
    ///
    /// An attempt that ends without the issuer's decision (it is down or restarting, the
    /// connection broke, it is busy, or the nonce was one a restarted issuer no longer
    /// knows) is made again, up to [`ENROL_RETRY_DELAYS`], with a fresh nonce and the same
    /// holder-tag key. If the issuer had committed the enrolment before its answer was lost,
    /// it recognises the same wallet by that key and gives the same credentials again, so
    /// asking again never enrols twice.
    pub async fn enrol(
        &mut self,
        wallet: &mut Wallet,
        person: &Identity,
        dids: &[RealDid],
    ) -> Result<Enrolled, WalletError> {
        let mut tag_key = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(tag_key.as_mut()).map_err(|e| {
            WalletError::Issuer(format!("no randomness for the holder tag key: {e}"))
        })?;
        let mut delays = ENROL_RETRY_DELAYS.iter();
        let issued = loop {
            match self.enrol_once(wallet, person, dids, &tag_key).await {
                Ok(issued) => break issued,
                Err(e) if undecided(&e) => match delays.next() {
                    Some(delay) => tokio::time::sleep(*delay).await,
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            }
        };
        let entry = crate::contents::TraceKeyEntry {
            issuer: self.did.clone(),
            enrolment_id: issued.enrolment_id.clone(),
            dids: dids.to_vec(),
            key: hex::encode(*tag_key),
        };
        wallet.update(|c| {
            c.trace_keys.push(entry);
            Ok(())
        })?;
        let mut stored = Vec::with_capacity(issued.credentials.len());
        for credential in issued.credentials {
            let id = wallet.add_credential(
                &credential.sd_jwt_vc,
                Origin::Enrolment {
                    enrolment_id: issued.enrolment_id.clone(),
                    credential_id: credential.credential_id,
                },
            )?;
            let did = credential.did.parse().map_err(|e| {
                WalletError::Issuer(format!("issued for {:?}: {e}", credential.did))
            })?;
            stored.push((did, id));
        }
        Ok(stored)
    }

    /// One enrolment attempt: a nonce, the proofs of control over it, and the issuer's
    /// answer.
    async fn enrol_once(
        &mut self,
        wallet: &Wallet,
        person: &Identity,
        dids: &[RealDid],
        tag_key: &[u8; 32],
    ) -> Result<pb::EnrolmentIssued, WalletError> {
        let nonce = self.nonce(pb::NoncePurpose::Enrol).await?;
        let proofs = dids
            .iter()
            .map(|did| self.proof(wallet, did, &nonce))
            .collect::<Result<Vec<_>, _>>()?;
        let answer = self
            .client
            .enrol(pb::EnrolRequest {
                nonce,
                full_name: person.full_name.clone(),
                resident_id: person.resident_id.clone(),
                evidence_token: person.evidence_token.clone(),
                dids: proofs,
                credential_type: String::new(),
                holder_tag_key: tag_key.to_vec(),
            })
            .await
            .map_err(WalletError::call(Service::Issuer, "enrolment"))?
            .into_inner();
        match answer.result {
            Some(pb::enrol_response::Result::Issued(issued)) => Ok(issued),
            Some(pb::enrol_response::Result::Refused(r)) => Err(WalletError::EnrolmentRefused {
                reason: r.reason().as_str_name().to_owned(),
                message: r.message,
            }),
            None => Err(WalletError::Issuer("enrolment: an empty answer".into())),
        }
    }

    /// Suspends the credentials of `did` (and, with `whole_enrolment`, of every DID enrolled
    /// with it: a lost device holds them all). Returns the credential ids now suspended.
    pub async fn suspend(
        &mut self,
        wallet: &Wallet,
        did: &RealDid,
        whole_enrolment: bool,
    ) -> Result<Vec<String>, WalletError> {
        let nonce = self.nonce(pb::NoncePurpose::Suspend).await?;
        let proof = self.proof(wallet, did, &nonce)?;
        Ok(self
            .client
            .suspend_self(pb::SuspendSelfRequest {
                nonce,
                proof: Some(proof),
                whole_enrolment,
            })
            .await
            .map_err(WalletError::call(Service::Issuer, "suspension"))?
            .into_inner()
            .credential_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(code: tonic::Code) -> WalletError {
        WalletError::call(Service::Issuer, "enrolment")(tonic::Status::new(code, "x"))
    }

    fn refused(reason: pb::EnrolmentRefusalReason) -> WalletError {
        WalletError::EnrolmentRefused {
            reason: reason.as_str_name().to_owned(),
            message: String::new(),
        }
    }

    /// Asked again: what ended without the issuer's decision. Not asked again: a decision,
    /// or a request the issuer could never accept.
    #[test]
    fn only_an_attempt_without_a_decision_is_made_again() {
        use pb::EnrolmentRefusalReason as R;
        use tonic::Code;
        for code in [Code::Unavailable, Code::Unknown, Code::ResourceExhausted] {
            assert!(undecided(&call(code)), "{code:?}");
        }
        assert!(undecided(&refused(R::NonceInvalid)));
        for code in [
            Code::InvalidArgument,
            Code::PermissionDenied,
            Code::FailedPrecondition,
        ] {
            assert!(!undecided(&call(code)), "{code:?}");
        }
        for reason in [R::DidAlreadyEnrolled, R::IdentityNoMatch, R::Policy] {
            assert!(!undecided(&refused(reason)), "{reason:?}");
        }
        assert!(!undecided(&WalletError::Issuer("no result".into())));
    }
}
