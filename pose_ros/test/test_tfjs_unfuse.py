"""Splitting TF.js fused convolutions into ops that TensorFlow runs on every CPU.

The numbers (that the split graph computes what the fused one did) are checked by
the conversion itself, against TensorFlow and ONNX Runtime: test_models_conversion.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from pose_ros.models.fetch import missing_or_bad
from pose_ros.models.registry import default_model_dir, model_names, model_spec, source_dir
from pose_ros.models.tfjs_unfuse import (
    FUSED_CONVOLUTIONS,
    UnsupportedFusionError,
    fused_ops,
    split_fused_ops,
)


def _b64(*ops: str) -> dict:
    return {"list": {"s": [base64.b64encode(op.encode()).decode() for op in ops]}}


def _fused(op: str, ops: tuple[str, ...], inputs=("x", "w", "b"), **attrs) -> dict:
    attr = {"T": {"type": "DT_FLOAT"}, "data_format": {"s": base64.b64encode(b"NHWC").decode()},
            "strides": {"list": {"i": ["1", "2", "2", "1"]}}, "fused_ops": _b64(*ops),
            "num_args": {"i": str(len(inputs) - 2)}, **attrs}
    return {"name": "block/conv", "op": op, "input": list(inputs), "attr": attr}


def _model(*nodes: dict) -> dict:
    inputs: list[dict] = [{"name": n, "op": "Placeholder", "attr": {}}
                          for n in ("x", "w", "b", "a")]
    consumer = {"name": "out", "op": "Identity", "input": ["block/conv"], "attr": {}}
    return {"modelTopology": {"node": inputs + list(nodes) + [consumer]}}


@pytest.mark.parametrize("name", model_names())
def test_the_real_models_lose_every_fused_op_and_keep_every_name(name):
    spec, model_dir = model_spec(name), default_model_dir()
    assert not missing_or_bad(model_dir, spec.files), (
        f"{name} is not fetched into {model_dir}: run 'make models' (pose-ros-models fetch)")
    model_json = next(f for f in spec.files if f.endswith(".json"))
    model = json.loads((source_dir(model_dir) / model_json).read_text())
    original = copy.deepcopy(model)
    before = model["modelTopology"]["node"]
    split = split_fused_ops(model)
    assert model == original, "the input model was modified"
    after = split["modelTopology"]["node"]
    fused = [n for n in before if n["op"] in FUSED_CONVOLUTIONS]
    assert fused, f"{name} has no fused convolutions: nothing was tested"
    assert not [n["name"] for n in after
                if n["op"] in FUSED_CONVOLUTIONS or "fused_ops" in n.get("attr", {})]
    names = [n["name"] for n in after]
    assert len(names) == len(set(names))
    # every consumer and the signature still find their inputs
    assert {n["name"] for n in before} <= set(names)
    for node in after:
        for inp in node.get("input", []):
            assert inp.lstrip("^").split(":")[0] in set(names), (node["name"], inp)
    for out in model["signature"]["outputs"].values():
        assert out["name"].split(":")[0] in set(names)
    # one plain op per fused one (convolution, bias, activation)
    assert len(after) == len(before) + sum(len(fused_ops(n)) for n in fused)


def test_a_depthwise_relu6_becomes_three_ops_and_the_last_keeps_the_name():
    node = _fused("FusedDepthwiseConv2dNative", ("BiasAdd", "Relu6"),
                  dilations={"list": {"i": ["1", "1", "1", "1"]}})
    nodes = split_fused_ops(_model(node))["modelTopology"]["node"][4:]
    conv, bias, act, consumer = nodes
    assert (conv["op"], conv["name"], conv["input"]) == (
        "DepthwiseConv2dNative", "block/conv/DepthwiseConv2dNative", ["x", "w"])
    assert conv["attr"]["strides"] == node["attr"]["strides"]
    assert conv["attr"]["dilations"] == node["attr"]["dilations"]
    assert not {"fused_ops", "num_args"} & set(conv["attr"])
    assert (bias["op"], bias["input"]) == ("BiasAdd", [conv["name"], "b"])
    assert bias["attr"]["data_format"] == node["attr"]["data_format"]
    assert (act["op"], act["name"], act["input"]) == ("Relu6", "block/conv", [bias["name"]])
    assert consumer["input"] == ["block/conv"]


def test_bias_only_keeps_the_name_on_bias_add_and_control_inputs_gate_the_convolution():
    node = _fused("_FusedConv2D", ("BiasAdd",), inputs=("x", "w", "b", "^a"))
    conv, bias = split_fused_ops(_model(node))["modelTopology"]["node"][4:6]
    assert (conv["op"], conv["input"]) == ("Conv2D", ["x", "w", "^a"])
    assert (bias["op"], bias["name"]) == ("BiasAdd", "block/conv")


def test_leaky_relu_keeps_its_alpha():
    node = _fused("_FusedConv2D", ("BiasAdd", "LeakyRelu"), leakyrelu_alpha={"f": 0.1})
    act = split_fused_ops(_model(node))["modelTopology"]["node"][6]
    assert (act["op"], act["attr"]["alpha"]) == ("LeakyRelu", {"f": 0.1})


@pytest.mark.parametrize("ops,inputs", [
    (("FusedBatchNorm",), ("x", "w", "s", "o", "m", "v")),
    (("BiasAdd", "Prelu"), ("x", "w", "b", "a")),
    (("BiasAdd", "Swish"), ("x", "w", "b")),
])
def test_an_unknown_fusion_is_refused_naming_node_and_op(ops, inputs):
    node = _fused("_FusedConv2D", ops, inputs=inputs)
    with pytest.raises(UnsupportedFusionError, match=f"'block/conv'.*{ops[-1]}"):
        split_fused_ops(_model(node))


def test_a_name_clash_is_refused():
    node = _fused("_FusedConv2D", ("BiasAdd", "Relu"))
    clash = {"name": "block/conv/Conv2D", "op": "Placeholder", "attr": {}}
    with pytest.raises(UnsupportedFusionError, match="already has nodes named"):
        split_fused_ops(_model(clash, node))
