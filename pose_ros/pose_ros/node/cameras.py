"""Which cameras one ``pose_node`` process serves, from its command line.

    pose_node --cameras front rear --ros-args -r image:=image_raw

One PoseNode per camera, in the camera's namespace: /front/pose_estimator reads
/front/image_raw and publishes /front/poses. Remapping a relative name
(``image:=image_raw``) applies under every camera's namespace; a params file section
``/**/pose_estimator:`` reaches them all, ``/front/pose_estimator:`` one. A relative
camera name lies under the process's namespace (``__ns``, launch's ``namespace=``):
/robot/front with ``__ns:=/robot``. Without ``--cameras`` the process runs the one node
in its own namespace, as before.
"""

from __future__ import annotations

import argparse

import rclpy
from rclpy.exceptions import InvalidNamespaceException
from rclpy.validate_namespace import validate_namespace


def camera_names(argv: list[str]) -> list[str]:
    """The cameras named in ``argv`` (the arguments outside --ros-args, program name
    excluded), relative or absolute; none without --cameras. Raises ValueError, saying
    which and how to fix it."""
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
    names = [("/" if name.startswith("/") else "") + name.strip("/")
             for name in known.cameras or []]
    for name in names:
        try:
            validate_namespace("/" + name.lstrip("/"))
        except InvalidNamespaceException as e:
            why = str(e).splitlines()[0].replace("Invalid namespace: ", "").rstrip(":")
            raise ValueError(f"--cameras: {name!r} is not a valid namespace ({why})") from None
    return names


def camera_namespaces(names: list[str], process_namespace: str) -> list[str]:
    """Each camera's namespace: a relative name under the process's namespace."""
    namespaces = [name if name.startswith("/") else f"{process_namespace.rstrip('/')}/{name}"
                  for name in names]
    repeated = sorted({n for n in namespaces if namespaces.count(n) > 1})
    if repeated:
        raise ValueError(f"--cameras: {', '.join(repeated)} given twice: one node per camera")
    return namespaces


def process_namespace(node_name: str) -> str:
    """The namespace this process's ROS arguments give a node named ``node_name``
    ("/" without any), as rcl resolves it: read from a node made for the purpose."""
    probe = rclpy.create_node(node_name, start_parameter_services=False, enable_rosout=False)
    try:
        return probe.get_namespace()
    finally:
        probe.destroy_node()
