"""Rewrite the ``StridedSlice`` nodes of a TF.js graph that only add axes as ``ExpandDims``.

MoveNet MultiPose's post-processing writes ``x[:, :, tf.newaxis]``: a ``StridedSlice``
that takes every element and inserts size-1 axes (``new_axis_mask``). TFLiteConverter
lowers such a slice to a reshape, which needs a static shape; with the height and width
of the input left free, the heatmap behind it has two unknown dimensions and the
converter leaves the node as ``tf.StridedSlice``, which is not a built-in op.
``ExpandDims`` computes the same and is built-in for any shape, so the input stays free.

A slice qualifies when, in its (sparse) slice spec, every position either adds an
axis or takes a whole existing axis with stride 1 (begin and end masked, no shrink),
and there is no ellipsis. Then a new axis at spec position ``i`` is output axis ``i``.

Pure dictionary and numpy work on the parsed ``model.json`` and its weights (the
begin/end/strides inputs are constants there), like :mod:`tfjs_unfuse`.
"""

from __future__ import annotations

import copy

import numpy as np


class NewAxisRewriteError(ValueError):
    """The graph already has a node named as one the rewrite makes."""


def _mask(node: dict, key: str) -> int:
    return int(node.get("attr", {}).get(key, {}).get("i", 0))


def new_axes(node: dict, weights: dict[str, np.ndarray]) -> list[int] | None:
    """The output axes ``node`` inserts if it is a StridedSlice that only adds axes,
    else None."""
    if node["op"] != "StridedSlice" or len(node["input"]) != 4:
        return None
    strides = weights.get(node["input"][3].split(":")[0])
    added = _mask(node, "new_axis_mask")
    if strides is None or not added or _mask(node, "ellipsis_mask") or _mask(
            node, "shrink_axis_mask"):
        return None
    whole = _mask(node, "begin_mask") & _mask(node, "end_mask")
    axes = []
    for i, stride in enumerate(np.asarray(strides).reshape(-1)):
        if added >> i & 1:
            axes.append(i)
        elif not (whole >> i & 1 and stride == 1):
            return None
    return axes


def expand_new_axes(model: dict, weights: dict[str, np.ndarray]
                    ) -> tuple[dict, dict[str, np.ndarray], list[str]]:
    """Copies of ``model`` and ``weights`` with each axes-only StridedSlice replaced by
    ``ExpandDims`` (one per added axis, in axis order; the last keeps the node's name,
    so consumers stay valid), and the names of the nodes replaced."""
    out, consts = copy.deepcopy(model), dict(weights)
    names = {n["name"] for n in out["modelTopology"]["node"]}
    nodes: list[dict] = []
    replaced = []
    for node in out["modelTopology"]["node"]:
        axes = new_axes(node, weights)
        if axes is None:
            nodes.append(node)
            continue
        replaced.append(node["name"])
        dtype = node.get("attr", {}).get("T", {"type": "DT_FLOAT"})
        source = node["input"][0]
        for k, axis in enumerate(axes):
            last = k == len(axes) - 1
            name = node["name"] if last else f"{node['name']}/ExpandDims_{k}"
            axis_name = f"{node['name']}/expand_axis_{k}"
            made = [axis_name] if last else [axis_name, name]
            clash = [n for n in made if n in names]
            if clash:
                raise NewAxisRewriteError(f"cannot rewrite {node['name']!r} as ExpandDims: "
                                          f"the graph already has nodes named {clash}")
            names.update(made)
            # a Const's value lives in the weights, as TF.js stores every constant
            consts[axis_name] = np.array(axis, dtype=np.int32)
            nodes.append({"name": axis_name, "op": "Const",
                          "attr": {"dtype": {"type": "DT_INT32"}, "value": {}}})
            nodes.append({"name": name, "op": "ExpandDims", "input": [source, axis_name],
                          "attr": {"T": copy.deepcopy(dtype), "Tdim": {"type": "DT_INT32"}}})
            source = name
    out["modelTopology"]["node"] = nodes
    return out, consts, replaced
