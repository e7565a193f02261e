"""Small ONNX graph edits made after conversion: names and dynamic input sizes."""

from __future__ import annotations

import onnx

from pose_ros.models.registry import ModelSpec


def rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for value in list(graph.input) + list(graph.output):
        if value.name == old:
            value.name = new


def match_outputs(tf_names: list[str], spec: ModelSpec) -> dict[str, str]:
    """Map the converter's output names to the registry's (by name, or the only one)."""
    wanted = [o.name for o in spec.outputs]
    if len(tf_names) == 1 and len(wanted) == 1:
        return {tf_names[0]: wanted[0]}
    mapping = {}
    for want in wanted:
        hits = [n for n in tf_names if f"/{want}_" in n or n.split("/")[-1].startswith(want)]
        if len(hits) != 1:
            raise ValueError(f"cannot tell which of {tf_names} is {spec.name}'s {want!r}")
        mapping[hits[0]] = want
    return mapping


def set_dynamic_dims(model: onnx.ModelProto, spec: ModelSpec) -> None:
    """Make the input's symbolic dimensions (e.g. height, width) symbolic in the graph.

    The source graph bakes in one size; the model family accepts many. Output
    shapes are cleared so ONNX Runtime and TensorRT infer them per input.
    """
    (inp,) = model.graph.input
    for dim, want in zip(inp.type.tensor_type.shape.dim, spec.input.shape):
        if isinstance(want, str):
            dim.ClearField("dim_value")
            dim.dim_param = want
    for out in model.graph.output:
        for i, dim in enumerate(out.type.tensor_type.shape.dim):
            if i in (1, 2) and len(out.type.tensor_type.shape.dim) == 4:
                dim.ClearField("dim_value")
                dim.dim_param = f"{out.name}_dim{i}"
    del model.graph.value_info[:]


def finalize(model: onnx.ModelProto, spec: ModelSpec) -> dict[str, str]:
    """Registry names on the graph's input and outputs; returns old -> new output names."""
    graph = model.graph
    (inp,) = graph.input
    rename_value(graph, inp.name, spec.input.name)
    mapping = match_outputs([o.name for o in graph.output], spec)
    for old, new in mapping.items():
        rename_value(graph, old, new)
    set_dynamic_dims(model, spec)
    return mapping
