#!/usr/bin/env bash
# Soak across two nodes (issue 11): two `mianshi serve` on one PostgreSQL database and NATS,
# SESSIONS candidates answering question after question for MINUTES, every answer on the next
# node; prints errors, audio sent against audio received, and each node's memory over time.
# Usage: bash scripts/soak.sh [MINUTES] [SESSIONS]     (default 10 minutes, 3 sessions)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
minutes="${1:-10}"
sessions="${2:-3}"
source scripts/lib.sh
ensure_packages
ensure_postgres
ensure_nats
# The binary the test suite builds (same features, so nothing is rebuilt after `scripts/test.sh`).
cargo test --workspace --locked --no-run -q >/dev/null 2>&1
bin="$CARGO_TARGET_DIR/debug/mianshi"
"$bin" models fetch >/dev/null

work="$(mktemp -d)"
db="mianshi_soak_$$"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db"
url="postgres://postgres@127.0.0.1:5432/$db"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

servers=()
for node in a b; do
  mkdir -p "$work/$node"
  (cd "$work/$node" && HOSTNAME="node-$node" exec "$bin" serve --port 0 --host 127.0.0.1 \
     --database-url "$url" --nats-url nats://127.0.0.1:4222 --fetch-models false \
     --log-dir "$work/$node/logs" --rate-limit-per-minute 0) > "$work/$node/out" 2>&1 &
  pids+=($!)
  for _ in $(seq 60); do grep -q "listening on" "$work/$node/out" 2>/dev/null && break; sleep 1; done
  servers+=(--server "$(sed -n 's/^mianshi listening on //p' "$work/$node/out")")
done

mkdir -p target
"$bin" bench live "${servers[@]}" --sessions "$sessions" --soak-minutes "$minutes" | tee target/soak.txt
