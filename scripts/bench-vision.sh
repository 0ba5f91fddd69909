#!/usr/bin/env bash
# Camera-model benchmark: our interpreter per model and per frame, side by side with the
# reference TFLite runtime (ai-edge-litert with XNNPACK, one thread, same inputs). The runtime
# is installed from PyPI into a throwaway venv under ~/.cache/mianshi/bench-venv-vision; it is
# never a runtime dependency.
#
#   bash scripts/bench-vision.sh            # builds mianshi (release) and prints the tables
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
venv="$HOME/.cache/mianshi/bench-venv-vision"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import ai_edge_litert' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'ai-edge-litert==2.*' numpy
fi
cargo build --quiet --release --locked -p mianshi-cli
"$CARGO_TARGET_DIR/release/mianshi" bench vision --peer-python "$venv/bin/python" "$@"
