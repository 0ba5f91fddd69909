#!/usr/bin/env bash
# API conformance: schemathesis (PyPI) against /openapi.json of a throwaway server.
# Usage: bash scripts/schemathesis.sh [SECONDS]   (default 300; the full probe used 900)
# Prints schemathesis' summary; the full report lands in target/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
seconds="${1:-300}"
venv="$HOME/.cache/mianshi/schemathesis-venv"
work="$(mktemp -d)"
out="target/schemathesis"
mkdir -p "$out" "$work/models" "$work/logs" "$work/data"

# The binary the test suite builds (same features, so nothing is rebuilt after `scripts/test.sh`).
cargo test --workspace --locked --no-run -q >/dev/null 2>&1
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5'
fi

port=18777
# An admin token for schemathesis (every operation needs a token, docs/auth.md); no rate limit,
# since the run is thousands of requests from one client.
token=$("$CARGO_TARGET_DIR/debug/mianshi" token create --name schemathesis \
  --database-url "sqlite://$work/db.sqlite" 2>/dev/null)
(cd "$work" && MIANSHI_RATE_LIMIT_PER_MINUTE=0 exec "$CARGO_TARGET_DIR/debug/mianshi" serve --port "$port" --host 127.0.0.1 \
  --database-url "sqlite://$work/db.sqlite" --data-dir "$work/data" \
  --fetch-models false --model-dir "$work/models" --log-dir "$work/logs") > "$work/server.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -s -m 2 "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done

"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-examples 50 --max-time "$seconds" --workers 1 --seed 42 \
  --request-timeout 30 --no-color --generation-database none \
  --report json,ndjson --report-dir "$out" | tee "$out/run.txt"
