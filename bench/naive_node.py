"""The baseline: a pose node written the way most users would, the peer a user
would choose instead of pose_node. It takes the deserialized Image, reshapes its
bytes with numpy, letterboxes the frame to MoveNet Lightning's 192x192 with OpenCV,
runs ONNX Runtime, reads the 17 keypoints back into pixels and publishes a
PersonArray, all in the subscription callback. The same model file and the same
camera QoS as pose_node; none of its engineering (raw CDR, a frame slot and an
inference thread, reused buffers, the tracked crop).

    python bench/naive_node.py --ros-args -r image:=/cam/image -r poses:=/cam/poses
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
import onnxruntime as ort
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros.models.registry import default_model_dir
from pose_ros.node.ros_session import ros_node, spin
from pose_ros_msgs.msg import Keypoint, Person, PersonArray

SIZE = 192


class NaivePose:
    def __init__(self, node: Node) -> None:
        model = default_model_dir() / "movenet_lightning.onnx"
        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        self.publisher = node.create_publisher(PersonArray, "poses", 10)
        node.create_subscription(Image, "image", self.on_image, qos_profile_sensor_data)

    def on_image(self, msg: Image) -> None:
        frame = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        side = max(msg.height, msg.width)  # letterbox: pad to a square, then resize
        square = np.zeros((side, side, 3), np.uint8)
        top, left = (side - msg.height) // 2, (side - msg.width) // 2
        square[top:top + msg.height, left:left + msg.width] = rgb
        x = cv2.resize(square, (SIZE, SIZE)).astype(np.int32)[None]
        keypoints = self.session.run(None, {"input": x})[0][0, 0]  # (17, 3): y, x, score
        out = PersonArray(header=msg.header, image_width=msg.width, image_height=msg.height,
                          model="movenet_lightning")
        person = Person(score=float(keypoints[:, 2].mean()))
        for name, (y, x_, score) in zip(KEYPOINT_NAMES, keypoints):
            person.keypoints.append(Keypoint(name=name, x=float(x_ * side - left),
                                             y=float(y * side - top), score=float(score)))
        out.persons.append(person)
        self.publisher.publish(out)


def main() -> int:
    with ros_node("naive_pose_node") as node:  # init and shutdown: not what is measured
        NaivePose(node)
        spin(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
