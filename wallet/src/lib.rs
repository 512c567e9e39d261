//! realdid-wallet: the citizen's keystore, DIDs, credentials and presentations.
//!
//! To be built in the wallet issue: an Argon2id-sealed keystore with atomic writes, one
//! did:realdid per service provider with a pre-rotation recovery key, enrolment, selective
//! disclosure with key binding, an access log, and encrypted backup.
//!
//! Nothing is exported yet: no part of the wallet may pretend to work before it does.
