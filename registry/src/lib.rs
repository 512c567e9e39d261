//! realdid-registry: the validator node of the DID registry chain.
//!
//! The parts, each in its own module:
//! - [`state`]: the registry state in RocksDB under a Jellyfish Merkle tree, versioned by
//!   height, with speculative overlays for blocks not yet final.
//! - [`execute`]: block execution, a pure function of (state view, block) → (writes,
//!   receipts) built on `realdid_core::did::apply` and the governance and anchor rules.
//! - [`proof`]: Merkle proofs of state reads against a state root.
//! - [`genesis`] and [`config`]: the genesis file every validator shares and one node's
//!   configuration; [`devnet`] generates the files of a local network.
//! - [`consensus`]: every line that touches Commonware (simplex, marshal, authenticated
//!   p2p), so that an engine upgrade touches one module.
//! - [`node`]: a running node (pending pool, proven reads, the run loop). It is handed its
//!   runtime, its bound gRPC listener and the future that stops it, so that the binary alone
//!   decides how a process starts and ends.
//! - [`service`]: the `realdid.v1.Registry` gRPC service.
//!
//! Readers of the chain (the light client, the gateway) are `realdid_registry_client`'s: a
//! wallet or a verifier links them without this crate's database and engine.

pub mod config;
pub mod consensus;
pub mod devnet;
pub mod error;
pub mod execute;
pub mod node;
pub mod service;
pub mod state;

pub use error::RegistryError;
/// The genesis file and the proof format are the client's: a validator and its light clients
/// read them with one code.
pub use realdid_registry_client::{genesis, proof};
