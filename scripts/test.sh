#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (Chromium for the
# browser tests, PostgreSQL and NATS if absent), makes sure they are running, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages
ensure_postgres
ensure_nats
ensure_web_deps
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
# cargo prints one result line per test binary, the last often a doc-test run with nothing in
# it; close with the totals so the outcome is readable at a glance.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
exit "$status"
