//! Answering a verifier's request: read it, show the person who asks what and why, pick the
//! DID and credential kept for that provider, disclose only what is asked, sign the key
//! binding, and send it (or print it). Every presentation goes into the access log.

use realdid_core::jws::KeySigner;
use realdid_core::presentation_request::RequestObject;
use realdid_core::sd_jwt::{ClaimPath, KeyBindingParams, SdJwt};
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;

use crate::contents::{Delivery, LogEntry};
use crate::{Wallet, WalletError, now_ms};

/// The scheme of a request URI, as a verifier's QR code holds it:
/// `realdid://<host:port>/requests/<request id>`, read over gRPC (GetRequest) at
/// `http://<host:port>`. A deployment behind TLS terminates it in front of the verifier.
pub const REQUEST_URI_SCHEME: &str = "realdid://";

/// A request read from a request URI, with the verifier that holds it.
#[derive(Debug, Clone)]
pub struct FetchedRequest {
    /// The request.
    pub request: RequestObject,
    /// The verifier's gRPC endpoint, where the answer can be sent.
    pub verifier: String,
}

/// Splits a request URI into the verifier's endpoint and the request id.
pub fn parse_request_uri(uri: &str) -> Result<(String, String), WalletError> {
    let bad = |why: &str| WalletError::Request(format!("the request URI {uri:?} {why}"));
    let rest = uri
        .strip_prefix(REQUEST_URI_SCHEME)
        .ok_or_else(|| bad(&format!("does not start with {REQUEST_URI_SCHEME}")))?;
    let (authority, path) = rest.split_once('/').ok_or_else(|| bad("has no path"))?;
    let id = path
        .strip_prefix("requests/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| bad("is not …/requests/<id>"))?;
    if authority.is_empty() {
        return Err(bad("names no host"));
    }
    Ok((format!("http://{authority}"), id.to_owned()))
}

/// Reads the request a request URI names, from its verifier.
pub async fn fetch_request(uri: &str) -> Result<FetchedRequest, WalletError> {
    let (verifier, id) = parse_request_uri(uri)?;
    let mut client = VerifierClient::connect(verifier.clone())
        .await
        .map_err(|e| WalletError::Verifier(format!("{verifier}: {e}")))?;
    let json = client
        .get_request(pb::GetRequestRequest {
            request_id: id.clone(),
        })
        .await
        .map_err(|s| WalletError::Verifier(format!("reading request {id}: {}", s.message())))?
        .into_inner()
        .request_object_json;
    let request = RequestObject::parse(&json).map_err(|e| WalletError::Request(e.to_string()))?;
    if request.request_id != id {
        return Err(WalletError::Request(format!(
            "the verifier answered with request {:?} for {id:?}",
            request.request_id
        )));
    }
    Ok(FetchedRequest { request, verifier })
}

/// What the person is shown before anything is disclosed.
pub fn describe(request: &RequestObject) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "nothing".to_owned()
        } else {
            items.join(", ")
        }
    };
    format!(
        "{} asks to see: {}\n  and to be shown as true: {}\n  for: {}\n  (request {}, open until {} Unix time)",
        request.aud,
        list(&request.claims),
        list(&request.predicates),
        request.purpose,
        request.request_id,
        request.exp
    )
}

/// A presentation ready to leave the wallet.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The request it answers.
    pub request: RequestObject,
    /// The DID it is presented under (the one kept for this provider).
    pub did: realdid_core::did::RealDid,
    /// The credential presented.
    pub credential_id: String,
    /// The claims disclosed: exactly those asked for.
    pub disclosed: Vec<String>,
    /// The presentation, compact SD-JWT with key binding.
    pub presentation: String,
}

