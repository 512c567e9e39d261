//! A running validator node: the shared state, the pending pool, proven reads, and [`Node`],
//! which runs consensus and the gRPC service together.

pub mod admissions;
pub mod gossip;
pub mod mempool;
pub mod metrics;
pub mod reads;
pub mod resolver;
pub mod run;
pub mod shared;

pub use run::{Node, genesis_block};
