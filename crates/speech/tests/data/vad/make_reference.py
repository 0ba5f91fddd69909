#!/usr/bin/env python3
"""Writes the reference of crates/speech/tests/vad_parity.rs (reference.json beside this file).

    python3 -m venv venv && venv/bin/pip install onnxruntime onnx numpy safetensors
    venv/bin/python make_reference.py WHEEL_DATA_DIR [CLIPS_DIR]
    # WHEEL_DATA_DIR: silero_vad/data/ of the unpacked silero-vad==6.2.3 wheel (it also
    # needs the wheel's silero_vad/utils_vad.py beside it for the segmenter reference).
    # CLIPS_DIR: the speech-test-clips model (default ~/.cache/mianshi/models/...).

Output: reference.json — per-chunk probabilities from onnxruntime, speech segments from
silero-vad's own get_speech_timestamps_from_probs. The speech signal is recorded clips
(fetched with checksums through the model manifest), so no audio is stored here.

Silence (all zeros) and white noise (xorshift32, reproduced bit-exactly by the Rust test) are
not stored; their lengths are not multiples of 512 so the zero-padded last chunk is exercised.

Two onnxruntime references per signal, both from the 16 kHz branch of the if-less ONNX graph,
driven the way utils_vad.OnnxWrapper drives it (64-sample context prepended, state carried):
  onnx_weights        the graph as shipped (its own initializers: the weights of the .jit and
                      of every other .onnx in the wheel)
  safetensors_weights the same graph with its 16 kHz initializers replaced by the tensors of
                      silero_vad_16k.safetensors (which are a different set of weights)
"""
import ast
import hashlib
import json
import os
import sys
from typing import List

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = HERE
SR = 16000
CHUNK = 512
CONTEXT = 64

# safetensors name -> initializer of the 16 kHz branch in silero_vad_op18_ifless.onnx
ONNX_NAME = {"stft_conv.weight": "model.stft.forward_basis_buffer"}
for i in range(4):
    ONNX_NAME[f"conv{i + 1}.weight"] = f"model.encoder.{i}.reparam_conv.weight"
    ONNX_NAME[f"conv{i + 1}.bias"] = f"model.encoder.{i}.reparam_conv.bias"
for s in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
    ONNX_NAME[f"lstm_cell.{s}"] = f"model.decoder.rnn.{s}"
ONNX_NAME["final_conv.weight"] = "model.decoder.decoder.2.weight"
ONNX_NAME["final_conv.bias"] = "model.decoder.decoder.2.bias"


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


SPEECH_CLIPS = ["en_counting", "en_quick_brown_fox", "zh_nihao_shijie", "zh_pangrama"]


def read_wav(path):
    """Float32 or int16 mono WAV samples (the speech-test-clips are 16 kHz float32)."""
    data = open(path, "rb").read()
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if tag == b"fmt ":
            fmt = (int.from_bytes(body[0:2], "little"), int.from_bytes(body[2:4], "little"),
                   int.from_bytes(body[4:8], "little"))
        elif tag == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    code, channels, rate = fmt
    assert channels == 1 and rate == SR, fmt
    if code == 3:
        return np.frombuffer(samples, dtype="<f4").astype(np.float32)
    return np.frombuffer(samples, dtype="<i2").astype(np.float32) / 32768.0


def make_speech(clips_dir):
    """The recorded clips (fetched with checksums by `mianshi models fetch speech-test-clips`)
    back to back with 0.5 s of silence after each: the Rust test builds the same signal."""
    parts = []
    for name in SPEECH_CLIPS:
        parts.append(read_wav(os.path.join(clips_dir, name + ".wav")))
        parts.append(np.zeros(SR // 2, np.float32))
    return np.concatenate(parts)


def xorshift_noise(n, seed=0x12345678):
    """Uniform white noise in [-0.25, 0.25): every value exactly representable in f32."""
    x = seed
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = np.float32((x >> 16) - 32768) / np.float32(32768.0) * np.float32(0.25)
    return out


def session(onnx_path, weights=None):
    model = onnx.load(onnx_path)
    if weights is not None:
        by_onnx = {v: k for k, v in ONNX_NAME.items()}
        replaced = 0
        for init in model.graph.initializer:
            if init.name in by_onnx:
                init.CopyFrom(numpy_helper.from_array(weights[by_onnx[init.name]], init.name))
                replaced += 1
        assert replaced == len(ONNX_NAME), replaced
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def probabilities(sess, x):
    """utils_vad.OnnxWrapper.audio_forward at 16 kHz."""
    x = np.asarray(x, dtype=np.float32)
    pad = (-len(x)) % CHUNK
    x = np.concatenate([x, np.zeros(pad, np.float32)])
    context = np.zeros((1, CONTEXT), np.float32)
    state = np.zeros((2, 1, 128), np.float32)
    out = []
    for i in range(0, len(x), CHUNK):
        inp = np.concatenate([context, x[None, i:i + CHUNK]], axis=1)
        p, state = sess.run(None, {"input": inp, "state": state,
                                   "sr": np.array(SR, dtype=np.int64)})
        out.append(float(p[0, 0]))
        context = inp[:, -CONTEXT:]
    return out


def upstream_segmenter(utils_vad_path):
    """silero-vad's own get_speech_timestamps_from_probs, lifted out of utils_vad.py with ast
    (the module imports torch at the top; this function does not use it)."""
    tree = ast.parse(open(utils_vad_path).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
              and n.name == "get_speech_timestamps_from_probs")
    ns = {"List": List}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), utils_vad_path, "exec"), ns)
    return ns["get_speech_timestamps_from_probs"]


