"""Convert TF.js graph models to ONNX (and TFLite) and record the graph's own outputs.

Runs inside the isolated conversion environment (TensorFlow, tf2onnx, numpy < 2),
never in the node's: it imports nothing from pose_ros. Invoked by
``pose-ros-models convert`` as ``python tfjs_to_onnx.py JOBS.json``, where the
file lists jobs ``{"model_json", "onnx", "reference", "input_shape", "seed"}`` and,
for the models LiteRT runs, ``"tflite"`` and ``"tflite_shape"`` (null for a dynamic
dimension).

For each job it
1. splits the fused convolutions into plain ops (``tfjs_unfuse``: without oneDNN
   TensorFlow has no kernel for the fused depthwise one) and adds the attribute that these
   older graph files lack and TensorFlow now requires (``index_type`` on ``TopKV2``);
2. converts that graph with tf2onnx (opset 17);
3. runs that same graph in TensorFlow on a fixed input and saves input and
   outputs (``.npz``), so the ONNX model can be checked against TensorFlow's;
4. where asked, converts the graph to a float32 ``.tflite`` of built-in ops only
   (TFLiteConverter), its axes-only slices first rewritten as ``ExpandDims``
   (``tfjs_newaxis``: MultiPose's, so that its input size stays free), and adds its
   outputs on the same input to the ``.npz`` (keys ``tflite:NAME``), for the same check.

``tfjs_unfuse`` and ``tfjs_newaxis`` are imported as this script's neighbours (the
script's folder is on ``sys.path``), not through the ``pose_ros`` package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from google.protobuf.json_format import ParseDict
from tensorflow.core.framework import graph_pb2
from tf2onnx import tfjs_utils
from tfjs_newaxis import NewAxisRewriteError, expand_new_axes
from tfjs_unfuse import UnsupportedFusionError, split_fused_ops

OPSET = 17


def add_index_type(model: dict) -> dict:
    for node in model["modelTopology"]["node"]:
        if node["op"] == "TopKV2":
            node["attr"]["index_type"] = {"type": "DT_INT32"}
    return model


def read_weights(model: dict, folder: Path) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for group in model["weightsManifest"]:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            name, array, size = tfjs_utils.read_tfjs_weight(w, data, offset)
            weights[name] = array
            offset += size
    return weights


def graph_def(model: dict, weights: dict[str, np.ndarray]) -> graph_pb2.GraphDef:
    """The TF.js graph as a TensorFlow GraphDef, constants filled from the weights."""
    gd = graph_pb2.GraphDef()
    for node in model["modelTopology"]["node"]:
        nd = gd.node.add()
        if node["op"] == "Const":
            value = weights[node["name"]]
            nd.name, nd.op = node["name"], "Const"
            nd.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
            nd.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
            continue
        ParseDict(node, nd)
    return gd


def fixed_input(dtype: str, shape: list[int], seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    pixels = rng.randint(0, 256, size=shape)
    if dtype == "DT_INT32":
        return pixels.astype(np.int32)
    return (pixels / 127.5 - 1.0).astype(np.float32)


def reference_outputs(model: dict, folder: Path, shape: list[int], seed: int) -> dict:
    sig = model["signature"]
    (inp,) = sig["inputs"].values()
    # tf2onnx names the ONNX outputs by the signature's keys.
    keys = list(sig["outputs"])
    outputs = [sig["outputs"][k]["name"] for k in keys]
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def(model, read_weights(model, folder)), name="")
    x = fixed_input(inp["dtype"], shape, seed)
    with tf.compat.v1.Session(graph=graph) as sess:
        values = sess.run(outputs, {inp["name"]: x})
    result = {"input": x}
    result.update({f"output:{key}": v for key, v in zip(keys, values)})
    return result


def to_tflite(model: dict, folder: Path, shape: list[int | None], x: np.ndarray) -> tuple:
    """The graph as TFLite bytes, and its outputs on ``x`` by TFLite tensor name.

    The graph is imported behind a placeholder of ``shape`` so that dimensions the
    family leaves free (PoseNet's and MultiPose's height and width) stay free in the
    TFLite model.
    """
    sig = model["signature"]
    (inp,) = sig["inputs"].values()
    outputs = [sig["outputs"][k]["name"] for k in sig["outputs"]]
    rewritten, weights, replaced = expand_new_axes(model, read_weights(model, folder))
    if replaced:
        print(f"{len(replaced)} axes-only StridedSlice nodes -> ExpandDims", flush=True)
    gd = graph_def(rewritten, weights)
    dtype = tf.int32 if inp["dtype"] == "DT_INT32" else tf.float32

    def imported(image: tf.Tensor) -> list:
        return tf.import_graph_def(gd, input_map={inp["name"]: image},
                                   return_elements=outputs, name="")

    function = tf.compat.v1.wrap_function(imported, [tf.TensorSpec(shape, dtype)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], function)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    data = converter.convert()
    interpreter = tf.lite.Interpreter(model_content=data)
    (input_detail,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(input_detail["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_detail["index"], x)
    interpreter.invoke()
    return data, {f"tflite:{d['name']}": interpreter.get_tensor(d["index"])
                  for d in interpreter.get_output_details()}


def convert(job: dict) -> None:
    src = Path(job["model_json"])
    # One rewritten graph for both tf2onnx and the TensorFlow reference run.
    model = add_index_type(split_fused_ops(json.loads(src.read_text())))
    with tempfile.TemporaryDirectory() as tmp:
        fixed = Path(tmp) / src.name
        fixed.write_text(json.dumps(model))
        for group in model["weightsManifest"]:
            for p in group["paths"]:
                shutil.copy(src.parent / p, Path(tmp) / p)
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tfjs", str(fixed),
                        "--output", job["onnx"], "--opset", str(OPSET)],
                       check=True, capture_output=True, text=True)
    reference = reference_outputs(model, src.parent, job["input_shape"], job["seed"])
    print(f"converted {src.name} -> {job['onnx']}", flush=True)
    if job.get("tflite"):
        data, tflite_outputs = to_tflite(model, src.parent, job["tflite_shape"],
                                         reference["input"])
        Path(job["tflite"]).write_bytes(data)
        reference.update(tflite_outputs)
        print(f"converted {src.name} -> {job['tflite']}", flush=True)
    np.savez(job["reference"], **reference)


def main() -> int:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    for job in jobs:
        try:
            convert(job)
        except subprocess.CalledProcessError as e:
            print(f"tf2onnx failed on {job['model_json']}:\n{e.stderr[-3000:]}", file=sys.stderr)
            return 1
        except (UnsupportedFusionError, NewAxisRewriteError) as e:
            print(f"cannot convert {job['model_json']}: {e}", file=sys.stderr)
            return 1
    print(json.dumps({"tensorflow": tf.__version__, "tf2onnx": __import__("tf2onnx").__version__,
                      "opset": OPSET}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
