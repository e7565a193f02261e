"""Every parameter of the node, declared in one place with its descriptor.

``runtime`` parameters change while the node runs (applied to the next frame);
the others need a new model or subscription and are refused at run time with
the reason (restart the node with the new value, or set it while the node is
unconfigured: after ``ros2 lifecycle set <node> cleanup``).

A parameter named like a field of a model family's config (``pose_ros.estimators``)
is that option, passed to the estimators of the families that take it; the others
are the node's own. The YAML defaults file and the markdown reference are made from
this table:

    python -m pose_ros.node.parameters --yaml > pose_ros/config/pose_ros.yaml
    python -m pose_ros.node.parameters --markdown > docs/parameters.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, cast

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType

from pose_ros.backends import BACKENDS
from pose_ros.command_line import parse_sizes
from pose_ros.estimators import FAMILIES
from pose_ros.estimators.base import DEFAULT_CAMERA_SIZES
from pose_ros.estimators.movenet_multipose import TRACKERS
from pose_ros.estimators.posenet import DECODINGS, IMAGE_SCALE_RANGE
from pose_ros.models.registry import model_names, model_spec


@dataclass(frozen=True)
class Param:
    name: str
    default: object
    description: str
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    step: float = 0.0
    runtime: bool = False
    #: reads a string value, raising (ValueError, ArgumentTypeError) with the reason
    parse: Callable[[str], object] | None = None


PARAMS = (
    Param("model", "movenet_lightning", "pose model", tuple(model_names())),
    Param("backend", "auto", "inference backend (auto: TensorRT, else ONNX Runtime's CUDA "
          "provider, if usable; else the CPU backend measured fastest for the model)",
          BACKENDS),
    Param("model_dir", "", "model directory (empty: $POSE_ROS_MODEL_DIR or the XDG cache)"),
    Param("engine_dir", "", "TensorRT engine cache, written to (empty: <model_dir>/engines)"),
    Param("camera_sizes", DEFAULT_CAMERA_SIZES, "camera resolutions, WxH[,WxH...]: the model "
          "is warmed up at the first; TensorRT engines serve them all (another size gets its "
          "engine built while the node serves; pose-ros-models engine build --camera-sizes "
          "prebuilds it)", parse=parse_sizes),
    Param("threads", 0, "ONNX Runtime threads (0: one per core)", low=0, high=64, step=1),
    Param("decoding", "multi", "PoseNet decoding", DECODINGS, runtime=True),
    Param("output_stride", 16, "PoseNet output stride",
          model_spec("posenet_mobilenet").output_strides, runtime=True),
    Param("image_scale_factor", 0.875, "PoseNet input scale (docs/evaluation.md: AP and cost "
          "per scale)", low=IMAGE_SCALE_RANGE[0], high=IMAGE_SCALE_RANGE[1], runtime=True),
    Param("flip_horizontal", False, "mirror the image before inference (mirrored cameras); "
          "poses stay in the image's pixels", runtime=True),
    Param("max_pose_detections", 5, "most people per frame (PoseNet multi-pose)", low=1,
          high=20, step=1, runtime=True),
    Param("min_pose_score", 0.25, "poses scoring below this are not published",
          low=0.0, high=1.0, runtime=True),
    Param("root_score_threshold", 0.25, "PoseNet multi-pose: a part scoring below this "
          "never starts a pose", low=0.0, high=1.0, runtime=True),
    Param("min_keypoint_score", 0.3, "keypoints below this are published but not drawn, not "
          "in the person's bounding box and not placed in 3D", low=0.0, high=1.0,
          runtime=True),
    Param("nms_radius", 20.0, "PoseNet multi-pose NMS radius, input pixels", low=1.0,
          high=200.0, runtime=True),
    Param("smoothing", True, "one-euro keypoint smoothing (video; MultiPose: of tracked "
          "people)", runtime=True),
    Param("refine_first_frame", True, "MoveNet single-pose: with no crop to follow (first "
          "frame, after a break, person lost), a second pass on the crop the first gives",
          runtime=True),
    Param("max_gap_s", 1.0, "a stamp going back, or forward by more than this (s), resets "
          "crop, smoothing and tracks", low=0.05, high=3600.0, runtime=True),
    Param("tracking", "bounding_box", "MoveNet MultiPose tracker", TRACKERS, runtime=True),
    Param("publish_markers", True, "publish RViz markers", runtime=True),
    Param("publish_debug_image", True, "publish the annotated image (only while subscribed)",
          runtime=True),
    Param("marker_depth", 2.0, "distance of the marker plane from the camera, metres "
          "(without depth)", low=0.1, high=100.0, runtime=True),
    Param("marker_lifetime", 1.0, "seconds a skeleton stays in RViz with no newer frame (a "
          "camera or node stopped); 0: until the next frame's", low=0.0, high=3600.0,
          runtime=True),
    Param("depth", False, "pair an aligned depth image (depth/image, depth/camera_info) with "
          "each colour frame: 3D people on poses_3d, 3D markers, person TF frames"),
    Param("depth_pairing_tolerance", 0.02, "largest stamp difference (s) of a colour frame and "
          "the depth image it is paired with; the nearest received is taken", low=0.0,
          high=1.0, runtime=True),
    Param("depth_pairing_wait", 0.05, "longest wait (s) of a frame's 3D output for its depth "
          "image, when that is the next one due (drivers publish aligned depth after colour); "
          "never for a stalled stream", low=0.0, high=1.0, runtime=True),
    Param("depth_min_range", 0.1, "nearer depth pixels are not used, metres", low=0.0,
          high=100.0, runtime=True),
    Param("depth_max_range", 10.0, "further depth pixels are not used, metres", low=0.1,
          high=100.0, runtime=True),
    Param("depth_body_tolerance", 0.5, "a keypoint further than this from its body's depth "
          "(the median of the person's keypoint depths) is not valid, metres", low=0.01,
          high=10.0, runtime=True),
    Param("publish_tf", False, "with depth: a TF frame person_N at the torso centre of each "
          "tracked person N (track_id), on /tf; in a namespace, <namespace>/person_N",
          runtime=True),
    Param("use_compressed", False, "subscribe to image/compressed instead of image"),
    Param("qos_reliability", "best_effort", "camera subscription reliability",
          ("best_effort", "reliable")),
    Param("qos_depth", 1, "camera subscription queue depth", low=1, high=100, step=1),
    Param("max_image_pixels", 4096 * 4096, "larger images are refused", low=1,
          high=100_000_000, step=1),
    Param("autostart", True, "configure and activate at start; false: stay unconfigured "
          "until a lifecycle manager (or ros2 lifecycle set) configures it"),
)
BY_NAME = {p.name: p for p in PARAMS}
# the node's own parameters that only the depth input (depth:=true) reads
DEPTH_ONLY = ("depth_pairing_tolerance", "depth_pairing_wait", "depth_min_range",
              "depth_max_range", "depth_body_tolerance", "publish_tf")


def descriptor(p: Param) -> ParameterDescriptor:
    d = ParameterDescriptor(name=p.name, read_only=False)
    models = _models(p.name)
    d.description = (p.description + ("" if models == "all" else f" (models: {models})")
                     + ("" if p.runtime else " (restart or cleanup to change)"))
    if p.choices:
        d.additional_constraints = "one of " + ", ".join(map(str, p.choices))
    if p.low is None or p.high is None:  # Param's ranges have both ends or neither
        return d
    if isinstance(p.default, int) and not isinstance(p.default, bool):
        d.type = ParameterType.PARAMETER_INTEGER
        d.integer_range = [IntegerRange(from_value=int(p.low), to_value=int(p.high),
                                        step=int(p.step))]
    else:
        d.type = ParameterType.PARAMETER_DOUBLE
        d.floating_point_range = [FloatingPointRange(from_value=float(p.low),
                                                     to_value=float(p.high), step=0.0)]
    return d


def check(name: str, value: object, running: bool) -> str | None:
    """Why ``value`` is refused for ``name``, or None when it is acceptable;
    ``running``: the node is configured (its model loaded)."""
    p = BY_NAME.get(name)
    if p is None:
        return None  # not ours (e.g. use_sim_time)
    if running and not p.runtime:
        return (f"{name} cannot change while the node is configured; restart it with the "
                f"new value, or set it after a lifecycle cleanup")
    if isinstance(p.default, bool) != isinstance(value, bool):
        return f"{name} must be a {type(p.default).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be finite, not {value}"
    if p.choices and value not in p.choices:
        return f"{name} must be one of {list(p.choices)}, not {value!r}"
    # a ranged parameter's value is a number: rclpy refuses another type
    if p.low is not None and p.high is not None and not (p.low <= cast(float, value) <= p.high):
        return f"{name} must be in [{p.low}, {p.high}], not {value}"
    if p.parse is not None:
        if not isinstance(value, str):
            return f"{name} must be a string"
        try:
            p.parse(value)
        except (ValueError, argparse.ArgumentTypeError) as e:
            return f"{name}: {e}"
    return None


def options_of(family: str) -> tuple[str, ...]:
    """The node parameters that are options of ``family``'s estimator."""
    _, config_cls = FAMILIES[family]
    return tuple(f.name for f in fields(config_cls) if f.name in BY_NAME)


