//! Status lists: how an issuer says, without learning who asks, that a credential it
//! issued has been revoked or suspended.
//!
//! Two formats, for the two credential families realdid issues:
//!
//! | | IETF Token Status List ([`token`]) | W3C Bitstring Status List ([`bitstring`]) |
//! |---|---|---|
//! | used by | SD-JWT VC | VC Data Model 2.0 (VC-JWT) |
//! | width | `bits` ∈ {1, 2, 4, 8} per status | `statusSize` 1..=8 bits per entry |
//! | bit order | least significant first | most significant first |
//! | compression | ZLIB | GZIP |
//! | text | base64url (`lst`) | `u` + base64url (`encodedList`) |
//! | minimum size | none | 131,072 bits |
//! | carried in | Status List Token claims ([`token_claims`]) | status list credential ([`bitstring_entry`]) |
//!
//! Both are the same idea: a long, mostly-zero array that compresses to almost nothing,
//! where each credential owns one position given in the credential itself. A verifier
//! fetches the whole list, so the issuer cannot tell which credential was checked.
//!
//! Everything decoded from outside is bounded: see [`compression`] for the limit on
//! decompressed size ([`MAX_DECOMPRESSED_BYTES`], 16 MiB) that stops decompression bombs.
//! Nothing here signs or fetches; the JWS module signs the token or credential that
//! carries a list, and the services fetch it.

pub mod bitstring;
pub mod bitstring_entry;
pub mod compression;
mod error;
pub mod token;
pub mod token_claims;
pub mod uri;

pub use bitstring::{BitstringStatusList, MIN_BITSTRING_BITS, StatusSize};
pub use bitstring_entry::{
    BitstringStatusListEntry, BitstringStatusListEntryType, BitstringStatusListSubject,
    BitstringStatusListType, StatusListIndex, StatusMessage, StatusPurpose,
};
pub use compression::{CompressionFormat, MAX_DECOMPRESSED_BYTES};
pub use error::StatusListError;
pub use token::{Status, StatusBits, StatusList, StatusListObject, StatusTally};
pub use token_claims::{
    STATUS_LIST_JWT_TYP, StatusClaim, StatusListReference, StatusListTokenClaims,
};
pub use uri::{MAX_URI_LEN, StatusUri};