/// Builds the answer to `request` at `now_s`: the DID kept for its audience, that DID's
/// newest credential of an accepted type, only the wanted claims disclosed, key-bound to
/// the request's nonce and audience with the DID's device key.
pub fn prepare(
    wallet: &Wallet,
    request: &RequestObject,
    now_s: i64,
) -> Result<Prepared, WalletError> {
    request
        .check()
        .map_err(|e| WalletError::Request(e.to_string()))?;
    if request.exp <= now_s {
        return Err(WalletError::Request(format!(
            "request {} closed at {}",
            request.request_id, request.exp
        )));
    }
    let contents = wallet.contents();
    let entry = contents.did_for(&request.aud).ok_or_else(|| {
        WalletError::NotFound(format!(
            "no DID is kept for {}: create one for it and enrol it first",
            request.aud
        ))
    })?;
    let key = entry.key.key()?;
    let holder = key.public_key();
    // Only a credential bound to the DID's current device key can be key-bound: one issued
    // before a key recovery names the lost key.
    let credential = contents
        .credentials
        .iter()
        .filter(|c| c.did == entry.did)
        .filter(|c| request.credential_types.is_empty() || request.credential_types.contains(&c.vct))
        .filter(|c| c.expires_at.is_none_or(|exp| exp > now_s))
        .filter(|c| holder_key(&c.compact).as_ref() == Some(&holder))
        .max_by_key(|c| c.issued_at)
        .ok_or_else(|| {
            WalletError::NotFound(format!(
                "no usable credential is bound to {} (the DID kept for {}) and its current key; after a key recovery, enrol again",
                entry.did, request.aud
            ))
        })?;
    let sd_jwt =
        SdJwt::parse(&credential.compact).map_err(|e| WalletError::Credential(e.to_string()))?;
    let disclosable = sd_jwt
        .disclosable_paths()
        .map_err(|e| WalletError::Credential(e.to_string()))?;
    // A predicate the credential holds as false is not disclosed: that would tell the
    // provider the opposite of what it asked, and it would refuse anyway.
    let claims = sd_jwt
        .claims()
        .map_err(|e| WalletError::Credential(e.to_string()))?;
    if let Some(unmet) = request
        .predicates
        .iter()
        .find(|p| claims.get(p.as_str()) != Some(&serde_json::Value::Bool(true)))
    {
        return Err(WalletError::Request(format!(
            "credential {} does not show {unmet:?} as true; nothing was disclosed",
            credential.id
        )));
    }
    let mut reveal = Vec::new();
    let mut disclosed = Vec::new();
    for name in request.wanted() {
        let path = ClaimPath::root().key(name);
        if !disclosable.contains(&path) {
            return Err(WalletError::Request(format!(
                "credential {} cannot show {name:?}",
                credential.id
            )));
        }
        reveal.push(path);
        disclosed.push(name.to_owned());
    }
    let presentation = sd_jwt
        .present(&reveal)
        .map_err(|e| WalletError::Credential(e.to_string()))?
        .bind(
            &KeyBindingParams {
                nonce: request.nonce.clone(),
                audience: request.aud.clone(),
                issued_at: now_s,
            },
            &KeySigner::new(key),
        )
        .map_err(|e| WalletError::Credential(e.to_string()))?
        .to_compact();
    Ok(Prepared {
        request: request.clone(),
        did: entry.did.clone(),
        credential_id: credential.id.clone(),
        disclosed,
        presentation,
    })
}

/// The holder key (`cnf.jwk`) a credential is bound to.
pub(crate) fn holder_key(compact: &str) -> Option<realdid_core::keys::PublicKey> {
    let payload = SdJwt::parse(compact).ok()?.payload().ok()?;
    let jwk = payload.get("cnf")?.get("jwk")?;
    realdid_core::keys::Jwk::from_value(jwk)
        .ok()?
        .to_public_key()
        .ok()
}

fn log(wallet: &mut Wallet, prepared: &Prepared, delivery: Delivery) -> Result<(), WalletError> {
    let entry = LogEntry {
        at_ms: now_ms(),
        audience: prepared.request.aud.clone(),
        purpose: prepared.request.purpose.clone(),
        request_id: prepared.request.request_id.clone(),
        did: prepared.did.clone(),
        credential_id: prepared.credential_id.clone(),
        disclosed: prepared.disclosed.clone(),
        delivery,
    };
    wallet.update(|c| {
        c.log.push(entry);
        Ok(())
    })
}

/// Records a presentation handed out by other means (printed).
pub fn record_printed(wallet: &mut Wallet, prepared: &Prepared) -> Result<(), WalletError> {
    log(wallet, prepared, Delivery::Printed)
}

/// What the verifier told the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted.
    Verified,
    /// Refused, with the verifier's reason and detail.
    Refused {
        /// The reason's name.
        reason: String,
        /// Detail.
        message: String,
    },
}

