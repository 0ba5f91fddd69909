#!/usr/bin/env python3
"""Run mediapipe.solutions.pose (static images) on sample1..6.jpg, print JSON.

Usage: PY_WITH_MEDIAPIPE mp_pose_reference.py IMAGE_DIR [POSE_LANDMARK_LITE_TFLITE]

mediapipe wheels ship only pose_landmark_full.tflite; model_complexity=0
downloads pose_landmark_lite.tflite from storage.googleapis.com at runtime.
Without internet we copy the given lite model (npm @mediapipe/pose) into the
mediapipe package directory first (only if the file is missing there).
"""
import hashlib
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image


def r6(v):
    v = float(v)
    return v if v == 0 else float(f'{v:.6g}')


def main():
    image_dir = sys.argv[1]
    lite = sys.argv[2] if len(sys.argv) > 2 else None
    import mediapipe as mp
    mp_dir = os.path.dirname(mp.__file__)
    dst = os.path.join(mp_dir, 'modules', 'pose_landmark', 'pose_landmark_lite.tflite')
    md5 = lambda p: hashlib.md5(open(p, 'rb').read()).hexdigest()
    if not os.path.exists(dst):
        if lite is None:
            raise SystemExit('pose_landmark_lite.tflite missing and no replacement given')
        shutil.copyfile(lite, dst)
    if lite is not None and md5(lite) == md5(dst):
        lite_note = ('not shipped in the wheel (runtime download from storage.googleapis.com, unreachable); '
                     f'copied into the package from {lite} (npm @mediapipe/pose), identical md5')
    else:
        lite_note = 'present in package'
    models = {m: md5(os.path.join(mp_dir, 'modules', d, m)) for d, m in (
        ('pose_detection', 'pose_detection.tflite'),
        ('pose_landmark', 'pose_landmark_full.tflite'),
        ('pose_landmark', 'pose_landmark_lite.tflite'))}
    out = {'mediapipe_version': mp.__version__,
           'api': 'mp.solutions.pose.Pose(static_image_mode=True, model_complexity=C, '
                  'enable_segmentation=False, min_detection_confidence=0.5).process(rgb_uint8)',
           'images_decoded_with': 'PIL (RGB)',
           'landmark_format': '33 x [x, y, z, visibility]; x,y normalised to image, z as mediapipe '
                              '(same scale as x, origin at hip centre)',
           'pose_landmark_lite_tflite': lite_note,
           'model_md5': models,
           'results': {}}
    for c in (1, 0):
        res_c = {}
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=c,
                                    enable_segmentation=False,
                                    min_detection_confidence=0.5) as pose:
            for i in range(1, 7):
                fn = f'sample{i}.jpg'
                rgb = np.asarray(Image.open(os.path.join(image_dir, fn)).convert('RGB'))
                r = pose.process(rgb)
                if r.pose_landmarks is None:
                    res_c[fn] = None
                else:
                    res_c[fn] = [[r6(l.x), r6(l.y), r6(l.z), r6(l.visibility)]
                                 for l in r.pose_landmarks.landmark]
        out['results'][f'model_complexity_{c}'] = res_c
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
