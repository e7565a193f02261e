"""pose-ros bag make / inspect on the real video, checked by independent readers."""

from __future__ import annotations

import json
import subprocess

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from pose_ros.bag.typestore import typestore
from pose_ros.depth.image import depth_image

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


def test_a_frame_rate_or_start_offset_that_cannot_be_is_refused(shared_data, tmp_path,
                                                                  mcap_bag):
    for fps in ("-5", "0"):  # stamps running backwards, or no rate at all
        made = pose_ros("bag", "make", str(shared_data / VIDEO), str(tmp_path / f"fps{fps}"),
                        "--fps", fps)
        assert made.returncode == 1 and f"fps {fps}: must be above 0" in made.stderr, \
            made.stderr
        assert not (tmp_path / f"fps{fps}").exists()
    played = pose_ros("bag", "play", str(mcap_bag), "--start-offset", "100")
    assert played.returncode == 1, played.stderr
    assert "start offset 100 s is past the end of squats_mcap (" in played.stderr, played.stderr
    assert "Traceback" not in played.stderr


def test_topics_to_play_must_be_in_the_bag_and_their_types_known(mcap_bag):
    """A typo in --topics dropped that stream without a word; a type not installed here
    (the bag made elsewhere) gave a traceback."""
    from pose_ros.bag.typestore import message_class

    played = pose_ros("bag", "play", str(mcap_bag), "--topics", "/camera/image_raw",
                      "/camera/imag_raw")
    assert played.returncode == 1 and "Traceback" not in played.stderr, played.stderr
    assert "has no topic /camera/imag_raw (it has /camera/camera_info, /camera/image_raw)" \
        in played.stderr, played.stderr
    with pytest.raises(ValueError, match="message type foo_msgs/msg/Bar is not installed here"):
        message_class("foo_msgs/msg/Bar")


def test_make_with_depth_writes_aligned_depth_that_inspect_and_the_core_read(shared_data,
                                                                             tmp_path):
    colour = tmp_path / "colour"
    colour.mkdir()
    photo = cv2.imread(str(shared_data / "video" / "pose.jpg"))
    h, w = photo.shape[0] // 2, photo.shape[1] // 2
    depths = tmp_path / "depth"
    depths.mkdir()
    expected = []
    for i in range(3):
        cv2.imwrite(str(colour / f"{i}.png"), photo)
        mm = np.tile(np.linspace(500, 4000 + 1000 * i, w), (h, 1)).astype(np.uint16)
        mm[:, :10] = 0  # no depth
        cv2.imwrite(str(depths / f"{i}.png"), mm)
        expected.append(mm)
    out = tmp_path / "rgbd"
    made = pose_ros("bag", "make", str(colour), str(out), "--depth", str(depths),
                    "--frame-id", "cam")
    assert made.returncode == 0, made.stderr
    assert "with depth" in made.stderr
    store = typestore()
    with Reader(out) as reader:
        order = [c.topic for c, _, _ in reader.messages()]
        by_topic: dict[str, list] = {}
        for conn, t, data in reader.messages():
            msg = store.deserialize_cdr(data, conn.msgtype)
            assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == t
            by_topic.setdefault(conn.topic, []).append(msg)
    # a frame's depth comes before its colour, as from a camera whose depth is ready
    assert order[:4] == ["/camera/depth/image_raw", "/camera/depth/camera_info",
                         "/camera/image_raw", "/camera/camera_info"]
    images, infos = by_topic["/camera/depth/image_raw"], by_topic["/camera/depth/camera_info"]
    assert [m.header.stamp for m in images] == [m.header.stamp
                                                for m in by_topic["/camera/image_raw"]]
    for msg, info, mm in zip(images, infos, expected):
        assert (msg.encoding, msg.width, msg.height, msg.header.frame_id) == ("16UC1", w, h, "cam")
        read = depth_image(msg.data, msg.width, msg.height, msg.step, msg.encoding,
                           msg.is_bigendian)
        np.testing.assert_array_equal(read.pixels, mm)
        # aligned: the colour camera's field of view at the depth image's size
        colour_info = by_topic["/camera/camera_info"][0]
        assert (info.width, info.height) == (w, h)
        assert info.k[0] == pytest.approx(colour_info.k[0] * w / colour_info.width)
    shown = pose_ros("bag", "inspect", str(out))
    assert shown.returncode == 0, shown.stderr
    medians = [float(np.median(mm[mm > 0])) / 1000 for mm in expected]
    assert (f"depth on /camera/depth/image_raw: 3 frames, {w}x{h} 16UC1 in cam, "
            f"{1 - 10 / w:.1%} of pixels with depth, median {np.median(medians):.3f} m"
            in shown.stdout), shown.stdout


def test_make_with_one_float_depth_file_for_every_frame(shared_data, tmp_path):
    metres = np.full((20, 30), 2.25, np.float32)
    metres[0, 0] = np.nan
    cv2.imwrite(str(tmp_path / "depth.tiff"), metres)
    out = tmp_path / "rgbd"
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(out), "--depth",
                    str(tmp_path / "depth.tiff"), "--depth-topic", "/rgbd/depth",
                    "--depth-frame-id", "depth_optical")
    assert made.returncode == 0, made.stderr
    shown = pose_ros("bag", "inspect", str(out), "--json")
    (depth,) = json.loads(shown.stdout)["depth"]
    assert depth == {"topic": "/rgbd/depth", "frames": 65, "encoding": "32FC1", "width": 30,
                     "height": 20, "frame_id": "depth_optical",
                     "valid_fraction_mean": pytest.approx(599 / 600), "median_m": 2.25}
    assert "/rgbd/camera_info" in [t["topic"] for t in json.loads(shown.stdout)["topics"]]


def test_depth_errors_say_what_to_give(shared_data, tmp_path):
    three_channels = tmp_path / "rgb.png"
    cv2.imwrite(str(three_channels), np.zeros((4, 4, 3), np.uint8))
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(tmp_path / "a"),
                    "--depth", str(three_channels))
    assert made.returncode == 1 and "has 3 channels: a depth image has one" in made.stderr
    assert not (tmp_path / "a").exists()  # refused before the bag was made
    folder = tmp_path / "two"
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f"{i}.png"), np.zeros((4, 4), np.uint16))
    made = pose_ros("bag", "make", str(shared_data / VIDEO), str(tmp_path / "b"),
                    "--depth", str(folder))
    assert made.returncode == 1 and "holds 2 depth images" in made.stderr
    assert "for 65 colour frames" in made.stderr and "Traceback" not in made.stderr
