"""The parameter table is the one source: of the estimators' options, the reference
document, and of which parameters do nothing for the loaded model (the defaults file:
test_config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pose_ros.api import create_estimator
from pose_ros.estimators import FAMILIES
from pose_ros.models.registry import model_names, model_spec
from pose_ros.node.parameters import (
    BY_NAME,
    PARAMS,
    check,
    conflict,
    estimator_options,
    ignored,
    markdown_text,
    options_of,
)

PACKAGE = Path(__file__).resolve().parents[1]


def test_the_reference_document_is_the_table():
    assert (PACKAGE.parent / "docs" / "parameters.md").read_text() == markdown_text(), \
        "regenerate it: python -m pose_ros.node.parameters --markdown > docs/parameters.md"


@pytest.mark.parametrize("model", model_names())
def test_every_model_takes_the_options_the_node_passes(model, tmp_path):
    # create_estimator refuses options its family's config lacks; no model is loaded yet
    family = model_spec(model).family
    defaults = {p.name: p.default for p in PARAMS}
    estimator = create_estimator(model, "onnxruntime", tmp_path,
                                 **estimator_options(family, defaults))
    for name in options_of(family):
        assert getattr(estimator.config, name) == BY_NAME[name].default, name


def test_every_family_option_is_a_parameter_of_one_meaning():
    # min_pose_score filters the published poses of every model: each family takes it
    assert all("min_pose_score" in options_of(family) for family in FAMILIES)
    assert options_of("posenet").count("root_score_threshold") == 1
    assert "root_score_threshold" not in options_of("movenet_singlepose")


def test_parameters_of_another_family_do_nothing_and_say_so():
    defaults = {p.name: p.default for p in PARAMS}
    why = ignored("movenet_lightning", defaults)
    assert why["flip_horizontal"] == "movenet_lightning does not use it (used by posenet_mobilenet)"
    assert {"nms_radius", "decoding", "tracking"} <= why.keys()
    assert not {"smoothing", "min_pose_score", "model", "min_keypoint_score"} & why.keys()


def test_options_that_the_current_values_make_useless_say_so():
    defaults = {p.name: p.default for p in PARAMS}
    assert "nms_radius" not in ignored("posenet_mobilenet", defaults)  # multi-pose decoding
    single = ignored("posenet_mobilenet", {**defaults, "decoding": "single"})
    assert single["nms_radius"] == "only multi-pose decoding uses it (decoding is single)"
    assert "smoothing" not in ignored("movenet_multipose", defaults)
    untracked = ignored("movenet_multipose", {**defaults, "tracking": "none"})
    assert untracked["smoothing"] == "smoothing follows tracked people (tracking is none)"


def test_depth_parameters_do_nothing_without_depth_and_the_plane_nothing_with_it():
    defaults = {p.name: p.default for p in PARAMS}
    off = ignored("movenet_multipose", defaults)
    assert off["publish_tf"] == off["depth_pairing_tolerance"] == (
        "only the depth input reads it (depth is false; depth:=true takes a restart, or "
        "cleanup and configure)")
    assert "marker_depth" not in off
    on = ignored("movenet_multipose", {**defaults, "depth": True})
    assert not {"publish_tf", "depth_pairing_tolerance", "depth_body_tolerance"} & on.keys()
    assert on["marker_depth"] == "with depth the markers are placed in 3D (depth is true)"
    # person frames need track ids: MultiPose with a tracker
    untracked = ignored("movenet_multipose", {**defaults, "depth": True, "tracking": "none"})
    assert untracked["publish_tf"] == "person frames are named by track id (tracking is none)"
    single = ignored("movenet_lightning", {**defaults, "depth": True})
    assert single["publish_tf"] == ("person frames are named by track id (single-pose "
                                    "MoveNet tracks no one)")
    posenet = ignored("posenet_mobilenet", {**defaults, "depth": True})
    assert posenet["publish_tf"] == "person frames are named by track id (PoseNet tracks no one)"


def test_a_depth_range_must_keep_some_depth():
    defaults = {p.name: p.default for p in PARAMS}
    inverted = {**defaults, "depth_min_range": 12.0}
    assert conflict({**inverted, "depth": True}).startswith(
        "depth_min_range (12) must be below depth_max_range (10)")
    assert conflict(inverted) is None  # without depth the range does nothing
    assert conflict({**defaults, "depth": True}) is None


@pytest.mark.parametrize("value, refused", [
    ("640x480", None), ("1280x720, 640x480", None),
    ("640", "camera_sizes: '640': write WIDTHxHEIGHT, e.g. 640x480"),
    ("640x480,", "camera_sizes: '': write WIDTHxHEIGHT, e.g. 640x480"),
    ("0x480", "camera_sizes: '0x480': write WIDTHxHEIGHT, e.g. 640x480")])
def test_camera_sizes_are_checked_before_configure(value, refused):
    assert check("camera_sizes", value, running=False) == refused
    assert "cannot change while the node is configured" in check("camera_sizes", value,
                                                                   running=True)
