"""Split the fused convolutions of a TF.js graph model back into plain TensorFlow ops.

TF.js exports ``_FusedConv2D`` and ``FusedDepthwiseConv2dNative`` (convolution,
bias and activation in one node). TensorFlow has no generic CPU kernel for the
fused depthwise convolution: only oneDNN runs it, and TensorFlow enables oneDNN
by default only on CPUs with AVX512_VNNI, BF16 or AMX. Elsewhere the reference
run dies with "Missing 0-th output". ``Conv2D``, ``DepthwiseConv2dNative``,
``BiasAdd`` and the activations have kernels on every CPU, and TensorFlow
re-fuses them itself where it can. Both fused forms are split, so that every
consumer of the graph sees plain ops only.

Pure dictionary work on the parsed ``model.json`` (no TensorFlow import), so the
TF.js -> ONNX converter, a future TF.js -> TFLite converter and the tests share it.
"""

from __future__ import annotations

import base64
import copy

#: Fused op -> the plain convolution it starts with.
FUSED_CONVOLUTIONS = {"_FusedConv2D": "Conv2D",
                      "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
#: Activations a fused convolution may end with; each is also the name of its TF op.
ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh")
#: Attributes that only the fused ops have.
FUSED_ONLY_ATTRS = ("fused_ops", "num_args", "epsilon", "leakyrelu_alpha", "TArgs")


class UnsupportedFusionError(ValueError):
    """A fused node computes something this module does not know how to split."""


def fused_ops(node: dict) -> list[str]:
    """The node's ``fused_ops`` (TF.js stores these strings base64-encoded)."""
    encoded = node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    return [base64.b64decode(s).decode() for s in encoded]


def _split(node: dict) -> list[dict]:
    """Convolution, BiasAdd and optional activation; the last one keeps ``node``'s name."""
    name, attr = node["name"], node.get("attr", {})
    ops = fused_ops(node)
    if not ops or ops[0] != "BiasAdd" or len(ops) > 2 or (len(ops) == 2
                                                          and ops[1] not in ACTIVATIONS):
        raise UnsupportedFusionError(
            f"node {name!r} ({node['op']}) fuses {ops}: only BiasAdd followed by one of "
            f"{sorted(ACTIVATIONS)} can be split; extend pose_ros/models/tfjs_unfuse.py")
    data, args = node["input"][:3], node["input"][3:]
    # Control inputs ("^name") may follow the data inputs; they gate the first op.
    if len(data) != 3 or any(i.startswith("^") for i in data) or any(
            not i.startswith("^") for i in args):
        raise UnsupportedFusionError(f"node {name!r} ({node['op']}) has inputs {node['input']}; "
                                     "expected input, filter, bias and control inputs only")
    extra = {k: v for k, v in node.items() if k not in ("name", "op", "input", "attr")}
    dtype = attr.get("T", {"type": "DT_FLOAT"})

    def make(op_name: str, op: str, inputs: list[str], attrs: dict) -> dict:
        return {"name": op_name, "op": op, "input": inputs, "attr": attrs, **copy.deepcopy(extra)}

    conv_attrs = {k: copy.deepcopy(v) for k, v in attr.items() if k not in FUSED_ONLY_ATTRS}
    bias_attrs = {"T": dtype}
    if "data_format" in attr:
        bias_attrs["data_format"] = copy.deepcopy(attr["data_format"])
    activation = ops[1] if len(ops) == 2 else None
    conv_name = f"{name}/{FUSED_CONVOLUTIONS[node['op']]}"
    bias_name = name if activation is None else f"{name}/BiasAdd"
    nodes = [make(conv_name, FUSED_CONVOLUTIONS[node["op"]], [data[0], data[1], *args],
                  conv_attrs),
             make(bias_name, "BiasAdd", [conv_name, data[2]], bias_attrs)]
    if activation is not None:
        act_attrs = {"T": dtype}
        if activation == "LeakyRelu":
            act_attrs["alpha"] = {"f": attr.get("leakyrelu_alpha", {}).get("f", 0.2)}
        nodes.append(make(name, activation, [bias_name], act_attrs))
    return nodes


def split_fused_ops(model: dict) -> dict:
    """A copy of the TF.js ``model`` with every fused convolution split into plain ops.

    The last op of each split keeps the fused node's name, so every consumer and the
    signature's output names stay valid. Raises :class:`UnsupportedFusionError` for a
    fusion it cannot split (naming the node and its ``fused_ops``).
    """
    out = copy.deepcopy(model)
    topology = out["modelTopology"]
    names = {n["name"] for n in topology["node"]}
    nodes = []
    for node in topology["node"]:
        if node["op"] not in FUSED_CONVOLUTIONS:
            nodes.append(node)
            continue
        split = _split(node)
        clash = [n["name"] for n in split[:-1] if n["name"] in names]
        if clash:
            raise UnsupportedFusionError(f"cannot split {node['name']!r}: the graph already "
                                         f"has nodes named {clash}")
        names.update(n["name"] for n in split)
        nodes.extend(split)
    topology["node"] = nodes
    return out
