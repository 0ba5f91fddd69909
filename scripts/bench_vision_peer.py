"""Times the reference TFLite runtime (ai-edge-litert, XNNPACK, one thread) on each vision
model with the same input as `mianshi bench vision`: sin(0.013 * i) over the input tensor.
Prints one JSON object: model file name -> mean milliseconds. Run by scripts/bench-vision.sh."""
import json
import sys
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

runs = int(sys.argv[1])
result = {}
for path in sys.argv[2:]:
    it = Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    n = int(np.prod(d["shape"]))
    x = np.sin(np.arange(n, dtype=np.float32) * np.float32(0.013)).reshape(d["shape"])
    it.set_tensor(d["index"], x)
    it.invoke()
    start = time.perf_counter()
    for _ in range(runs):
        it.set_tensor(d["index"], x)
        it.invoke()
    result[path.rsplit("/", 1)[-1]] = (time.perf_counter() - start) / runs * 1000.0
print(json.dumps(result))
