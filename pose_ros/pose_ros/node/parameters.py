"""Every parameter of the node, declared in one place with its descriptor.

``RUNTIME`` parameters change while the node runs (applied to the next frame);
the others need a new model or subscription and are refused at run time with
the reason (restart the node with the new value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)

from pose_ros.backends import BACKENDS
from pose_ros.estimators.movenet_multipose import TRACKERS
from pose_ros.estimators.posenet import DECODINGS
from pose_ros.models.registry import model_names


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


PARAMS = (
    Param("model", "movenet_lightning", "pose model", tuple(model_names())),
    Param("backend", "auto", "inference backend (auto: TensorRT if usable, else ONNX Runtime)",
          BACKENDS),
    Param("model_dir", "", "model directory (empty: $POSE_ROS_MODEL_DIR or the XDG cache)"),
    Param("threads", 0, "ONNX Runtime threads (0: one per core)", low=0, high=64, step=1),
    Param("decoding", "multi", "PoseNet decoding", DECODINGS, runtime=True),
    Param("output_stride", 16, "PoseNet output stride", (8, 16, 32), runtime=True),
    Param("image_scale_factor", 0.5, "PoseNet input scale", low=0.2, high=1.0, runtime=True),
    Param("flip_horizontal", False, "mirror the image before inference (mirrored cameras)",
          runtime=True),
    Param("max_pose_detections", 5, "most people per frame (PoseNet multi-pose)", low=1,
          high=20, step=1, runtime=True),
    Param("score_threshold", 0.25, "minimum pose score (PoseNet: root keypoint score)",
          low=0.0, high=1.0, runtime=True),
    Param("min_keypoint_score", 0.3, "keypoints below this are not drawn", low=0.0, high=1.0,
          runtime=True),
    Param("nms_radius", 20.0, "PoseNet multi-pose NMS radius, input pixels", low=1.0,
          high=200.0, runtime=True),
    Param("smoothing", True, "one-euro keypoint smoothing (video)", runtime=True),
    Param("tracking", "bounding_box", "MoveNet MultiPose tracker", TRACKERS, runtime=True),
    Param("publish_markers", True, "publish RViz markers", runtime=True),
    Param("publish_debug_image", True, "publish the annotated image (only while subscribed)",
          runtime=True),
    Param("marker_depth", 2.0, "distance of the marker plane from the camera, metres",
          low=0.1, high=100.0, runtime=True),
    Param("use_compressed", False, "subscribe to image/compressed instead of image"),
    Param("qos_reliability", "best_effort", "camera subscription reliability",
          ("best_effort", "reliable")),
    Param("qos_depth", 1, "camera subscription queue depth", low=1, high=100, step=1),
    Param("max_image_pixels", 4096 * 4096, "larger images are refused", low=1,
          high=100_000_000, step=1),
)
BY_NAME = {p.name: p for p in PARAMS}


def descriptor(p: Param) -> ParameterDescriptor:
    d = ParameterDescriptor(name=p.name, read_only=False)
    d.description = p.description + ("" if p.runtime else " (restart to change)")
    if p.choices:
        d.additional_constraints = "one of " + ", ".join(map(str, p.choices))
    if p.low is not None and isinstance(p.default, int) and not isinstance(p.default, bool):
        d.type = ParameterType.PARAMETER_INTEGER
        d.integer_range = [IntegerRange(from_value=int(p.low), to_value=int(p.high),
                                        step=int(p.step))]
    elif p.low is not None:
        d.type = ParameterType.PARAMETER_DOUBLE
        d.floating_point_range = [FloatingPointRange(from_value=float(p.low),
                                                     to_value=float(p.high), step=0.0)]
    return d


def check(name: str, value: object, running: bool) -> str | None:
    """Why ``value`` is refused for ``name``, or None when it is acceptable."""
    p = BY_NAME.get(name)
    if p is None:
        return None  # not ours (e.g. use_sim_time)
    if running and not p.runtime:
        return f"{name} cannot change while the node runs; restart it with the new value"
    if isinstance(p.default, bool) != isinstance(value, bool):
        return f"{name} must be a {type(p.default).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be finite, not {value}"
    if p.choices and value not in p.choices:
        return f"{name} must be one of {list(p.choices)}, not {value!r}"
    if p.low is not None and not (p.low <= value <= p.high):
        return f"{name} must be in [{p.low}, {p.high}], not {value}"
    return None
