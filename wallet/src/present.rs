//! Answering a verifier's request: check that the provider's own DID signed it, show the
//! person which provider asks what and why, pick the DID and credential kept for that
//! provider, disclose only what is asked, sign the key binding, and send it to the address
//! the provider signed (or print it). Every presentation goes into the access log.
//!
//! The DID a request is answered under comes from the DID whose key signed it, checked
//! against the registry's proven state, never from anything the request merely states: a
//! shop cannot ask as the bank and learn the citizen's bank DID.

use realdid_core::jws::KeySigner;
use realdid_core::presentation_request::{SignedRequest, VerifiedRequest};
use realdid_core::sd_jwt::{ClaimPath, KeyBindingParams, SdJwt};
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry_client::gateway::RegistryGateway;
use tonic::transport::Channel;

use crate::contents::{Delivery, LogEntry};
use crate::error::Service;
use crate::{Wallet, WalletError};

/// The scheme of a request URI, as a verifier's QR code holds it:
/// `realdid://<host:port>/requests/<request id>`, read over gRPC (GetRequest) at
/// `https://<host:port>` ([`Transport`]).
pub const REQUEST_URI_SCHEME: &str = "realdid://";

/// How the wallet reaches the verifiers that request URIs name: over TLS, trusting the
/// system's roots unless a CA is given; in plaintext only when asked (a development
/// network). A verifier's address comes from a QR code anyone can print, so TLS is what
/// keeps the claims from being read on the way, and the registry-proven request signature
/// what keeps them from going to a provider that did not ask.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    tls: ClientTls,
    plaintext: bool,
}

impl Transport {
    /// TLS by `tls`.
    pub fn tls(tls: ClientTls) -> Self {
        Self {
            tls,
            plaintext: false,
        }
    }

    /// Plaintext: for a development network only.
    pub fn plaintext() -> Self {
        Self {
            tls: ClientTls::default(),
            plaintext: true,
        }
    }

    /// The gRPC endpoint of the verifier at `authority` (`host:port`).
    pub fn endpoint(&self, authority: &str) -> String {
        let scheme = if self.plaintext { "http" } else { "https" };
        format!("{scheme}://{authority}")
    }

    async fn verifier(&self, authority: &str) -> Result<VerifierClient<Channel>, WalletError> {
        let endpoint = self.endpoint(authority);
        let channel = self
            .tls
            .connect(&endpoint)
            .await
            .map_err(WalletError::unreachable(Service::Verifier, &endpoint))?;
        Ok(VerifierClient::new(channel))
    }
}

/// Splits a request URI into the verifier's address (`host:port`) and the request id.
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
    Ok((authority.to_owned(), id.to_owned()))
}

/// Checks a signed request against its provider's DID as the registry proves it now: a
/// key the provider's current document lists for assertion signed it, and the DID is live.
pub async fn verify_request(
    jws: &str,
    registry: &RegistryGateway,
) -> Result<VerifiedRequest, WalletError> {
    let refused = |e: realdid_core::presentation_request::SignedRequestError| {
        WalletError::Request(format!("the request is not answered: {e}"))
    };
    let signed = SignedRequest::parse(jws.trim()).map_err(refused)?;
    let provider = signed.provider().clone();
    let record = registry.resolve_did(&provider).await?.ok_or_else(|| {
        WalletError::Request(format!(
            "the request is not answered: its provider {provider} is not on the registry"
        ))
    })?;
    let verified = signed.verify(&record.state).map_err(refused)?;
    // Where the answer goes must be a request URI for this very request.
    let (_, id) = parse_request_uri(&verified.object().response_uri)?;
    if id != verified.object().request_id {
        return Err(WalletError::Request(format!(
            "the request's response_uri names request {id:?}, not {:?}",
            verified.object().request_id
        )));
    }
    Ok(verified)
}

/// Reads the request a request URI names, from its verifier (reached by `transport`), and
/// checks its signature ([`verify_request`]).
pub async fn fetch_request(
    uri: &str,
    registry: &RegistryGateway,
    transport: &Transport,
) -> Result<VerifiedRequest, WalletError> {
    let (verifier, id) = parse_request_uri(uri)?;
    let mut client = transport.verifier(&verifier).await?;
    let jws = client
        .get_request(pb::GetRequestRequest {
            request_id: id.clone(),
        })
        .await
        .map_err(WalletError::call(
            Service::Verifier,
            format!("reading request {id}"),
        ))?
        .into_inner()
        .request_object;
    let request = verify_request(&jws, registry).await?;
    if request.object().request_id != id {
        return Err(WalletError::Request(format!(
            "the verifier answered with request {:?} for {id:?}",
            request.object().request_id
        )));
    }
    Ok(request)
}

