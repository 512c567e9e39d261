//! Keys and raw signatures: Ed25519 (ed25519-dalek) and P-256 (OpenSSL), their JWK forms and
//! thumbprints, and the `did:key` and `did:jwk` identifiers of holder keys.
//!
//! Raw signatures are 64 bytes for both algorithms (Ed25519 R||S; ECDSA r||s as in JWS), so
//! every signed structure in realdid carries the same shape of signature.

mod algorithm;
mod cofactored;
mod did_jwk;
mod did_key;
mod ed25519_parts;
mod error;
mod jwk;
mod p256;
mod public_key;
mod signature_check;
mod signature_memo;
mod signature_rule;
mod signing_key;
mod strict;

pub use algorithm::Algorithm;
pub use did_jwk::DidJwk;
pub use did_key::DidKey;
pub use error::KeyError;
pub use jwk::Jwk;
pub use p256::{P256PublicKey, P256SecretKey};
pub use public_key::PublicKey;
pub use signature_check::{Direct, SignatureCheck};
pub use signature_memo::{Deferred, REMEMBERED_SIGNATURES, SignatureMemo};
pub use signature_rule::SignatureRule;
pub use signing_key::SigningKey;
