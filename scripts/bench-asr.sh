#!/usr/bin/env bash
# Side-by-side speech-recognition benchmark: ours vs faster-whisper (int8 and float32, same
# CTranslate2 model file, same clips, same thread count). faster-whisper is installed from PyPI
# into a throwaway venv under ~/.cache/mianshi/bench-venv; it is never a runtime dependency.
#
#   bash scripts/bench-asr.sh            # builds mianshi (release) and prints the table
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mianshi/target}"
venv="$HOME/.cache/mianshi/bench-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'faster-whisper==1.*'
fi
cargo build --quiet --release --locked -p mianshi-cli
"$CARGO_TARGET_DIR/release/mianshi" bench asr --peer-python "$venv/bin/python" "$@"
