//! The column families of the issuer's database, each named once.
//!
//! | column | key | value | sealed |
//! |---|---|---|---|
//! | [`CREDENTIALS`] | credential id | `CredentialRecord` (JSON) | yes |
//! | [`ENROLMENTS`] | enrolment id | `EnrolmentRecord` (JSON): the person key, DIDs, escrow | yes |
//! | [`DIDS`] | DID | the ids of the credentials bound to it (JSON list) | no |
//! | [`PERSONS`] | person key (Argon2id of the resident id) | the person's enrolment ids | yes |
//! | [`LISTS`] | list number, u32 big-endian | `ListRecord` (JSON) | no |
//! | [`SLOTS`] | list ‖ index, u32 ‖ u32 big-endian | the credential id in that slot | no |
//! | [`TRACES`] | trace id | `TraceRecord` (JSON) | yes |
//! | [`LOG`] | time ‖ sequence | `LogEntry` (JSON): the operators' audit log | yes |
//! | [`META`] | counter name | u64 big-endian | no |
//!
//! Sealed values are encrypted under a key derived from the pepper (`sealed.rs`): the rows
//! that would link a person's DIDs say nothing to whoever copies the database alone.

/// Issued credentials.
pub const CREDENTIALS: &str = "credentials";
/// Enrolments.
pub const ENROLMENTS: &str = "enrolments";
/// The credentials bound to each DID.
pub const DIDS: &str = "dids";
/// The enrolments of each person.
pub const PERSONS: &str = "persons";
/// Status lists.
pub const LISTS: &str = "lists";
/// Status-list slots in use.
pub const SLOTS: &str = "slots";
/// Lawful traces.
pub const TRACES: &str = "traces";
/// The operators' audit log.
pub const LOG: &str = "log";
/// Counters.
pub const META: &str = "meta";
/// Approvers' re-sealing contributions, kept until k of a record's old approvers sent one.
pub const RESEALS: &str = "reseals";

/// Every column, as the database is opened with them.
pub const ALL: [&str; 10] = [
    CREDENTIALS,
    ENROLMENTS,
    DIDS,
    PERSONS,
    LISTS,
    SLOTS,
    TRACES,
    LOG,
    META,
    RESEALS,
];

/// The columns whose values are sealed (a contribution names its record, a DID and its
/// enrolment, like the enrolment row).
pub const SEALED: [&str; 6] = [CREDENTIALS, ENROLMENTS, PERSONS, TRACES, LOG, RESEALS];
