"""Builders of the node's skeleton and marker messages; the poses themselves are
written as bytes by ``cdr_person_array``."""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from pose_ros.depth.camera import Intrinsics, back_project
from pose_ros.drawing import person_colour
from pose_ros.keypoints import KEYPOINT_NAMES, SKELETON_EDGES
from pose_ros.types import Pose
from pose_ros_msgs.msg import Skeleton


def skeleton_message() -> Skeleton:
    msg = Skeleton()
    msg.keypoint_names = list(KEYPOINT_NAMES)
    msg.edge_start = [a for a, _ in SKELETON_EDGES]
    msg.edge_end = [b for _, b in SKELETON_EDGES]
    return msg


class MarkerPlacer:
    """Pixels to points on a plane ``depth`` metres in front of the camera (optical
    frame: x right, y down, z forward), through camera_info's intrinsics when known,
    rescaled where the image's size differs from theirs (a resized image)."""

    def __init__(self) -> None:
        self.intrinsics: Intrinsics | None = None

    def points(self, xy: np.ndarray, width: int, height: int, depth: float) -> np.ndarray:
        if self.intrinsics is not None:
            k = self.intrinsics.rescaled(width, height)
        else:  # no camera_info: a 53 degree field of view, scaled from pixels
            k = Intrinsics(width, width, (width - 1) / 2.0, (height - 1) / 2.0, width, height)
        return back_project(xy, np.full(len(xy), depth), k)


def delete_all(header: Header | None = None) -> MarkerArray:
    """Takes every marker of this topic out of RViz."""
    return MarkerArray(markers=[Marker(header=header or Header(), action=Marker.DELETEALL)])


def marker_array(header: Header, poses: list[Pose], width: int, height: int,
                 placer: MarkerPlacer, depth: float, min_score: float,
                 lifetime_s: float) -> MarkerArray:
    """Keypoints, bones and a label per person; a DELETEALL first removes the last frame's."""
    out = delete_all(header)
    scale = depth / max(width, 1) * 6.0
    for i, pose in enumerate(poses):
        out.markers += person_markers(header, i, pose, placer.points(pose.xy, width, height, depth),
                                      pose.scores >= min_score, scale, lifetime_s)
    return out


def person_markers(header: Header, index: int, pose: Pose, points: np.ndarray,
                   visible: np.ndarray, scale: float, lifetime_s: float) -> list[Marker]:
    """One person's keypoints (spheres ``scale`` metres wide), bones and label, drawn at
    ``points`` (17, 3) metres where ``visible``; the label alone when none is (nothing
    when the points are not all finite either). RViz drops them ``lifetime_s`` after
    they arrive (0: never) unless the next frame's replace them first: a camera or node
    that stops leaves no skeleton standing."""
    if not visible.any() and not np.isfinite(points).all():
        return []  # no point measured: nowhere to put even the label
    r, g, b = person_colour(pose, index)
    c = ColorRGBA(r=r, g=g, b=b, a=1.0)
    joints = Marker(header=header, ns="keypoints", id=index, type=Marker.SPHERE_LIST,
                    action=Marker.ADD, color=c)
    joints.scale.x = joints.scale.y = joints.scale.z = scale
    joints.pose.orientation.w = 1.0
    joints.points = [Point(x=x, y=y, z=z) for x, y, z in points[visible].tolist()]
    bones = Marker(header=header, ns="skeleton", id=index, type=Marker.LINE_LIST,
                   action=Marker.ADD, color=c)
    bones.scale.x = bones.scale.y = bones.scale.z = scale / 2  # line width is x
    bones.pose.orientation.w = 1.0
    bones.points = [Point(x=x, y=y, z=z) for a, b in SKELETON_EDGES if visible[a] and visible[b]
                    for x, y, z in points[[a, b]].tolist()]
    label = Marker(header=header, ns="labels", id=index, type=Marker.TEXT_VIEW_FACING,
                   action=Marker.ADD, color=c)
    label.scale.x = label.scale.y = label.scale.z = scale * 3  # text height is z
    label.pose.orientation.w = 1.0
    top = points[visible].min(axis=0) if visible.any() else points.mean(axis=0)
    label.pose.position = Point(x=float(top[0]), y=float(top[1]) - scale * 3, z=float(top[2]))
    label.text = (f"id {pose.track_id} " if pose.track_id >= 0 else "") + f"{pose.score:.2f}"
    whole = int(lifetime_s)
    lifetime = Duration(sec=whole, nanosec=int((lifetime_s - whole) * 1e9))
    markers = [joints, bones, label] if joints.points else [label]
    for m in markers:
        m.lifetime = lifetime
    return markers
