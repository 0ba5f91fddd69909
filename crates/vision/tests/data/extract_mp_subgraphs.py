# Usage: PY_WITH_MEDIAPIPE extract_mp_subgraphs.py GraphType... > mediapipe_subgraphs.txt
# Find serialized CalculatorGraphConfig subgraphs embedded in mediapipe's _framework_bindings .so
import sys, re, glob, os
import mediapipe as mp
from mediapipe.framework import calculator_pb2
from google.protobuf import text_format
import mediapipe.calculators.tensor.image_to_tensor_calculator_pb2
import mediapipe.calculators.tensor.tensors_to_landmarks_calculator_pb2
import mediapipe.calculators.tensor.tensors_to_detections_calculator_pb2
import mediapipe.calculators.tensor.inference_calculator_pb2
import mediapipe.calculators.tflite.ssd_anchors_calculator_pb2
so = glob.glob(os.path.join(os.path.dirname(mp.__file__), 'python', '_framework_bindings*.so'))[0]
data = open(so, 'rb').read()
wanted = sys.argv[1:]
for name in wanted:
    tag = b'\xa2\x01' + bytes([len(name)]) + name.encode()   # field 20 'type'
    for m in re.finditer(re.escape(tag), data):
        end = m.end()
        best = None
        for start in range(end - 2, max(0, end - 60000), -1):
            if data[start] != 0x0a:
                continue
            g = calculator_pb2.CalculatorGraphConfig()
            try:
                g.ParseFromString(data[start:end])
            except Exception:
                continue
            if g.type == name and len(g.node) > 0 and g.SerializeToString() == data[start:end]:
                best = g
        if best is not None:
            print('=====', name, 'at', m.start())
            print(text_format.MessageToString(best))
            break
