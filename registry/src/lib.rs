//! realdid-registry: the validator node of the DID registry chain.
//!
//! To be built in the registry issue: BFT consensus on Commonware (simplex, marshal,
//! authenticated p2p) behind one module; block execution as a pure function over
//! `realdid_core::did::apply` and the governance and anchor rules; RocksDB state under a
//! Merkle commitment with the root in every header; the `realdid.v1.Registry` gRPC service;
//! and the light-client library that checks proven reads against the genesis validator keys.
//!
//! Nothing is exported yet: no part of the node may pretend to work before it does.
