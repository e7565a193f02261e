"""Axes-only StridedSlice nodes rewritten as ExpandDims (what lets MultiPose convert to
TFLite with a free input size).

The axes of each rewrite are checked here against numpy's own slicing with
``np.newaxis``; that the rewritten MultiPose graph computes what the original does is
checked by the conversion (TFLite against TensorFlow) and by test_litert.py (LiteRT
against ONNX Runtime at several input sizes).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pose_ros.models.registry import default_model_dir, model_spec, source_dir
from pose_ros.models.tfjs_newaxis import NewAxisRewriteError, expand_new_axes, new_axes


def _slice(begin_mask: int, end_mask: int, new_axis_mask: int, strides: list[int],
           shrink: int = 0, ellipsis: int = 0) -> tuple[dict, dict]:
    """A model with one StridedSlice ``s`` of input ``x`` feeding ``out``, and its weights."""
    attr = {"T": {"type": "DT_FLOAT"}, "Index": {"type": "DT_INT32"},
            "begin_mask": {"i": str(begin_mask)}, "end_mask": {"i": str(end_mask)},
            "new_axis_mask": {"i": str(new_axis_mask)}, "shrink_axis_mask": {"i": str(shrink)},
            "ellipsis_mask": {"i": str(ellipsis)}}
    nodes = [{"name": "x", "op": "Placeholder", "attr": {}},
             *({"name": f"s/{k}", "op": "Const", "attr": {}} for k in ("b", "e", "st")),
             {"name": "s", "op": "StridedSlice", "input": ["x", "s/b", "s/e", "s/st"],
              "attr": attr},
             {"name": "out", "op": "Identity", "input": ["s"], "attr": {}}]
    n = len(strides)
    weights = {"s/b": np.zeros(n, np.int32), "s/e": np.zeros(n, np.int32),
               "s/st": np.array(strides, np.int32)}
    return {"modelTopology": {"node": nodes}}, weights


def _numpy_index(new_axis_mask: int, n: int) -> tuple:
    return tuple(np.newaxis if new_axis_mask >> i & 1 else slice(None) for i in range(n))


@pytest.mark.parametrize("begin,end,added,n,rank", [
    (11, 11, 4, 4, 3),  # x[:, :, newaxis, :]
    (3, 3, 12, 4, 2),   # x[:, :, newaxis, newaxis]
    (12, 12, 3, 4, 2),  # x[newaxis, newaxis, :, :]
    (7, 7, 8, 4, 3),    # x[:, :, :, newaxis]
    (1, 1, 2, 2, 2)])   # x[:, newaxis]: the last axis implied by the short spec
def test_each_added_axis_is_where_numpy_puts_it(begin, end, added, n, rank):
    model, weights = _slice(begin, end, added, [1] * n)
    rewritten, consts, replaced = expand_new_axes(model, weights)
    assert replaced == ["s"]
    x = np.zeros((2, 3, 5)[:rank])
    expected = x[_numpy_index(added, n)]
    expands = [d for d in rewritten["modelTopology"]["node"] if d["op"] == "ExpandDims"]
    got = x
    for node in expands:
        got = np.expand_dims(got, int(consts[node["input"][1]]))
    assert got.shape == expected.shape
    assert len(expands) == bin(added).count("1")
    assert expands[0]["input"][0] == "x"
    assert expands[-1]["name"] == "s"  # the consumer's input still names it


@pytest.mark.parametrize("why,args", [
    ("a stride of 2 drops elements", dict(strides=[1, 2, 1])),
    ("an axis not masked at both ends is cut", dict(begin_mask=1)),
    ("a shrink removes an axis", dict(shrink=2)),
    ("an ellipsis", dict(ellipsis=1)),
    ("no axis is added", dict(new_axis_mask=0))])
def test_a_slice_that_does_more_than_add_axes_is_kept(why, args):
    kw = dict(begin_mask=3, end_mask=3, new_axis_mask=4, strides=[1, 1, 1])
    kw.update(args)
    model, weights = _slice(**kw)
    rewritten, consts, replaced = expand_new_axes(model, weights)
    assert replaced == [], why
    assert rewritten == model and consts.keys() == weights.keys()


def test_the_input_model_and_weights_are_not_modified():
    model, weights = _slice(3, 3, 12, [1, 1, 1, 1])
    before = json.dumps(model)
    expand_new_axes(model, weights)
    assert json.dumps(model) == before and sorted(weights) == ["s/b", "s/e", "s/st"]


#: the slices TFLiteConverter left as tf.StridedSlice, input height and width free
REJECTED = ["strided_slice_9", "strided_slice_11", "strided_slice_13", "strided_slice_15",
            "strided_slice_17", "strided_slice_18"]


def test_every_multipose_slice_the_converter_rejected_only_adds_axes():
    """By its masks (its strides are constants in the weights: the conversion checks
    the rewritten graph's outputs against TensorFlow's)."""
    spec, model_dir = model_spec("movenet_multipose"), default_model_dir()
    model_json = source_dir(model_dir) / next(f for f in spec.files if f.endswith(".json"))
    if not model_json.exists():
        pytest.skip(f"{model_json} is not fetched: run 'make models'")
    nodes = {n["name"].rsplit("/", 1)[-1]: n
             for n in json.loads(model_json.read_text())["modelTopology"]["node"]
             if n["op"] == "StridedSlice"}
    for name in REJECTED:
        node = nodes[name]
        masks = [int(node["attr"].get(k, {}).get("i", 0))
                 for k in ("begin_mask", "end_mask", "new_axis_mask")]
        # unit strides over the positions the masks name
        unit = {"s/st": np.ones(max(m.bit_length() for m in masks), np.int32)}
        node = {**node, "input": [*node["input"][:3], "s/st"]}
        assert new_axes(node, unit), name


def test_a_name_the_rewrite_needs_that_the_graph_has_is_refused_by_name():
    model, weights = _slice(3, 3, 12, [1, 1, 1, 1])
    model["modelTopology"]["node"].insert(0, {"name": "s/ExpandDims_0", "op": "Placeholder",
                                              "attr": {}})
    with pytest.raises(NewAxisRewriteError, match=r"cannot rewrite 's'.*'s/ExpandDims_0'"):
        expand_new_axes(model, weights)
