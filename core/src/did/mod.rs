//! The `did:realdid` method: identifiers, document state, the four operations, and the rules
//! that decide whether an operation is valid against the current state. The specification is
//! docs/did-method-realdid.md; this module is its executable form.
//!
//! did:key and did:jwk (holder keys) are parsed here too, so that [`Did`] covers every DID a
//! realdid component accepts.

mod any_did;
mod commitment;
pub mod document;
mod document_state;
mod error;
mod identifier;
mod key_id;
mod operation;
mod org_keys;
mod state;

pub use any_did::Did;
pub use commitment::RecoveryCommitment;
pub use document_state::{
    DocumentState, MAX_ENDPOINT_LEN, MAX_KEYS, MAX_SERVICE_TYPE_LEN, MAX_SERVICES, Purposes,
    ServiceEntry, VerificationKey,
};
pub use error::DidError;
pub use identifier::{METHOD, RealDid};
pub use key_id::{KeyId, MAX_KEY_ID_LEN};
pub use operation::{
    CreateOp, DeactivateOp, DidOperation, OperationHash, RecoverOp, SignedDidOperation, UpdateOp,
    signing_input,
};
pub use org_keys::{OrgKeys, OrgKeysError};
pub use state::{DidState, apply, apply_checked};