def models_taking(name: str) -> tuple[str, ...]:
    """The models whose estimator takes parameter ``name``; every model for the node's own."""
    return tuple(m for m in model_names()
                 if name in options_of(model_spec(m).family) or not _is_option(name))


def _is_option(name: str) -> bool:
    return any(name in options_of(family) for family in FAMILIES)


def estimator_options(family: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The options in ``values`` that ``family``'s estimator takes."""
    return {name: values[name] for name in options_of(family) if name in values}


def conflict(values: Mapping[str, Any]) -> str | None:
    """Why values valid one by one cannot go together; None when they can."""
    near, far = values["depth_min_range"], values["depth_max_range"]
    if values["depth"] and near >= far:  # without depth they do nothing (ignored)
        return (f"depth_min_range ({near:g}) must be below depth_max_range ({far:g}), or no "
                "depth pixel is used: change the other first, or both at once")
    return None


def ignored(model: str, values: Mapping[str, object]) -> dict[str, str]:
    """The parameters that do nothing for ``model`` with these ``values``, and why."""
    family = model_spec(model).family
    _, config_cls = FAMILIES[family]
    why = {name: f"{model} does not use it (used by {', '.join(models_taking(name))})"
           for name in BY_NAME if _is_option(name) and name not in options_of(family)}
    config = config_cls(**estimator_options(family, values))
    why.update(config.inert())
    if values.get("depth", BY_NAME["depth"].default):
        why["marker_depth"] = "with depth the markers are placed in 3D (depth is true)"
        untracked = config.untracked()
        if untracked:
            why["publish_tf"] = f"person frames are named by track id ({untracked})"
    else:
        why.update(dict.fromkeys(DEPTH_ONLY, "only the depth input reads it (depth is false; "
                                              "depth:=true takes a restart, or cleanup and "
                                              "configure)"))
    return why


def _allowed(p: Param, separator: str = " | ") -> str:
    if p.choices:
        return separator.join(map(str, p.choices))
    if p.low is None or p.high is None:
        return ""
    integer = isinstance(p.default, int) and not isinstance(p.default, bool)
    return f"{int(p.low)} .. {int(p.high)}" if integer else f"{p.low:g} .. {p.high:g}"


def _models(name: str) -> str:
    taking = models_taking(name)
    return "all" if len(taking) == len(model_names()) else ", ".join(taking)


def yaml_text() -> str:
    """config/pose_ros.yaml: every parameter at its default, described in a comment."""
    lines = ["# pose_ros parameters, with their defaults. Run-time parameters (marked *) can be",
             "# changed while the node runs (ros2 param set); the others need a restart",
             "# (or a lifecycle cleanup, then configure).",
             "# Generated from pose_ros/node/parameters.py: "
             "python -m pose_ros.node.parameters --yaml",
             "# /**/: every pose_estimator in any namespace (pose_node --cameras runs one per",
             "# camera, /<camera>/pose_estimator); a /<camera>/pose_estimator: section, one.",
             "/**/pose_estimator:", "  ros__parameters:"]
    for p in PARAMS:
        value = json.dumps(p.default)  # JSON is YAML, and quotes every string
        allowed, models = _allowed(p), _models(p.name)
        comment = ("* " if p.runtime else "") + p.description + (f" [{allowed}]" if allowed else "")
        if models != "all":
            comment += f" ({models})"
        lines.append(f"    {p.name}: {value}".ljust(36) + f"  # {comment}")
    return "\n".join(lines) + "\n"


def markdown_text() -> str:
    """The parameter reference (docs/parameters.md)."""
    lines = ["# pose_estimator parameters", "",
             "Generated from `pose_ros/node/parameters.py` by "
             "`python -m pose_ros.node.parameters --markdown`; do not edit by hand.",
             "Run time: yes means `ros2 param set` applies it to the next frame; the others",
             "need a restart, or a lifecycle cleanup then configure. A parameter that does",
             "nothing for the running model is refused",
             "at run time and warned about at start-up, with the reason.", "",
             "| parameter | default | run time | allowed | models | description |",
             "|---|---|---|---|---|---|"]
    for p in PARAMS:
        lines.append(f"| `{p.name}` | `{json.dumps(p.default)}` | {'yes' if p.runtime else 'no'} "
                     f"| {_allowed(p, ', ')} | {_models(p.name)} | {p.description} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pose_ros.node.parameters",
                                     description="write the parameter table as a document")
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument("--yaml", action="store_true", help="config/pose_ros.yaml")
    form.add_argument("--markdown", action="store_true", help="docs/parameters.md")
    args = parser.parse_args(argv)
    sys.stdout.write(yaml_text() if args.yaml else markdown_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
