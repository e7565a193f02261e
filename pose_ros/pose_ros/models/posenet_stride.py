"""PoseNet output strides 8, 16 and 32 from one set of MobileNetV1 weights.

PoseNet 1.x turned strides into dilations at run time (atrous convolution): once
the running stride reaches the target, each later stride-2 convolution runs at
stride 1, and later convolutions are dilated by the stride removed so far, which
keeps their receptive field. This rewrites the converted ONNX graph the same way.

The shipped graph is the stride-16 export, and it runs MobileNetV1's twelfth
depthwise convolution (a stride-2 layer of the architecture) at stride 1 without
dilating the thirteenth. The rate therefore grows by the source graph's own
strides, so that the stride-16 rewrite is exactly the original graph, while the
strides come from the architecture, so that stride 32 restores the twelfth
layer's stride 2.
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper

#: Strides of MobileNetV1's 14 spatial (3x3) convolutions, in graph order.
MOBILENET_V1_STRIDES = (2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)
SUPPORTED_STRIDES = (8, 16, 32)


def _attr(node: onnx.NodeProto, name: str) -> Any:
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return None


def _set_attr(node: onnx.NodeProto, name: str, value: list[int]) -> None:
    for a in node.attribute:
        if a.name == name:
            node.attribute.remove(a)
            break
    node.attribute.append(helper.make_attribute(name, value))


def spatial_convs(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """The backbone's 3x3 convolutions in graph (topological) order."""
    return [n for n in model.graph.node
            if n.op_type == "Conv" and list(_attr(n, "kernel_shape") or []) == [3, 3]]


def layer_schedule(source_strides: list[int], target: int) -> list[tuple[int, int]]:
    """(stride, dilation) of each spatial convolution for an output stride of ``target``."""
    if target not in SUPPORTED_STRIDES:
        raise ValueError(f"output stride must be one of {SUPPORTED_STRIDES}, not {target}")
    schedule = []
    current, rate = 1, 1
    for arch_stride, source_stride in zip(MOBILENET_V1_STRIDES, source_strides):
        if current == target:
            schedule.append((1, rate))
            rate *= source_stride
        else:
            schedule.append((arch_stride, 1))
            current *= arch_stride
    if current != target:
        raise ValueError(f"MobileNetV1 cannot reach output stride {target}")
    return schedule


def with_output_stride(model: onnx.ModelProto, target: int) -> onnx.ModelProto:
    """A copy of the stride-16 PoseNet graph that runs at output stride ``target``."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    convs = spatial_convs(out)
    if len(convs) != len(MOBILENET_V1_STRIDES):
        raise ValueError(f"expected {len(MOBILENET_V1_STRIDES)} 3x3 convolutions in the "
                         f"PoseNet graph, found {len(convs)}: not a MobileNetV1 PoseNet")
    source = [int(_attr(c, "strides")[0]) for c in convs]
    for conv, (stride, dilation) in zip(convs, layer_schedule(source, target)):
        _set_attr(conv, "strides", [stride, stride])
        _set_attr(conv, "dilations", [dilation, dilation])
        # SAME padding: a dilated 3x3 kernel spans 2*d+1 pixels; a stride-2 layer
        # on the odd sizes PoseNet requires (k * stride + 1) pads one on each side.
        pad = dilation if stride == 1 else 1
        _set_attr(conv, "pads", [pad, pad, pad, pad])
    return out


def output_size(input_size: int, stride: int) -> int:
    return (input_size - 1) // stride + 1
