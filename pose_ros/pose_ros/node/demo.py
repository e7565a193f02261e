"""``make demo``: the real node on a sample photo shipped by a registry package.

Publishes scikit-image's ``astronaut.png`` as sensor_msgs/Image to a real
pose_estimator process, prints the people it finds and writes the annotated
image it publishes to ``out/demo_annotated.png``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from skimage import data

from pose_ros.models.registry import model_names
from pose_ros.node.ros_session import ros_node
from pose_ros_msgs.msg import PersonArray

TIMEOUT_S = 60.0
OUTPUT = Path("out") / "demo_annotated.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pose-ros-demo", description="Run pose_node on scikit-image's astronaut photo, "
        f"print the people it finds and write its annotated image to {OUTPUT}.")
    parser.add_argument("model", nargs="?", default="movenet_lightning", choices=model_names())
    model = parser.parse_args(argv).model
    # a namespace of its own: another pose node on this ROS graph must not answer
    namespace = f"/pose_ros_demo_{os.getpid()}"
    node_proc = subprocess.Popen(["pose_node", "--ros-args", "-r", f"__ns:={namespace}",
                                  "-p", f"model:={model}", "-p", "qos_reliability:=reliable"])
    poses: list[PersonArray] = []
    annotated: list[Image] = []
    with ros_node("pose_ros_demo") as node:
        try:
            _exchange(node, namespace, poses, annotated)
        finally:
            node_proc.send_signal(signal.SIGINT)
            node_proc.wait(10)
    if not poses:
        print("demo: the node published no poses", file=sys.stderr)
        return 1
    result = poses[0]
    print(f"demo: {result.model} found {len(result.persons)} person(s) in the "
          f"{result.image_width}x{result.image_height} astronaut photo")
    for i, person in enumerate(result.persons):
        seen = [k for k in person.keypoints if k.score > 0.3]
        print(f"  person {i}: score {person.score:.2f}, {len(seen)} keypoints above 0.3: "
              + ", ".join(f"{k.name} ({k.x:.0f}, {k.y:.0f})" for k in seen[:6]) + ", ...")
    if annotated:
        img = annotated[0]
        pixels = np.frombuffer(img.data, np.uint8).reshape(img.height, img.width, 3)
        OUTPUT.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(OUTPUT), cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
        print(f"demo: annotated image written to {OUTPUT.resolve()}")
    return 0


def _exchange(node: Node, namespace: str, poses: list[PersonArray],
              annotated: list[Image]) -> None:
    """Send the photo until the node's poses and annotated image come back."""
    reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(PersonArray, f"{namespace}/poses", poses.append, 10)
    node.create_subscription(Image, f"{namespace}/debug_image", annotated.append, reliable)
    pub = node.create_publisher(Image, f"{namespace}/image", reliable)
    rgb = data.astronaut()
    msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8",
                step=rgb.shape[1] * 3, data=rgb.tobytes())
    msg.header.frame_id = "camera_optical_frame"
    deadline = node.get_clock().now().nanoseconds + int(TIMEOUT_S * 1e9)
    while not (poses and annotated) and node.get_clock().now().nanoseconds < deadline:
        if pub.get_subscription_count() and not poses:
            msg.header.stamp = node.get_clock().now().to_msg()
            pub.publish(msg)
        rclpy.spin_once(node, timeout_sec=0.5)


if __name__ == "__main__":
    sys.exit(main())
