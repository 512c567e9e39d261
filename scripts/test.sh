#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, vector, golden and end-to-end tests.
# This is the README's test command and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# The end-to-end tests run the realdid binary as a separate process: build it first. Build
# the whole workspace with every target, exactly the feature set `cargo test --workspace`
# resolves: a narrower selection (-p …) resolves other features for shared dependencies and
# makes cargo build RocksDB a second time (about 14 minutes here).
cargo build --locked --workspace --all-targets
cargo test --workspace --locked "$@"
