#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, vector, golden and end-to-end tests.
# This is the README's test command and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# The end-to-end tests run the realdid binary as a separate process: build it first.
cargo build --locked -p realdid
cargo test --workspace --locked "$@"
