#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for SECONDS each (default 600), JOBS at a time (default 1), with
# seeds made from the test data; prints a table of executions, corpus size and crashes.
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET…]      (JOBS=2 bash scripts/fuzz.sh 600)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(extract_pdf extract_docx parse_text live_frame decode_audio)
jobs="${JOBS:-1}"
# cargo-fuzz drives libFuzzer with sanitizer flags that are nightly features; the stable
# toolchain allows them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
source scripts/lib.sh
ensure_packages  # ffmpeg makes the audio seeds

clips="$HOME/.cache/mianshi/models/speech-test-clips"
[ -d "$clips" ] || cargo run -q -p mianshi-cli -- models fetch speech-test-clips
seeds=fuzz/corpus
mkdir -p "$seeds"/{extract_pdf,extract_docx,parse_text,live_frame,decode_audio} fuzz/artifacts
cp crates/resume/tests/data/resumes/*.pdf crates/resume/tests/data/bad/*.pdf crates/resume/tests/data/fuzz/*.pdf "$seeds/extract_pdf/" 2>/dev/null || true
cp crates/resume/tests/data/resumes/*.docx crates/resume/tests/data/bad/*.docx "$seeds/extract_docx/" 2>/dev/null || true
cp crates/resume/tests/data/resumes/*.txt crates/resume/tests/data/jd/*.txt "$seeds/parse_text/" 2>/dev/null || true
# One short clip in every container and codec the decoder reads.
clip="$clips/en_hello_world.wav"
for ext in wav flac mp3 ogg m4a webm; do
  [ -f "$seeds/decode_audio/seed.$ext" ] || ffmpeg -loglevel error -y -t 1.5 -i "$clip" -ac 1 -ar 16000 "$seeds/decode_audio/seed.$ext"
done
# Live frames: a PCM16 frame, a JPEG frame and a WebM/Opus stream cut into frames, each led by
# its 2-byte length (the target's framing).
[ -f "$seeds/live_frame/jpeg.jpg" ] || ffmpeg -loglevel error -y -f lavfi -i testsrc=size=32x24 -frames:v 1 "$seeds/live_frame/jpeg.jpg"
python3 - "$seeds" <<'PY'
import struct, sys, pathlib
seeds = pathlib.Path(sys.argv[1])
def framed(*frames):
    return b"".join(struct.pack("<H", len(f)) + f for f in frames)
pcm = bytes([1]) + struct.pack("<Q", 100) + b"".join(struct.pack("<h", (i * 97) % 2000 - 1000) for i in range(1600))
jpeg = (seeds / "live_frame/jpeg.jpg").read_bytes()
video = bytes([2]) + struct.pack("<Q", 200) + jpeg
webm = (seeds / "decode_audio/seed.webm").read_bytes()
chunks = [webm[i:i + 4000] for i in range(0, len(webm), 4000)]
(seeds / "live_frame/pcm_and_jpeg").write_bytes(framed(pcm, video, pcm))
(seeds / "live_frame/webm_stream").write_bytes(framed(*chunks))
(seeds / "live_frame/jpeg.jpg").unlink()
PY

(cd fuzz && cargo fuzz build -O 2>&1 | tail -n 3)
run() {
  local target=$1
  (cd fuzz && cargo fuzz run -O "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
      > "artifacts/$target.log" 2>&1) || true
}
export -f run
export seconds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run {}'

printf '\n%-14s %10s %12s %8s %8s\n' target seconds executions corpus crashes
status=0
for target in "${targets[@]}"; do
  log="fuzz/artifacts/$target.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls "fuzz/corpus/$target" | wc -l)
  crashes=$(ls "fuzz/artifacts/$target" 2>/dev/null | grep -c -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
  printf '%-14s %10s %12s %8s %8s\n' "$target" "$seconds" "$execs" "$corpus" "$crashes"
  [ "$crashes" = 0 ] || status=1
done
exit "$status"
