"""The baseline: a pose node written the way most users would, the peer a user
would choose instead of pose_node. It takes the deserialized Image, reshapes its
bytes with numpy, resizes the frame to the model's input with OpenCV, runs ONNX
Runtime, reads the keypoints back into pixels and publishes a PersonArray, all in
the subscription callback. The same model files as pose_node, and the sensor-data
QoS most nodes take (best effort like pose_node's, depth 5 where it keeps 1); none of
its engineering (raw CDR, a frame slot and an inference thread, reused buffers, the
tracked crop, PoseNet's multi-pose decoding).

The ``model`` parameter picks the model: MoveNet Lightning and Thunder (letterboxed
to their square input), MultiPose (letterboxed to 256x256) or PoseNet (stride 16 at
pose_node's default scale, decoded single-pose by each keypoint's heatmap maximum).

    python bench/naive_node.py --ros-args -p model:=movenet_thunder -r image:=/cam/image
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import cv2
import numpy as np
import onnxruntime as ort
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from pose_ros.estimators.posenet import PoseNetConfig, valid_resolution
from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros.models.registry import default_model_dir, model_spec
from pose_ros.node.ros_session import ros_node, spin
from pose_ros_msgs.msg import Keypoint, Person, PersonArray

MULTIPOSE_SIZE = 256
POSENET = PoseNetConfig()  # pose_node's defaults: scale 0.875, stride 16
# (score, [(x, y, score) x 17]) per person, in input pixels
People = list[tuple[float, np.ndarray]]


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, int, int]:
    """Pad to a square, then resize: the input, and the square's side, top, left."""
    h, w = rgb.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 3), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = rgb
    return cv2.resize(square, (size, size)), side, top, left


class NaivePose:
    def __init__(self, node: Node) -> None:
        self.model: str = node.declare_parameter("model", "movenet_lightning").value
        spec = model_spec(self.model)
        stride = POSENET.output_stride if spec.family == "posenet" else None
        path = default_model_dir() / spec.onnx_filename(stride)
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        decoders: dict[str, Callable[[np.ndarray], tuple[People, float, float, float]]] = {
            "movenet_multipose": self.multipose, "posenet_mobilenet": self.posenet}
        self.decode = decoders.get(self.model, self.single_pose)
        self.publisher = node.create_publisher(PersonArray, "poses", 10)
        node.create_subscription(Image, "image", self.on_image, qos_profile_sensor_data)

    def single_pose(self, rgb: np.ndarray) -> tuple[People, float, float, float]:
        size = self.session.get_inputs()[0].shape[1]
        x, side, top, left = letterbox(rgb, size)
        keypoints = self.session.run(None, {self.input_name: x.astype(np.int32)[None]})[0][0, 0]
        yxs = keypoints * [size, size, 1]  # (17, 3): y, x, score
        return [(float(keypoints[:, 2].mean()), yxs[:, [1, 0, 2]])], side / size, top, left

    def multipose(self, rgb: np.ndarray) -> tuple[People, float, float, float]:
        x, side, top, left = letterbox(rgb, MULTIPOSE_SIZE)
        detections = self.session.run(None, {self.input_name: x.astype(np.int32)[None]})[0][0]
        people = []
        for row in detections:  # 17 (y, x, score), then the box and its score
            if row[55] >= 0.25:
                yxs = row[:51].reshape(17, 3) * [MULTIPOSE_SIZE, MULTIPOSE_SIZE, 1]
                people.append((float(row[55]), yxs[:, [1, 0, 2]]))
        return people, side / MULTIPOSE_SIZE, top, left

    def posenet(self, rgb: np.ndarray) -> tuple[People, float, float, float]:
        h, w = rgb.shape[:2]
        size = (valid_resolution(POSENET.image_scale_factor, w, POSENET.output_stride),
                valid_resolution(POSENET.image_scale_factor, h, POSENET.output_stride))
        x = cv2.resize(rgb, size).astype(np.float32) / 127.5 - 1.0
        heatmap, offset = self.session.run(["heatmap", "offset"], {self.input_name: x[None]})
        heatmap, offset = heatmap[0], offset[0]
        xys = np.zeros((17, 3))
        for k in range(17):  # each keypoint's best cell, refined by its offset
            y, x_ = np.unravel_index(heatmap[:, :, k].argmax(), heatmap.shape[:2])
            xys[k] = (x_ * POSENET.output_stride + offset[y, x_, 17 + k],
                      y * POSENET.output_stride + offset[y, x_, k],
                      1 / (1 + np.exp(-heatmap[y, x_, k])))
        xys[:, :2] *= (w / size[0], h / size[1])  # input to image pixels, each axis its own
        return [(float(xys[:, 2].mean()), xys)], 1.0, 0, 0

    def on_image(self, msg: Image) -> None:
        # the bench camera sends rgb8, the models' own order
        rgb = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
        people, scale, top, left = self.decode(rgb)
        out = PersonArray(header=msg.header, image_width=msg.width, image_height=msg.height,
                          model=self.model)
        for score, xys in people:
            person = Person(score=score)
            for name, (x, y, s) in zip(KEYPOINT_NAMES, xys):
                person.keypoints.append(Keypoint(name=name, x=float(x * scale - left),
                                                 y=float(y * scale - top), score=float(s)))
            out.persons.append(person)
        self.publisher.publish(out)


def main() -> int:
    with ros_node("naive_pose_node") as node:  # init and shutdown: not what is measured
        NaivePose(node)
        spin(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
