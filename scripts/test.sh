#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (Chromium for the
# browser tests, PostgreSQL if absent), makes sure PostgreSQL is running, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages
ensure_postgres
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
cargo test --workspace --locked "$@"
