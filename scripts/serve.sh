#!/usr/bin/env bash
# Runs the server (web app and API) from the source tree on a fresh machine: installs the one
# system package the build needs (cmake, for the bundled Opus decoder) if it is missing, then
# builds in release and serves. Arguments go to `mianshi serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null 2>&1; then
  echo "installing cmake (builds the bundled Opus decoder)"
  if [ "$(id -u)" -eq 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cmake >/dev/null
fi
exec cargo run --release --locked -p mianshi-cli -- serve "$@"
