//! The canonical binary encoding of everything the registry hashes and signs.
//!
//! Built on commonware-codec (the codec of the consensus engine the registry runs on):
//! explicit lengths, fixed-width big-endian integers, and a bound on every length read from
//! outside input. Every structure's encoding is pinned by golden vectors in
//! core/tests/codec_golden.rs; changing one is a deliberate, versioned act. The layout of each
//! structure is drawn in the module that defines it.

mod approvers;
mod block;
mod chain_id;
pub mod primitives;
mod transaction;

pub use approvers::{
    ApproverSet, MAX_APPROVER_ID_LEN, MAX_TRACE_APPROVERS, MIN_TRACE_THRESHOLD, TraceApprover,
};
pub use block::{
    Block, BlockHash, BlockHeader, HEADER_LEN, MAX_BLOCK_LEN, MAX_BLOCK_TRANSACTIONS, StateRoot,
    transactions_root, transactions_root_of,
};
pub use chain_id::{ChainId, MAX_CHAIN_ID_LEN};
pub use commonware_codec::{Encode, Error as CodecError};
pub use transaction::{
    Approval, AuditAnchor, AuditOpening, GovernanceAction, GovernanceTx, IssuerSigned,
    MAX_APPROVALS, MAX_CREDENTIAL_TYPES, MAX_NAME_LEN, MAX_TRANSACTION_LEN, StatusListAnchor,
    TraceApproval, TraceDisclosure, Transaction, TxHash,
};
