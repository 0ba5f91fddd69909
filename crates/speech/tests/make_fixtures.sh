#!/usr/bin/env bash
# Generates the audio fixtures used by tests/containers.rs into the directory given as $1 (the
# tests pass one under the build's target directory, outside the clone).
# Needs: espeak-ng, ffmpeg (with libopus, libvorbis, libmp3lame), sox, python3.
#   apt-get install -y ffmpeg sox espeak-ng
set -euo pipefail

out="${1:?usage: make_fixtures.sh OUT_DIR}"
mkdir -p "$out"
cd "$out"

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# Reference speech: espeak-ng writes 22050 Hz mono s16 WAV.
espeak-ng -s 150 -w speech.wav \
  "Hello, this is a test of the interview audio decoder. Please describe a project you are proud of."

# Stereo 44.1 kHz and 48 kHz variants so the down-mix and rate handling are exercised too.
# `pan` copies the mono signal to both channels at full level (`-ac 2` would attenuate by 3 dB),
# so a correct average keeps the original RMS and a sum would be +6 dB.
dup="pan=stereo|c0=c0|c1=c0"
ff -i speech.wav -af "$dup" -ar 44100 -c:a pcm_s16le speech_stereo44.wav
ff -i speech.wav -af "$dup" -ar 48000 -c:a pcm_f32le speech_stereo48_f32.wav

ff -i speech.wav -c:a flac speech.flac
ff -i speech_stereo44.wav -c:a libmp3lame -b:a 96k speech.mp3
ff -i speech_stereo44.wav -c:a libvorbis -q:a 4 speech.ogg
# Ogg/Opus and WebM/Opus the way browsers produce them: 48 kHz, 20 ms frames.
ff -i speech_stereo48_f32.wav -c:a libopus -b:a 48k speech.opus
ff -i speech.wav -ar 48000 -c:a libopus -b:a 32k -f webm speech.webm
ff -i speech_stereo48_f32.wav -c:a libopus -b:a 48k -f webm -live 1 -cluster_time_limit 1000 speech_stereo.webm
# Chrome can also record `audio/webm;codecs=pcm` (A_PCM/FLOAT/IEEE); ffmpeg's webm muxer refuses
# PCM, so use the generic Matroska muxer.
ff -i speech_stereo48_f32.wav -c:a pcm_f32le -f matroska speech_pcm.mka
# AAC-LC in MP4: default ffmpeg layout puts `moov` at the end, +faststart moves it to the front.
ff -i speech_stereo44.wav -c:a aac -b:a 96k speech.m4a
ff -i speech_stereo44.wav -c:a aac -b:a 96k -movflags +faststart speech_faststart.m4a

# Safari's MediaRecorder writes fragmented MP4 (empty moov, then moof/mdat pairs).
ff -i speech_stereo44.wav -c:a aac -b:a 96k -movflags frag_keyframe+empty_moov+default_base_moof \
  -frag_duration 1000000 speech_frag.m4a
# Raw ADTS AAC, and a WAV written to a pipe (data length 0xFFFFFFFF, i.e. unknown).
ff -i speech.wav -c:a aac -f adts speech.aac
ff -i speech.wav -f wav pipe:1 > speech_piped.wav
# A video recording: MediaRecorder with video gives VP8/VP9 + Opus in one WebM.
ff -i speech.wav -f lavfi -i "testsrc=d=7:s=64x64:r=10" -map 0:a -map 1:v -ar 48000 \
  -c:a libopus -c:v libvpx -b:v 50k -shortest -f webm speech_av.webm
# Two Ogg/Opus files back to back: a chained stream.
cat speech.opus speech.opus > chained.opus

# Chrome's MediaRecorder writes a "live" WebM: Segment and every Cluster have the 8-byte
# unknown size (01 FF FF FF FF FF FF FF), and there is no SeekHead, Cues or Duration.
# ffmpeg always writes known cluster sizes, so rewrite its output into that shape.
# Usage: live_webm IN OUT UNKNOWN_SIZE_HEX
live_webm() {
python3 - "$@" <<'PY'
import sys
src = open(sys.argv[1], "rb").read()
UNKNOWN = bytes.fromhex(sys.argv[3][2:])

def read_id(b, p):
    first = b[p]; n = 1
    while n <= 4 and not (first & (0x80 >> (n - 1))): n += 1
    return b[p:p + n], p + n

def read_size(b, p):
    first = b[p]; n = 1
    while n <= 8 and not (first & (0x80 >> (n - 1))): n += 1
    v = first & (0xFF >> n)
    for i in range(1, n): v = (v << 8) | b[p + i]
    return v, p + n

def elements(b, p, end):
    while p < end:
        eid, q = read_id(b, p)
        size, q = read_size(b, q)
        yield eid, b[q:q + size]
        p = q + size

def enc_size(n):
    return bytes([0x01]) + n.to_bytes(7, "big")

SEGMENT, INFO, TRACKS, CLUSTER, DURATION = (bytes.fromhex(x) for x in
    ("18538067", "1549A966", "1654AE6B", "1F43B675", "4489"))
out = bytearray()
for eid, body in elements(src, 0, len(src)):
    if eid != SEGMENT:
        out += eid + enc_size(len(body)) + body  # EBML header
        continue
    out += SEGMENT + UNKNOWN
    for cid, cbody in elements(body, 0, len(body)):
        if cid == INFO:
            kept = b"".join(i + enc_size(len(v)) + v for i, v in elements(cbody, 0, len(cbody)) if i != DURATION)
            out += INFO + enc_size(len(kept)) + kept
        elif cid == TRACKS:
            out += TRACKS + enc_size(len(cbody)) + cbody
        elif cid == CLUSTER:
            out += CLUSTER + UNKNOWN + cbody
        # SeekHead, Cues, Tags, Void: dropped, as in MediaRecorder output.
open(sys.argv[2], "wb").write(out)
PY
}
live_webm speech_stereo.webm speech_live.webm 0x01FFFFFFFFFFFFFF
# The 1-byte unknown size (FF) that other live muxers write.
live_webm speech_stereo.webm speech_live_ff.webm 0xFF

# An hour of digital silence as FLAC: ~1 MB on disk, but far too long to decode fully in a test,
# so the TooLong path must stop early.
sox -n -r 8000 -c 1 -b 16 long_silence.flac trim 0 3600

touch .complete
