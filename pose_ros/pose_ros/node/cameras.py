"""Which cameras one ``pose_node`` process serves, from its command line.

    pose_node --cameras front rear --ros-args -r image:=image_raw

One PoseNode per camera, in the camera's namespace: /front/pose_estimator reads
/front/image and publishes /front/poses. Remapping a relative name (``image:=image_raw``)
applies under every camera's namespace; a params file section ``/**/pose_estimator:``
reaches them all, ``/front/pose_estimator:`` one. Without ``--cameras`` the process runs
the one node in its own namespace, as before.
"""

from __future__ import annotations

import argparse

from rclpy.exceptions import InvalidNamespaceException
from rclpy.validate_namespace import validate_namespace

SINGLE = [""]  # no --cameras: one node, in the namespace the command line gives it


def camera_namespaces(argv: list[str]) -> list[str]:
    """The namespace of each camera in ``argv`` (the arguments outside --ros-args,
    program name excluded). Raises ValueError, saying which and how to fix it."""
    parser = argparse.ArgumentParser(
        prog="pose_node", usage="pose_node [--cameras NAMESPACE...] [--ros-args ...]",
        allow_abbrev=False,  # --camera is no --cameras: ROS arguments come after --ros-args
        description="Human poses from camera images (docs/performance.md: one process or "
                    "one per camera).")
    parser.add_argument("--cameras", nargs="+", metavar="NAMESPACE",
                        help="serve these cameras in this one process, one node each in the "
                             "camera's namespace (reading <namespace>/image)")
    known, unknown = parser.parse_known_args(argv)
    if unknown:
        raise ValueError(f"unknown argument(s) {' '.join(unknown)}: pose_node takes "
                         "--cameras NAMESPACE... before --ros-args, ROS arguments after it")
    if known.cameras is None:
        return SINGLE
    namespaces = ["/" + name.strip("/") for name in known.cameras]
    for namespace in namespaces:
        try:
            validate_namespace(namespace)
        except InvalidNamespaceException as e:
            why = str(e).splitlines()[0].replace("Invalid namespace: ", "").rstrip(":")
            raise ValueError(f"--cameras: {namespace!r} is not a valid namespace ({why})"
                             ) from None
    repeated = sorted({n for n in namespaces if namespaces.count(n) > 1})
    if repeated:
        raise ValueError(f"--cameras: {', '.join(repeated)} given twice: one node per camera")
    return namespaces


def check_namespace(asked: str, got: str) -> None:
    """A namespace remap (``__ns``, launch's ``namespace=``) replaces every node's
    namespace: the cameras' nodes would all be one node, answering for each other."""
    if asked and got != asked:
        raise ValueError(f"--cameras: camera {asked}'s node came up in {got}: a namespace "
                         "remap (__ns, launch's namespace=) replaces every camera's namespace; "
                         "drop it and give full namespaces instead (--cameras /robot/front "
                         "/robot/rear)")
