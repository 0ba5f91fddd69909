"""The faster-whisper side of `mianshi bench asr`: transcribes the same clips with the same
CTranslate2 model directory and prints one JSON object per line (clip, seconds, text), then
a summary line with the load time and peak RSS. Run by scripts/bench-asr.sh in a throwaway
venv; never a runtime dependency."""

import json
import resource
import sys
import time

from faster_whisper import WhisperModel


def main() -> None:
    model_dir, compute_type, threads, beam = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    clips = sys.argv[5:]
    started = time.perf_counter()
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
    load = time.perf_counter() - started
    for spec in clips:
        path, language = spec.rsplit("=", 1)
        started = time.perf_counter()
        segments, info = model.transcribe(
            path,
            language=None if language == "auto" else language,
            beam_size=beam,
            vad_filter=False,
        )
        text = "".join(s.text for s in segments).strip()
        seconds = time.perf_counter() - started
        print(json.dumps({"clip": path, "seconds": seconds, "text": text, "language": info.language}), flush=True)
    # VmHWM belongs to this process's own address space; getrusage's ru_maxrss would carry
    # the parent's peak across fork + exec and report the bench's own memory instead.
    rss_kb = next(
        (int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )
    print(json.dumps({"load_seconds": load, "peak_rss_mb": rss_kb / 1024}), flush=True)


if __name__ == "__main__":
    main()
