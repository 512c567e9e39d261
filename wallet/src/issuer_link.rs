//! The wallet's side of the issuer's protocol (realdid.v1.Issuer): enrolment with a batch
//! of DIDs and their proofs of control, and suspending one's own credentials.

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
    pub async fn enrol(
        &mut self,
        wallet: &mut Wallet,
        person: &Identity,
        dids: &[RealDid],
    ) -> Result<Enrolled, WalletError> {
        let nonce = self.nonce(pb::NoncePurpose::Enrol).await?;
        let proofs = dids
            .iter()
            .map(|did| self.proof(wallet, did, &nonce))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tag_key = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(tag_key.as_mut()).map_err(|e| {
            WalletError::Issuer(format!("no randomness for the holder tag key: {e}"))
        })?;
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
        let issued = match answer.result {
            Some(pb::enrol_response::Result::Issued(issued)) => issued,
            Some(pb::enrol_response::Result::Refused(r)) => {
                return Err(WalletError::EnrolmentRefused {
                    reason: r.reason().as_str_name().to_owned(),
                    message: r.message,
                });
            }
            None => return Err(WalletError::Issuer("enrolment: an empty answer".into())),
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
