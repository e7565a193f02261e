"""pose-ros bag make / inspect on the real video, checked by independent readers."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from pose_ros.bag.typestore import typestore

VIDEO = "video/pose_squats.mp4"


def pose_ros(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pose-ros", *args], capture_output=True, text=True, timeout=300)


def video_frames(path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (frame := capture.read())[0]:
        frames.append(frame[1])
    return frames


@pytest.fixture(scope="module")
def frames(shared_data):
    return video_frames(shared_data / VIDEO)


@pytest.fixture(scope="module")
def mcap_bag(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("bags") / "squats_mcap"
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(out), "--storage", "mcap")
    assert made.returncode == 0, made.stderr
    return out


def test_make_writes_every_frame_with_real_timestamps(shared_data, tmp_path, frames):
    out = tmp_path / "squats"
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(out), "--frame-id", "cam")
    assert made.returncode == 0, made.stderr
    assert "65 done" in made.stderr  # the progress bar's summary
    store = typestore()
    with Reader(out) as reader:
        images = [c for c in reader.connections if c.topic == "/camera/image_raw"]
        infos = [c for c in reader.connections if c.topic == "/camera/camera_info"]
        assert images[0].msgtype == "sensor_msgs/msg/Image" and infos
        stamps = []
        for i, (conn, t, data) in enumerate(reader.messages(connections=images)):
            msg = store.deserialize_cdr(data, conn.msgtype)
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            assert stamp == t and msg.header.frame_id == "cam" and msg.encoding == "bgr8"
            assert np.array_equal(msg.data.reshape(msg.height, msg.width, 3), frames[i])
            stamps.append(stamp)
        info = store.deserialize_cdr(next(reader.messages(connections=infos))[2],
                                     "sensor_msgs/msg/CameraInfo")
    assert len(stamps) == len(frames) == 65
    assert set(np.diff(stamps)) == {200_000_000}  # the video's 5 frames per second
    assert (info.width, info.height) == (frames[0].shape[1], frames[0].shape[0])
    assert info.k[0] > 0 and info.k[2] == pytest.approx((info.width - 1) / 2)


def test_mcap_bag_reads_back_identically_with_the_mcap_library(mcap_bag, frames):
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    (file,) = mcap_bag.glob("*.mcap")
    with open(file, "rb") as f:
        images = [(schema, message, msg) for schema, channel, message, msg in
                  make_reader(f, decoder_factories=[DecoderFactory()]).iter_decoded_messages()
                  if channel.topic == "/camera/image_raw"]
    assert len(images) == len(frames)
    for (schema, message, msg), frame in zip(images, frames):
        assert schema.name == "sensor_msgs/msg/Image"
        assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == message.log_time
        assert (msg.height, msg.width, msg.encoding) == (*frame.shape[:2], "bgr8")
        assert np.frombuffer(bytes(msg.data), np.uint8).reshape(frame.shape).tobytes() == \
            frame.tobytes()


def test_compressed_bag_and_inspect(shared_data, tmp_path, frames):
    out = tmp_path / "squats_jpeg"
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(out), "--compressed",
                    "--topic", "/cam/image")
    assert made.returncode == 0, made.stderr
    shown = pose_ros("bag", "inspect", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "/cam/image/compressed" in shown.stdout
    assert "sensor_msgs/msg/CompressedImage" in shown.stdout
    assert "/cam/camera_info" in shown.stdout and "12.800 s, 130 messages" in shown.stdout
    store = typestore()
    with Reader(out) as reader:
        _, _, data = next(reader.messages())
        jpeg = store.deserialize_cdr(data, "sensor_msgs/msg/CompressedImage")
    decoded = cv2.imdecode(jpeg.data, cv2.IMREAD_COLOR)
    assert jpeg.format == "jpeg" and np.abs(decoded.astype(int) - frames[0]).mean() < 4


def test_clear_errors(tmp_path):
    missing = pose_ros("bag", "make", str(tmp_path / "nothing.mp4"), str(tmp_path / "out"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    not_a_bag = pose_ros("bag", "inspect", str(tmp_path))
    assert not_a_bag.returncode == 1 and "metadata" in not_a_bag.stderr
    assert "Traceback" not in not_a_bag.stderr