/// What the person is shown before anything is disclosed: which provider asks (the DID
/// that signed the request, and whether this wallet already keeps a DID for it), what for,
/// and where the answer would go.
pub fn describe(wallet: &Wallet, request: &VerifiedRequest) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "nothing".to_owned()
        } else {
            items.join(", ")
        }
    };
    let provider = request.provider();
    let known = match wallet.contents().did_for(provider.as_str()) {
        Some(entry) => format!("you answer it as {}", entry.did),
        None => "this wallet keeps no DID for it".to_owned(),
    };
    let object = request.object();
    format!(
        "provider {provider} ({known}) signed this request\n  asks to see: {}\n  and to be shown as true: {}\n  for: {}\n  (request {}, answer to {}, open until {} Unix time)",
        list(&object.claims),
        list(&object.predicates),
        object.purpose,
        object.request_id,
        object.response_uri,
        object.exp
    )
}

/// A presentation ready to leave the wallet.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The request it answers.
    pub request: VerifiedRequest,
    /// The DID it is presented under (the one kept for this provider).
    pub did: realdid_core::did::RealDid,
    /// The credential presented.
    pub credential_id: String,
    /// The claims disclosed: exactly those asked for.
    pub disclosed: Vec<String>,
    /// The presentation, compact SD-JWT with key binding.
    pub presentation: String,
}

