"""3D people out of the node: each colour frame's poses, lifted with the depth image
paired to it, as a Person3DArray, 3D markers and person TF frames.

Everything goes out stamped as the colour image and framed in the depth image's
optical frame, where the points are. A frame without depth is counted (by cause, in
/diagnostics) and gets no 3D output; its colour-only output goes out as always.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from geometry_msgs.msg import Quaternion, Transform, TransformStamped, Vector3
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import MarkerArray

from pose_ros.depth.image import DepthImageError, depth_image
from pose_ros.depth.lift import DepthOptions, Person3D, lift_poses
from pose_ros.node.cdr_person_3d_array import person_3d_array_cdr
from pose_ros.node.depth_input import LOG_EVERY_S, DepthInput, stamp_ns
from pose_ros.node.messages import delete_all, person_markers
from pose_ros.types import Pose
from pose_ros_msgs.msg import Person3DArray

MARKER_SIZE_M = 0.05  # keypoint spheres; bones half as wide
TF_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)  # tf2_ros's broadcaster


P = TypeVar("P", bound=Publisher)  # a lifecycle node's publishers are LifecyclePublisher


class People3D(Generic[P]):
    """The depth input and the 3D publishers of one node; ``outgoing`` runs on the
    inference thread, ``diagnostics`` on the executor's. ``make_publisher`` is the
    node's (a lifecycle node's managed publishers); ``publishers`` are what it made."""

    def __init__(self, node: Node, model: str, markers_pub: P,
                 make_publisher: Callable[..., P]) -> None:
        self._node, self.model, self.markers_pub = node, model, markers_pub
        self.input = DepthInput(node)
        self.people_pub = make_publisher(Person3DArray, "poses_3d", 10)
        self.tf_pub = make_publisher(TFMessage, "/tf", TF_QOS)
        # /tf is one tree for the whole system: the node's namespace (a camera's, a
        # robot's) keeps two cameras' person_1 apart
        namespace = node.get_namespace().strip("/")
        self.frame_prefix = f"{namespace}/" if namespace else ""
        self.publishers = [self.people_pub, self.tf_pub]
        self._lock = threading.Lock()
        self.paired = 0
        self.unpaired: Counter[str] = Counter()

    def subscribe(self, image_qos: QoSProfile) -> None:
        """The depth image with the colour image's QoS; the camera_infos."""
        self.input.subscribe(image_qos)

    def unsubscribe(self) -> None:
        self.input.unsubscribe()

    def outgoing(self, header: Header, poses: list[Pose], width: int, height: int,
                 values: Mapping[str, Any]) -> list[tuple[P, Any]]:
        """The 3D messages of a colour frame (``header``, ``width`` x ``height``) and
        where they go; none when it has no depth."""
        try:
            paired = self.input.pair(stamp_ns(header), values["depth_pairing_tolerance"],
                                     values["depth_pairing_wait"])
            raw = paired.image
            depth = depth_image(raw.data, raw.width, raw.height, raw.step, raw.encoding,
                                raw.is_bigendian)
        except DepthImageError as e:  # Unpaired too
            with self._lock:
                self.unpaired[e.cause] += 1
            self._node.get_logger().warning(f"frame without 3D ({e})",
                                            throttle_duration_sec=LOG_EVERY_S)
            return []
        # no colour camera_info: aligned depth has the colour camera's field of view
        colour_k = (paired.colour_k or paired.depth_k).rescaled(width, height)
        options = DepthOptions(min_range_m=values["depth_min_range"],
                               max_range_m=values["depth_max_range"],
                               body_tolerance_m=values["depth_body_tolerance"],
                               min_keypoint_score=values["min_keypoint_score"])
        people = lift_poses(poses, depth, paired.depth_k, colour_k, options)
        frame = Header(stamp=header.stamp, frame_id=raw.header.frame_id)
        out: list[tuple[P, Any]] = [(self.people_pub, person_3d_array_cdr(
            frame, raw.header.stamp, self.model, poses, people))]
        if values["publish_markers"] and self.markers_pub.get_subscription_count():
            out.append((self.markers_pub, marker_array_3d(frame, poses, people,
                                                          values["marker_lifetime"])))
        if values["publish_tf"]:
            tf = tf_message(frame, people, self.frame_prefix)
            if tf.transforms:
                out.append((self.tf_pub, tf))
        with self._lock:
            self.paired += 1
        return out

    def diagnostics(self) -> dict[str, str]:
        with self._lock:
            paired, unpaired = self.paired, dict(self.unpaired)
        return {"depth_frames_paired": str(paired),
                "depth_frames_unpaired": str(sum(unpaired.values())),
                **{f"depth_frames_unpaired_{cause}": str(n) for cause, n in unpaired.items()}}


def marker_array_3d(header: Header, poses: list[Pose], people: list[Person3D],
                    lifetime_s: float) -> MarkerArray:
    """Each person's valid points and the bones between them, in metres; a DELETEALL
    first removes the last frame's."""
    out = delete_all(header)
    for i, (pose, person) in enumerate(zip(poses, people)):
        out.markers += person_markers(header, i, pose, person.points, person.valid,
                                      MARKER_SIZE_M, lifetime_s)
    return out


def tf_message(header: Header, people: list[Person3D], prefix: str = "") -> TFMessage:
    """A frame <prefix>person_<track_id> at each tracked person's torso centre, axes as
    the camera's optical frame (a centre has no orientation)."""
    return TFMessage(transforms=[
        TransformStamped(header=header, child_frame_id=f"{prefix}person_{p.track_id}",
                         transform=Transform(translation=Vector3(x=x, y=y, z=z),
                                             rotation=Quaternion(w=1.0)))
        for p in people if p.track_id >= 0 and p.centre_valid
        for x, y, z in [p.centre.tolist()]])
