#!/usr/bin/env bash
# Mutation-fuzzes every decoder of outside input (transactions, blocks, compact JWS, SD-JWT,
# status lists, trace request files, the wallet file and its contents, gRPC requests'
# conversions) for SECONDS each (default 60), from a new seed each time, or from SEED to
# replay a run:
#
#   ./scripts/fuzz.sh [SECONDS] [SEED]
#
# The ordinary test suite runs the same targets for a fixed number of inputs. A crash
# prints the seed; add the input that crashed to its target's seeds in tests/tests/fuzz/
# so that every run feeds it again.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/realdid/target}"
seconds="${1:-60}"
seed="${2:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
echo "fuzzing each decoder for ${seconds} s from seed ${seed}" >&2
REALDID_FUZZ_SECONDS="$seconds" REALDID_FUZZ_SEED="$seed" \
  cargo test --locked -p realdid-tests --test fuzz -- --test-threads=1 --nocapture
