#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, vector, golden and end-to-end tests, and
# checks the crate graph. scripts/verify.sh (the README's test command, what CI runs) runs it
# after formatting and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# The end-to-end tests run the realdid binary as a separate process: build it first. Build
# the whole workspace with every target, exactly the feature set `cargo test --workspace`
# resolves: a narrower selection (-p …) resolves other features for shared dependencies and
# makes cargo build RocksDB a second time (about 14 minutes here).
cargo build --locked --workspace --all-targets

# The crate graph of docs/ARCHITECTURE.md: the wallet and the verifier read the chain through
# realdid-registry-client and link no database and no consensus engine; the issuer keeps its
# own RocksDB but not the validator's.
forbidden() {
  local crate=$1 pattern=$2 found
  found=$(cargo tree --locked -p "$crate" -e normal --prefix none | grep -E "^($pattern) " | sort -u || true)
  if [ -n "$found" ]; then
    printf '%s must not depend on:
%s
(see: cargo tree -p %s -i <crate>)
' "$crate" "$found" "$crate" >&2
    exit 1
  fi
}
engine='realdid-registry|jmt|commonware-consensus|commonware-p2p|commonware-runtime|commonware-storage'
forbidden realdid-wallet "rocksdb|librocksdb-sys|$engine"
forbidden realdid-verifier "rocksdb|librocksdb-sys|$engine"
forbidden realdid-issuer "$engine"
# The console reads the chain as any client does: through the light client, never a node.
forbidden realdid-tui "rocksdb|librocksdb-sys|$engine"
cargo test --workspace --locked "$@"
