#!/usr/bin/env bash
# The README's main-job command: builds the realdid binary and runs its demo.
# Today the demo walks what the identity core does (a DID, a resident-ID check, an SD-JWT VC
# issued, presented with selective disclosure and key binding, verified, revoked); from the
# registry issue on it starts the local devnet.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo build --locked -p realdid
"$CARGO_TARGET_DIR/debug/realdid" demo "$@"
