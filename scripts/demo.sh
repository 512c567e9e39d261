#!/usr/bin/env bash
# The README's main-job command: builds the realdid binary and runs its demo.
# First a narrated walk through the identity core (a DID, a resident-ID check, an SD-JWT VC
# issued, presented with selective disclosure and key binding, verified, revoked); then the
# local devnet: four validators on loopback with their data under .realdid/devnet, the
# reference identity authority, an issuer accredited by governance quorum and a verifier;
# then the citizen journey told from each party's side (a wallet with one DID per provider,
# enrolment, a bank and a shop each learning only what they asked, a lost phone restored and
# recovered, a suspension reaching the verifier, a 2-of-3 lawful trace the citizen later
# sees), and the endpoints, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
REALDID_SETUP_FOR=demo
. scripts/setup.sh
cargo build --locked -p realdid
"$CARGO_TARGET_DIR/debug/realdid" demo
# Not exec: a Redis that setup.sh started is stopped when this script ends.
"$CARGO_TARGET_DIR/debug/realdid" devnet --demo "$@"
