//! A running validator node: the shared state, the pending pool, proven reads, and `run`,
//! which starts consensus and the gRPC service together.

pub mod mempool;
pub mod reads;
pub mod shared;
pub mod run;

pub use run::{genesis_block, run};