/// Builds the answer to `request` at `now_s`: the DID kept for the provider that signed
/// it, that DID's newest credential of an accepted type, only the wanted claims disclosed,
/// key-bound to the request's nonce and the provider's DID with the DID's device key.
pub fn prepare(
    wallet: &Wallet,
    request: &VerifiedRequest,
    now_s: i64,
) -> Result<Prepared, WalletError> {
    let provider = request.provider().as_str();
    let object = request.object();
    if object.exp <= now_s {
        return Err(WalletError::Request(format!(
            "request {} closed at {}",
            object.request_id, object.exp
        )));
    }
    let contents = wallet.contents();
    let entry = contents.did_for(provider).ok_or_else(|| {
        WalletError::NotFound(format!(
            "no DID is kept for the provider {provider}: create one for it and enrol it first"
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
        .filter(|c| object.credential_types.is_empty() || object.credential_types.contains(&c.vct))
        .filter(|c| c.expires_at.is_none_or(|exp| exp > now_s))
        .filter(|c| holder_key(&c.compact).as_ref() == Some(&holder))
        .max_by_key(|c| c.issued_at)
        .ok_or_else(|| {
            WalletError::NotFound(format!(
                "no usable credential is bound to {} (the DID kept for {provider}) and its current key; after a key recovery, enrol again",
                entry.did
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
    if let Some(unmet) = object
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
    for name in object.wanted() {
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
                nonce: object.nonce.clone(),
                audience: provider.to_owned(),
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
    let object = prepared.request.object();
    let entry = LogEntry {
        at_ms: wallet.now().as_i64(),
        audience: prepared.request.provider().to_string(),
        purpose: object.purpose.clone(),
        request_id: object.request_id.clone(),
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

/// Sends the presentation to the verifier the provider's signed `response_uri` names
/// (SubmitPresentation) and logs it with the verdict. The log entry is written even when
/// the verifier refuses: the claims left the wallet either way.
pub async fn send(
    wallet: &mut Wallet,
    prepared: &Prepared,
    transport: &Transport,
) -> Result<Verdict, WalletError> {
    let (authority, _) = parse_request_uri(&prepared.request.object().response_uri)?;
    let endpoint = transport.endpoint(&authority);
    let endpoint = endpoint.as_str();
    let mut client = transport.verifier(&authority).await?;
    let answer = client
        .submit_presentation(pb::SubmitPresentationRequest {
            request_id: prepared.request.object().request_id.clone(),
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
        return Err(WalletError::call(
            Service::Verifier,
            format!("submitting the presentation to {endpoint}"),
        )(status));
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
            ("127.0.0.1:5009".to_owned(), "abc".to_owned())
        );
        assert_eq!(
            Transport::default().endpoint("127.0.0.1:5009"),
            "https://127.0.0.1:5009",
            "a request URI is answered over TLS unless plaintext is asked for"
        );
        assert_eq!(
            Transport::plaintext().endpoint("127.0.0.1:5009"),
            "http://127.0.0.1:5009"
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
    use realdid_core::did::{KeyId, OrgKeys, apply};
    use realdid_core::keys::{Algorithm, SigningKey};
    use realdid_core::presentation_request::RequestObject;
    use realdid_core::sd_jwt::{SdJwtVcIssuance, issue_sd_jwt_vc};

    use super::*;
    use crate::contents::{DidEntry, Origin, StoredKey};
    use crate::keystore::KdfParams;

    fn chain() -> realdid_core::codec::ChainId {
        realdid_core::codec::ChainId::parse("realdid-test").unwrap()
    }

    /// A provider's DID keys and the state the registry would prove for them.
    fn provider() -> (OrgKeys, realdid_core::did::DidState) {
        let keys = OrgKeys::generate().unwrap();
        let state = apply(&chain(), None, &keys.create_operation(&chain()).unwrap()).unwrap();
        (keys, state)
    }

    /// A wallet with one DID for the provider `bank` and a credential bound to its key.
    fn wallet(dir: &std::path::Path, bank: &OrgKeys) -> Wallet {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let did = realdid_core::did::RealDid::from_suffix([7; 32]);
        let mut w =
            Wallet::create(&dir.join("w"), "a good passphrase", KdfParams::MINIMUM).unwrap();
        w.update(|c| {
            c.dids.push(DidEntry {
                did: did.clone(),
                provider: Some(bank.did().to_string()),
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

    /// `provider`'s signed request, verified against its state.
    fn request(
        provider: &(OrgKeys, realdid_core::did::DidState),
        claims: &[&str],
        predicates: &[&str],
    ) -> VerifiedRequest {
        let (keys, state) = provider;
        let object = RequestObject {
            request_id: "r".into(),
            nonce: "n".into(),
            client_id: keys.did().clone(),
            response_uri: "realdid://verifier.example/requests/r".into(),
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
            predicates: predicates.iter().map(|c| (*c).to_owned()).collect(),
            credential_types: vec![],
            purpose: "p".into(),
            exp: 100,
        };
        let jws = object
            .sign(keys.active_key_id(), keys.active_key().unwrap())
            .unwrap();
        SignedRequest::parse(&jws).unwrap().verify(state).unwrap()
    }

    #[test]
    fn discloses_exactly_what_is_asked_under_the_providers_did() {
        let dir = tempfile::tempdir().unwrap();
        let bank = provider();
        let w = wallet(dir.path(), &bank.0);
        let p = prepare(&w, &request(&bank, &[], &["age_over_18"]), 10).unwrap();
        assert_eq!(p.disclosed, vec!["age_over_18"]);
        // The issuer JWT, one disclosure, the KB-JWT: the province stays hidden.
        assert_eq!(p.presentation.split('~').count(), 3);
        assert_eq!(p.did, w.contents().dids[0].did);
        // Bound to the provider's DID, the audience the verifier checks.
        let kb = p.presentation.rsplit('~').next().unwrap();
        let kb = realdid_core::jws::CompactJws::parse(kb).unwrap();
        let payload: serde_json::Value = serde_json::from_slice(kb.payload()).unwrap();
        assert_eq!(payload["aud"], bank.0.did().as_str());
        assert!(
            describe(&w, &request(&bank, &[], &["age_over_18"])).contains(bank.0.did().as_str())
        );
    }

    #[test]
    fn refuses_what_it_cannot_or_should_not_answer() {
        let dir = tempfile::tempdir().unwrap();
        let bank = provider();
        let shop = provider();
        let w = wallet(dir.path(), &bank.0);
        let cases = [
            (request(&shop, &["province"], &[]), "no DID"),
            (request(&bank, &[], &["age_over_60"]), "as true"),
            (request(&bank, &["name"], &[]), "cannot show"),
        ];
        for (r, why) in cases {
            let e = prepare(&w, &r, 10).unwrap_err().to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
        let e = prepare(&w, &request(&bank, &["province"], &[]), 100).unwrap_err();
        assert!(e.to_string().contains("closed"), "{e}");
    }
}
