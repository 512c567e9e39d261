#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, vector, golden and end-to-end tests.
# This is the README's test command and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo test --workspace --locked "$@"
