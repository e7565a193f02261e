"""The message types a pose_ros bag holds: ROS 2 Kilted's, plus pose_ros_msgs."""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

MSGS_PACKAGE = "pose_ros_msgs"


def _msgs_share() -> Path:
    """The installed pose_ros_msgs share folder (its .msg files define our types)."""
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

    try:
        return Path(get_package_share_directory(MSGS_PACKAGE))
    except PackageNotFoundError as e:
        raise RuntimeError(f"{MSGS_PACKAGE} is not installed (AMENT_PREFIX_PATH): "
                           "build the workspace ('make build') and source it") from e


@lru_cache(maxsize=1)
def typestore() -> Typestore:
    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for msg in sorted((_msgs_share() / "msg").glob("*.msg")):
        types.update(get_types_from_msg(msg.read_text(), f"{MSGS_PACKAGE}/msg/{msg.stem}"))
    store.register(types)
    return store


def message_class(msgtype: str) -> type:
    """The rclpy message class of a type name such as ``sensor_msgs/msg/Image``."""
    package, kind, name = msgtype.split("/")
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ImportError, AttributeError):
        raise ValueError(f"message type {msgtype} is not installed here: source the "
                         f"workspace that builds {package}, or leave its topics out") from None