/// Sends the presentation to the verifier at `endpoint` (SubmitPresentation) and logs it
/// with the verdict. The log entry is written even when the verifier refuses: the claims
/// left the wallet either way.
pub async fn send(
    wallet: &mut Wallet,
    prepared: &Prepared,
    endpoint: &str,
) -> Result<Verdict, WalletError> {
    let mut client = VerifierClient::connect(endpoint.to_owned())
        .await
        .map_err(|e| WalletError::Verifier(format!("{endpoint}: {e}")))?;
    let answer = client
        .submit_presentation(pb::SubmitPresentationRequest {
            request_id: prepared.request.request_id.clone(),
            presentation: prepared.presentation.clone(),
        })
        .await;
    let verdict = match &answer {
        Ok(r) if r.get_ref().verified => Verdict::Verified,
        Ok(r) => Verdict::Refused {
            reason: r.get_ref().reason().as_str_name().to_owned(),
            message: r.get_ref().message.clone(),
        },
        Err(status) => Verdict::Refused {
            reason: format!("{:?}", status.code()),
            message: status.message().to_owned(),
        },
    };
    log(
        wallet,
        prepared,
        Delivery::Sent {
            verifier: endpoint.to_owned(),
            verdict: match &verdict {
                Verdict::Verified => "verified".into(),
                Verdict::Refused { reason, .. } => reason.clone(),
            },
        },
    )?;
    if let Err(status) = answer {
        return Err(WalletError::Verifier(format!(
            "{endpoint}: {} ({:?})",
            status.message(),
            status.code()
        )));
    }
    Ok(verdict)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_uris_name_the_verifier_and_the_request() {
        assert_eq!(
            parse_request_uri("realdid://127.0.0.1:5009/requests/abc").unwrap(),
            ("http://127.0.0.1:5009".to_owned(), "abc".to_owned())
        );
        for bad in [
            "https://x/requests/abc",
            "realdid://x",
            "realdid://x/requests/",
            "realdid:///requests/abc",
            "realdid://x/other/abc",
            "realdid://x/requests/a/b",
        ] {
            assert!(parse_request_uri(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod prepare_tests {
    use realdid_core::did::KeyId;
    use realdid_core::keys::{Algorithm, SigningKey};
    use realdid_core::sd_jwt::{SdJwtVcIssuance, issue_sd_jwt_vc};

    use super::*;
    use crate::contents::{DidEntry, Origin, StoredKey};
    use crate::keystore::KdfParams;

    const BANK: &str = "https://bank.example";

    /// A wallet with one DID for the bank and a credential bound to its key.
    fn wallet(dir: &std::path::Path) -> Wallet {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let did = realdid_core::did::RealDid::from_suffix([7; 32]);
        let mut w =
            Wallet::create(&dir.join("w"), "a good passphrase", KdfParams::MINIMUM).unwrap();
        w.update(|c| {
            c.dids.push(DidEntry {
                did: did.clone(),
                provider: Some(BANK.into()),
                key_id: KeyId::first(),
                key: StoredKey::new(&key)?,
                recovery_key: StoredKey::new(&SigningKey::generate(Algorithm::EdDsa).unwrap())?,
                version: 1,
                last_operation: String::new(),
                deactivated: false,
                created_ms: 0,
                next: None,
            });
            Ok(())
        })
        .unwrap();
        let issuer = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let mut issuance = SdJwtVcIssuance::new("did:realdid:issuer", "identity");
        issuance.holder_key = Some(key.public_key());
        issuance.issued_at = Some(1);
        for (name, value) in [
            ("province", serde_json::json!("110000")),
            ("age_over_18", true.into()),
            ("age_over_60", false.into()),
        ] {
            issuance.claims.insert(name.into(), value);
            issuance.disclosable.push(ClaimPath::root().key(name));
        }
        issuance.claims.insert("sub".into(), did.to_string().into());
        let credential = issue_sd_jwt_vc(issuance, &KeySigner::new(issuer)).unwrap();
        w.add_credential(&credential.to_compact(), Origin::Import)
            .unwrap();
        w
    }

    fn request(aud: &str, claims: &[&str], predicates: &[&str]) -> RequestObject {
        RequestObject {
            request_id: "r".into(),
            nonce: "n".into(),
            aud: aud.into(),
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
            predicates: predicates.iter().map(|c| (*c).to_owned()).collect(),
            credential_types: vec![],
            purpose: "p".into(),
            exp: 100,
        }
    }

    #[test]
    fn discloses_exactly_what_is_asked_under_the_providers_did() {
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(dir.path());
        let p = prepare(&w, &request(BANK, &[], &["age_over_18"]), 10).unwrap();
        assert_eq!(p.disclosed, vec!["age_over_18"]);
        // The issuer JWT, one disclosure, the KB-JWT: the province stays hidden.
        assert_eq!(p.presentation.split('~').count(), 3);
        assert_eq!(p.did, w.contents().dids[0].did);
    }

    #[test]
    fn refuses_what_it_cannot_or_should_not_answer() {
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(dir.path());
        let cases = [
            (
                request("https://shop.example", &["province"], &[]),
                "no DID",
            ),
            (request(BANK, &[], &["age_over_60"]), "as true"),
            (request(BANK, &["name"], &[]), "cannot show"),
            (request(BANK, &["sub"], &[]), "describes the credential"),
        ];
        for (r, why) in cases {
            let e = prepare(&w, &r, 10).unwrap_err().to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
        let e = prepare(&w, &request(BANK, &["province"], &[]), 100).unwrap_err();
        assert!(e.to_string().contains("closed"), "{e}");
    }
}
