//! Rendering W3C DID documents (as ssi's `Document`) for did:realdid, did:key and did:jwk.
//!
//! Verification methods are `JsonWebKey2020` with `publicKeyJwk`, so a JOSE verifier can use
//! them without multicodec tables; their ids are `<did>#<key id>`.

use std::collections::BTreeMap;

use iref::UriBuf;
use ssi_core::one_or_many::OneOrMany;
use ssi_dids_core::document::service::Endpoint;
use ssi_dids_core::document::verification_method::ValueOrReference;
use ssi_dids_core::document::{DIDVerificationMethod, Service};
use ssi_dids_core::{DIDBuf, DIDURLBuf, Document};

use super::{DidError, DidState, Purposes};
use crate::keys::{DidJwk, DidKey, Jwk, PublicKey};

/// The verification method type realdid renders.
pub const VERIFICATION_METHOD_TYPE: &str = "JsonWebKey2020";

fn method(
    id: DIDURLBuf,
    controller: &DIDBuf,
    key: &PublicKey,
) -> Result<DIDVerificationMethod, DidError> {
    let jwk = Jwk::from_public_key(key)?;
    let jwk = serde_json::to_value(jwk).map_err(|e| DidError::InvalidDocument {
        reason: format!("JWK does not serialise: {e}"),
    })?;
    Ok(DIDVerificationMethod::new(
        id,
        VERIFICATION_METHOD_TYPE.to_owned(),
        controller.clone(),
        BTreeMap::from([("publicKeyJwk".to_owned(), jwk)]),
    ))
}

fn url(did: &DIDBuf, fragment: &str) -> Result<DIDURLBuf, DidError> {
    DIDURLBuf::from_string(format!("{did}#{fragment}")).map_err(|_| DidError::InvalidKeyId {
        input: fragment.to_owned(),
        reason: "does not form a DID URL".into(),
    })
}

/// The DID document of a did:realdid state. A deactivated DID renders with no keys and no
/// services; resolution metadata says it is deactivated.
pub fn realdid_document(state: &DidState) -> Result<Document, DidError> {
    let did = state.did.as_did().to_owned();
    let mut doc = Document::new(did.clone());
    for k in &state.document.keys {
        let id = url(&did, k.id.as_str())?;
        doc.verification_method
            .push(method(id.clone(), &did, &k.key)?);
        let r = &mut doc.verification_relationships;
        let reference = || ValueOrReference::Reference(id.clone().into());
        if k.purposes.contains(Purposes::AUTHENTICATION) {
            r.authentication.push(reference());
        }
        if k.purposes.contains(Purposes::ASSERTION_METHOD) {
            r.assertion_method.push(reference());
        }
        if k.purposes.contains(Purposes::CAPABILITY_INVOCATION) {
            r.capability_invocation.push(reference());
        }
        if k.purposes.contains(Purposes::CAPABILITY_DELEGATION) {
            r.capability_delegation.push(reference());
        }
    }
    for s in &state.document.services {
        let id = UriBuf::new(format!("{did}#{}", s.id).into_bytes()).map_err(|_| {
            DidError::InvalidDocument {
                reason: format!("service #{} id is not a URI", s.id),
            }
        })?;
        let endpoint = UriBuf::new(s.endpoint.clone().into_bytes())
            .map(Endpoint::Uri)
            .unwrap_or_else(|_| Endpoint::Map(serde_json::Value::String(s.endpoint.clone())));
        doc.service.push(Service {
            id,
            type_: OneOrMany::One(s.service_type.clone()),
            service_endpoint: Some(OneOrMany::One(endpoint)),
            property_set: BTreeMap::new(),
        });
    }
    Ok(doc)
}

fn single_key_document(
    did: DIDBuf,
    vm_id: DIDURLBuf,
    key: &PublicKey,
) -> Result<Document, DidError> {
    let mut doc = Document::new(did.clone());
    doc.verification_method
        .push(method(vm_id.clone(), &did, key)?);
    let r = &mut doc.verification_relationships;
    for list in [
        &mut r.authentication,
        &mut r.assertion_method,
        &mut r.capability_invocation,
        &mut r.capability_delegation,
    ] {
        list.push(ValueOrReference::Reference(vm_id.clone().into()));
    }
    Ok(doc)
}

/// The DID document of a did:key: one key, serving every signing relationship. The X25519
/// key-agreement key that the did:key spec derives from Ed25519 keys is not rendered: realdid
/// never encrypts to holder keys.
pub fn did_key_document(did: &DidKey) -> Result<Document, DidError> {
    single_key_document(
        did.did().to_owned(),
        did.verification_method_id(),
        did.public_key(),
    )
}

/// The DID document of a did:jwk: one key `#0`, serving every signing relationship.
pub fn did_jwk_document(did: &DidJwk) -> Result<Document, DidError> {
    single_key_document(
        did.did().to_owned(),
        did.verification_method_id(),
        did.public_key(),
    )
}
