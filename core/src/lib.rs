//! realdid-core: the pure identity library that the registry, issuer, verifier and wallet
//! share.
//!
//! Everything here is a plain function or type: no async, no I/O, no reading of the machine's
//! time. Functions that depend on time take the current time as an argument, so that every
//! rule is testable and every node that applies it agrees; [`clock`] is the seam through which
//! the services are handed the time.
//!
//! | module | what it holds |
//! |---|---|
//! | [`keys`] | Ed25519 and P-256 keys, raw signatures, JWK import/export and thumbprints, did:key, did:jwk |
//! | [`jws`] | compact JWS signing and verification through josekit |
//! | [`did`] | the `did:realdid` method: identifiers, operations, the rules that apply them, documents |
//! | [`sd_jwt`] | SD-JWT (RFC 9901) and SD-JWT VC: issue, present with key binding, verify |
//! | [`vc_jwt`] | W3C VC Data Model 2.0 credentials and presentations as JWT |
//! | [`status_list`] | IETF Token Status List and W3C Bitstring Status List |
//! | [`resident_id`] | GB 11643-1999 resident identity numbers and a synthetic generator |
//! | [`codec`] | the canonical binary encoding of registry transactions and blocks |
//! | [`control_proof`] | a DID holder's signed answer to a nonce, checked against the DID's current state |
//! | [`authority_answer`] | the identity authority's signed answer, bound to the issuer's nonce and question |
//! | [`trace`] | lawful trace: request digests, approver approvals, the anchored audit hash |
//! | [`escrow`] | threshold escrow of identity records: k of n approvers together open one, no one alone |
//! | [`operator_login`] | an issuer operator's key-signed answer to a login nonce |
//! | [`presentation_request`] | the request object a verifier sends and a wallet answers, with its limits |
//! | [`recent`] | a bounded memory of recent entries, for caches that may forget |
//! | [`clock`] | the `Clock` services are given: the system's, or a manual one tests move |

pub mod authority_answer;
pub mod clock;
pub mod codec;
pub mod control_proof;
pub mod did;
pub mod error;
pub mod escrow;
pub mod jws;
pub mod keys;
pub mod operator_login;
pub mod presentation_request;
pub mod recent;
pub mod resident_id;
pub mod sd_jwt;
pub mod status_list;
pub mod trace;
pub mod trace_file;
mod typed_jws;
pub mod vc_jwt;

pub use error::ErrorKind;
