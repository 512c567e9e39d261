//! Privacy at rest: the issuer keeps no plaintext name or resident identity number.
//!
//! - [`person_index`]: an Argon2id hash of the resident identity number, keyed with a
//!   secret pepper, that tells the issuer "this person enrolled before" without storing who
//!   they are. Without the pepper the hashes cannot be tested against guessed numbers (the
//!   space of valid numbers is small enough to enumerate); with it, each guess still costs
//!   one Argon2id evaluation.
//! - [`escrow`]: the identity record of each enrolment, encrypted with AES-256-GCM under
//!   the escrow key, one fresh nonce per record and the enrolment id as associated data, so
//!   a record cannot be moved to another enrolment. Only a lawful trace with k-of-n
//!   approvals decrypts one.
//! - [`secrets`]: the file that holds the pepper and the escrow key, outside the database.

pub mod escrow;
pub mod person_index;
pub mod secrets;
