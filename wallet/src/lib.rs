//! realdid-wallet: the citizen's wallet, as a library a mobile app would embed (the
//! `realdid wallet` CLI is a thin shell over it).
//!
//! | module | what it holds |
//! |---|---|
//! | [`keystore`] | the sealed file: Argon2id-derived key, AES-256-GCM, atomic writes |
//! | [`contents`] | what a wallet holds: DIDs and their keys, credentials, the access log |
//! | [`wallet`] | an open wallet: create, open, change, back up, restore, import, export |
//! | [`dids`] | the citizen's DIDs on the registry: create per provider, rotate, recover, deactivate |
//! | [`issuer_link`] | enrolment with an issuer and suspending one's own credentials |
//! | [`present`] | answering a verifier's request with only what it asks for |
//!
//! Private keys never leave the sealed file except as signatures. Every change is saved
//! whole before the call that made it returns.

pub mod contents;
pub mod dids;
pub mod error;
pub mod issuer_link;
pub mod keystore;
mod lock;
pub mod present;
pub mod traces;
pub mod wallet;

pub use error::{Service, WalletError};
pub use wallet::Wallet;
