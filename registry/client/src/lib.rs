//! realdid-registry-client: what a reader and writer of the DID registry chain needs, and
//! nothing a validator needs.
//!
//! The issuer, the verifier and the citizen's wallet read the chain through proofs they check
//! themselves against the genesis validator keys, and submit transactions until they are
//! final. None of that needs a database or a consensus engine, so this crate links neither:
//! finality certificates are checked with Commonware's codec and Ed25519 certificate scheme
//! alone, Merkle proofs with SHA-256.
//!
//! - [`genesis`]: the genesis file every validator and client shares (chain id, validators,
//!   governance keys).
//! - [`certificate`]: finality certificates and their check against the validator keys.
//! - [`state_key`] and [`records`]: the keys of the registry state and the values under them,
//!   in the canonical encodings their proofs commit to.
//! - [`proof`]: Merkle proofs of a key's value, or its absence, against a state root.
//! - [`light_client`]: a proven read checked end to end (certificate, headers, proof).
//! - [`gateway`]: reads and submissions over several nodes, each read no older than a bound
//!   judged by the clock the gateway is given.
//! - [`did_batch`]: DID reads that many callers ask for at once, read in one proven call.
//! - [`metrics`]: whether those reads succeed, and the height they prove.

pub mod certificate;
pub mod did_batch;
pub mod error;
pub mod gateway;
pub mod genesis;
pub mod light_client;
pub mod metrics;
pub mod proof;
pub mod proposal;
pub mod records;
pub mod ssi_resolver;
pub mod state_key;

pub use error::ClientError;
pub use gateway::{DEFAULT_MAX_STATE_AGE, Proven, RegistryGateway, Submitted};
pub use genesis::{ChainId, Genesis};
pub use light_client::{LightClient, VerifiedRead};
pub use state_key::StateKey;
