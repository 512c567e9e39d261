//! The `realdid` binary: parses the arguments and hands them to the `realdid` library.

use std::process::ExitCode;

/// mimalloc instead of the system allocator: a node allocates and frees small buffers for
/// every transaction, proof and gRPC frame, and glibc's malloc spent ~10 % of the CPU of a
/// loaded devnet in its own bookkeeping (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    realdid::run(realdid::Cli::parse_or_exit())
}
