#!/usr/bin/env bash
# Everything a change must pass before it lands: formatting, clippy with warnings denied,
# every test, and the documentation build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/test.sh
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