PARAM_SETS = [
    {},  # upstream defaults
    {"threshold": 0.3},
    {"threshold": 0.7, "neg_threshold": 0.6},
    {"min_speech_duration_ms": 0, "min_silence_duration_ms": 0, "speech_pad_ms": 0},
    {"min_silence_duration_ms": 300, "speech_pad_ms": 100},
    {"max_speech_duration_s": 1.0},
    {"max_speech_duration_s": 1.5, "use_max_poss_sil_at_max_speech": False},
    {"max_speech_duration_s": 0.7, "min_silence_at_max_speech": 30},
    {"max_speech_duration_s": 2.0, "min_silence_duration_ms": 500,
     "use_max_poss_sil_at_max_speech": False, "min_silence_at_max_speech": 50},
]


def synthetic_probs(seed, n):
    """Bursty probabilities rounded to f32, so Rust compares exactly the same numbers."""
    rng = np.random.default_rng(seed)
    level = 0.0
    out = []
    for _ in range(n):
        if rng.random() < 0.08:
            level = rng.choice([0.02, 0.2, 0.4, 0.5, 0.6, 0.95])
        out.append(float(np.float32(np.clip(level + rng.normal(0, 0.12), 0, 1))))
    return out


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/silero_port/dl/silero_vad/data"
    utils_vad = os.path.join(os.path.dirname(model_dir.rstrip("/")), "utils_vad.py")
    st_path = os.path.join(model_dir, "silero_vad_16k.safetensors")
    onnx_path = os.path.join(model_dir, "silero_vad_op18_ifless.onnx")
    os.makedirs(DATA, exist_ok=True)

    clips_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.expanduser(
        "~/.cache/mianshi/models/speech-test-clips")
    speech = make_speech(clips_dir)
    signals = {
        "speech": speech,
        "silence": np.zeros(5 * SR + 100, np.float32),
        "white_noise": xorshift_noise(10 * SR + 300),
    }

    st = load_file(st_path)
    stock = session(onnx_path)
    patched = session(onnx_path, st)
    segment = upstream_segmenter(utils_vad)

    ref = {
        "generated_by": "tests/make_reference.py",
        "silero_vad_version": "6.2.3",
        "onnxruntime_version": ort.__version__,
        "speech_clips": SPEECH_CLIPS,
        "sha256": {"silero_vad_16k.safetensors": sha256(st_path),
                   "silero_vad_op18_ifless.onnx": sha256(onnx_path)},
        "noise": {"seed": 0x12345678, "scale": 0.25},
        "signals": {},
        "segment_cases": [],
    }
    for name, x in signals.items():
        entry = {"samples": int(len(x)),
                 "onnx_weights": probabilities(stock, x),
                 "safetensors_weights": probabilities(patched, x)}
        a, b = np.array(entry["onnx_weights"]), np.array(entry["safetensors_weights"])
        print(f"{name}: {len(a)} chunks, onnx vs safetensors weights max |diff| "
              f"{np.abs(a - b).max():.4f}, mean prob {a.mean():.3f} / {b.mean():.3f}")
        ref["signals"][name] = entry

    # Segments: upstream code on the reference probabilities and on synthetic sequences.
    inputs = [(f"{sig}/{w}", ref["signals"][sig][w], ref["signals"][sig]["samples"])
              for sig in ["speech", "white_noise"] for w in ["onnx_weights", "safetensors_weights"]]
    for seed in range(3):
        inputs.append((f"synthetic/{seed}", synthetic_probs(seed, 600), 600 * CHUNK - 200))
    for label, probs, length in inputs:
        for params in PARAM_SETS:
            for with_len in [False, True]:
                kw = dict(params)
                if with_len:
                    kw["audio_length_samples"] = length
                segs = segment([float(p) for p in probs], **kw)
                case = {"probs": label, "params": params,
                        "audio_length_samples": length if with_len else None,
                        "segments": [[s["start"], s["end"]] for s in segs]}
                ref["segment_cases"].append(case)
    ref["synthetic_probs"] = {f"synthetic/{s}": synthetic_probs(s, 600) for s in range(3)}
    print("default segments of speech (onnx weights):",
          next(c["segments"] for c in ref["segment_cases"]
               if c["probs"] == "speech/onnx_weights" and not c["params"]
               and c["audio_length_samples"] is not None))

    with open(os.path.join(DATA, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print("wrote", os.path.join(DATA, "reference.json"),
          os.path.getsize(os.path.join(DATA, "reference.json")), "bytes")


if __name__ == "__main__":
    main()
