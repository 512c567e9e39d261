#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine to the point where realdid builds and its tests run:
# installs missing system packages, checks the Rust toolchain, and makes sure a Redis server
# answers on 127.0.0.1:6379. Idempotent: on a prepared machine it only checks.
# Sourced by demo.sh and test.sh; it exports CARGO_TARGET_DIR. With REALDID_SETUP_FOR=demo
# (what demo.sh sets) it installs only what the demo needs: the Python and JavaScript
# reference libraries are for the tests. A Redis it starts is stopped when the sourcing
# script exits.
set -euo pipefail

say() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages: protoc for the gRPC contract, clang/libclang for RocksDB's bindings,
# OpenSSL headers for josekit, redis-server for the verifier's replay store, tmux for the
# test that drives the operator console as a person would.
need=()
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v clang >/dev/null 2>&1 || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 || need+=(libclang-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v make >/dev/null 2>&1 || need+=(make)
setup_for="${REALDID_SETUP_FOR:-test}"
[ "$setup_for" = demo ] || command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
[ "$setup_for" = demo ] || command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    say "cargo not found: install Rust 1.88 or newer with rustup (https://rustup.rs), then rerun"
    exit 1
  fi
fi

# The toolchain this workspace needs (Cargo.toml's rust-version).
need_rust="1.88"
have_rust="$(rustc --version 2>/dev/null | sed -E 's/^rustc ([0-9]+\.[0-9]+).*/\1/')"
if [ -z "$have_rust" ] || [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -n1)" != "$need_rust" ]; then
  say "Rust ${have_rust:-(none)} found; realdid needs Rust $need_rust or newer: run \`rustup update stable\`, then rerun"
  exit 1
fi

# rustfmt and clippy, which scripts/verify.sh runs (rustup's minimal profile has neither).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    say "installing rustfmt and clippy"
    rustup component add rustfmt clippy >/dev/null
  fi
fi

# One build directory per machine, outside the clone, so that a fresh clone (as in CI) reuses
# the dependencies already built: RocksDB alone takes about 14 minutes on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/realdid/target}"
mkdir -p "$CARGO_TARGET_DIR"
# No incremental artifacts: a full run builds each crate once, and they would only fill the
# disk (several GB per run) for rebuilds the scripts never make.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

if [ "$setup_for" != demo ]; then
  # The IETF SD-JWT reference implementation (PyPI `sd-jwt`), which the end-to-end tests use to
  # check realdid's credentials with code that is not realdid's. A venv of its own, once per
  # machine, beside the build directory.
  SDJWT_VENV="${REALDID_SDJWT_VENV:-$HOME/.cache/realdid/sdjwt-venv}"
  if ! "$SDJWT_VENV/bin/python" -c "import sd_jwt" >/dev/null 2>&1; then
    say "installing the SD-JWT reference implementation into $SDJWT_VENV"
    if ! python3 -m venv "$SDJWT_VENV" >/dev/null 2>&1; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$SDJWT_VENV"
    fi
    "$SDJWT_VENV/bin/pip" install -q --disable-pip-version-check "sd-jwt==0.10.4"
  fi
  export REALDID_SDJWT_PYTHON="$SDJWT_VENV/bin/python"

  # The JavaScript SD-JWT VC reference library (npm @sd-jwt/sd-jwt-vc, pinned by
  # tests/interop/js/package-lock.json): a second independent holder in the tests, and the
  # comparison in `realdid bench verifier`. Installed beside the build directory, again when
  # the lock file changes.
  if ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing nodejs and npm"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  # The JavaScript library needs a current Node.
  node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
  if [ -z "$node_major" ] || [ "$node_major" -lt 18 ]; then
    say "Node ${node_major:-(none)} found; the tests' JavaScript reference library needs Node 18 or newer"
    exit 1
  fi
  SDJWT_JS="${REALDID_SDJWT_JS:-$HOME/.cache/realdid/sdjwt-js}"
  interop_js="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/interop/js"
  if ! cmp -s "$interop_js/package-lock.json" "$SDJWT_JS/package-lock.json" \
    || [ ! -d "$SDJWT_JS/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    say "installing the JavaScript SD-JWT VC library into $SDJWT_JS"
    mkdir -p "$SDJWT_JS"
    cp "$interop_js/package.json" "$interop_js/package-lock.json" "$SDJWT_JS/"
    (cd "$SDJWT_JS" && npm ci --silent --no-audit --no-fund >/dev/null)
  fi
  export REALDID_SDJWT_NODE_PATH="$SDJWT_JS/node_modules"
fi

# Redis: the verifier's replay store in production; the tests use a real one.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "no Redis on 127.0.0.1:6379: starting one (stopped again when this script ends)"
  trap 'redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true' EXIT
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/realdid-redis.log
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { say "Redis did not start; see /tmp/realdid-redis.log"; exit 1; }
fi
