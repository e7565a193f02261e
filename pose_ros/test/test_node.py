"""The real pose_node process, fed real images through Fast DDS."""

from __future__ import annotations

import math
import time

import cv2
import numpy as np
import pytest
import rclpy
from rcl_interfaces.msg import Parameter
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import CompressedImage, Image
from visualization_msgs.msg import Marker, MarkerArray

import coco
from image_messages import colour_in_every_encoding, gray_in_every_encoding
from pose_ros.api import create_estimator
from pose_ros_msgs.msg import PersonArray
from ros_helpers import (
    call,
    diagnostic_values,
    parameter_value,
    reliable,
    spawn,
    spin_until,
    start_node,
    stop,
)

PERSON_IMAGE = "000000037666.jpg"  # one annotated person, 16 labelled keypoints


@pytest.fixture(scope="module")
def annotated(shared_data):
    (image,) = [i for i in coco.load(shared_data / "coco-mini-train")
                if i.path.name == PERSON_IMAGE]
    return image


@pytest.fixture(scope="module")
def pose_node(ros, model_dir):
    proc = spawn(["pose_node", "--ros-args", "-p", "model:=movenet_lightning",
                  "-p", "backend:=onnxruntime", "-p", f"model_dir:={model_dir}",
                  "-p", "qos_reliability:=reliable", "-r", "image:=/test/image",
                  "-r", "image/compressed:=/test/image/compressed"])
    client = ros.create_client(SetParameters, "/pose_estimator/set_parameters")
    if not client.wait_for_service(timeout_sec=30):
        pytest.fail(f"pose_node did not start:\n{stop(proc)}")
    yield proc, client
    out = stop(proc)
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out


class Feed:
    """Publishes images to the node and collects what it publishes back."""

    def __init__(self, ros):
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.ros = ros
        self.image_pub = ros.create_publisher(Image, "/test/image", qos)
        self.compressed_pub = ros.create_publisher(CompressedImage, "/test/image/compressed", qos)
        self.poses: list[PersonArray] = []
        self.markers: list[MarkerArray] = []
        ros.create_subscription(PersonArray, "/poses", self.poses.append, 10)
        ros.create_subscription(MarkerArray, "/markers", self.markers.append, 10)
        spin_until(ros, lambda: self.image_pub.get_subscription_count() > 0, 10)

    def send(self, msg, stamp_ns: int, publisher=None) -> PersonArray:
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
        msg.header.frame_id = "camera_optical_frame"
        (publisher or self.image_pub).publish(msg)
        assert spin_until(self.ros, lambda: any(_ns(p) == stamp_ns for p in self.poses), 20), \
            "no poses for the frame"
        return next(p for p in self.poses if _ns(p) == stamp_ns)


def _ns(msg) -> int:
    return msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec


def rgb8(rgb: np.ndarray) -> Image:
    h, w = rgb.shape[:2]
    return Image(height=h, width=w, encoding="rgb8", step=w * 3, data=rgb.tobytes())


@pytest.fixture(scope="module")
def feed(ros, pose_node):
    return Feed(ros)


def set_params(ros, client, **values):
    params = [Parameter(name=n, value=parameter_value(v)) for n, v in values.items()]
    return call(ros, client, SetParameters.Request(parameters=params)).results


def test_poses_for_a_real_image_with_the_source_header(feed, annotated):
    rgb = annotated.rgb()
    msg = feed.send(rgb8(rgb), 1_700_000_000_000_000_001)
    assert msg.header.frame_id == "camera_optical_frame"
    assert (msg.image_width, msg.image_height) == (rgb.shape[1], rgb.shape[0])
    assert msg.model == "movenet_lightning"
    assert len(msg.persons) == 1
    person = msg.persons[0]
    assert [k.name for k in person.keypoints][:3] == ["nose", "left_eye", "right_eye"]
    assert len(person.keypoints) == 17 and person.track_id == -1
    x, y, w, h = annotated.people[0].bbox
    margin = 0.1 * max(w, h)
    confident = [k for k in person.keypoints if k.score > 0.3]
    assert len(confident) >= 10
    for k in confident:
        assert x - margin <= k.x <= x + w + margin and y - margin <= k.y <= y + h + margin, k


def wire(ros, proc, image_type, image_topic: str, node: str):
    """A reliable publisher on the node's camera topic, and the poses it answers with,
    once the node has subscribed."""
    pub = ros.create_publisher(image_type, image_topic, reliable())
    got: list[PersonArray] = []
    ros.create_subscription(PersonArray, f"/{node}/poses", got.append, 10)
    assert spin_until(ros, lambda: pub.get_subscription_count() > 0, 30), stop(proc)
    return pub, got


def test_compressed_images_give_the_same_person(ros, model_dir, annotated):
    """A JPEG frame gives the pose the inference core finds on the JPEG's own pixels."""
    proc = start_node(ros, model_dir, "pose_compressed", "-p", "use_compressed:=true",
                      "-r", "image/compressed:=/test/jpeg")
    _, data = cv2.imencode(".jpg", cv2.cvtColor(annotated.rgb(), cv2.COLOR_RGB2BGR))
    try:
        pub, got = wire(ros, proc, CompressedImage, "/test/jpeg", "pose_compressed")
        msg = CompressedImage(format="jpeg", data=data.tobytes())
        msg.header.stamp.sec = 42
        pub.publish(msg)
        assert spin_until(ros, lambda: bool(got), 20), stop(proc)
        assert got[0].header.stamp.sec == 42 and len(got[0].persons) == 1
    finally:
        stop(proc)
    jpeg_rgb = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    estimator = create_estimator("movenet_lightning", model_dir=model_dir)  # the node's
    (expected,) = estimator.estimate(jpeg_rgb, timestamp=42.0)
    estimator.close()
    xy = np.array([(k.x, k.y) for k in got[0].persons[0].keypoints])
    np.testing.assert_allclose(xy, expected.xy, atol=0.5)


def test_multipose_runs_on_litert(ros, model_dir, annotated):
    """backend litert with a model whose input size follows the frame's."""
    pytest.importorskip("ai_edge_litert", reason="LiteRT is not installed here "
                        "(pip install ai-edge-litert)")
    proc = start_node(ros, model_dir, "pose_litert", "-p", "model:=movenet_multipose",
                      "-p", "backend:=litert", "-r", "image:=/test/litert")
    try:
        pub, got = wire(ros, proc, Image, "/test/litert", "pose_litert")
        msg = rgb8(annotated.rgb())
        msg.header.stamp.sec = 43
        pub.publish(msg)
        assert spin_until(ros, lambda: bool(got), 20), stop(proc)
        assert got[0].header.stamp.sec == 43 and got[0].model == "movenet_multipose"
        assert len(got[0].persons) == 1
        assert diagnostic_values(ros, "pose_litert")["backend"] == "litert"
    finally:
        stop(proc)


def test_markers_are_well_formed(feed, annotated):
    before = len(feed.markers)
    feed.send(rgb8(annotated.rgb()), 1_700_000_001_000_000_000)
    assert spin_until(feed.ros, lambda: len(feed.markers) > before, 10)
    markers = feed.markers[-1].markers
    assert markers[0].action == Marker.DELETEALL  # last frame's markers go: no ghosts
    drawn = markers[1:]
    assert drawn and len({(m.ns, m.id) for m in drawn}) == len(drawn)
    for m in drawn:
        assert m.header.frame_id == "camera_optical_frame"
        assert m.header.stamp.sec == 1_700_000_001
        assert m.scale.x > 0 and m.scale.y > 0 and m.scale.z > 0 and m.color.a > 0


def test_markers_switched_off_leave_no_skeleton_in_rviz(ros, pose_node, feed, annotated):
    _, client = pose_node
    feed.send(rgb8(annotated.rgb()), 1_700_000_002_000_000_000)
    assert spin_until(ros, lambda: len(feed.markers[-1].markers) > 1 if feed.markers else False,
                      10)
    before = len(feed.markers)
    try:
        assert set_params(ros, client, publish_markers=False)[0].successful
        assert spin_until(ros, lambda: len(feed.markers) > before, 5)
        assert [m.action for m in feed.markers[-1].markers] == [Marker.DELETEALL]
    finally:
        assert set_params(ros, client, publish_markers=True)[0].successful


def test_invalid_parameters_are_refused_with_reasons(ros, pose_node, feed, annotated):
    _, client = pose_node
    for name, value in [("output_stride", 7), ("min_pose_score", 1.5),
                        ("min_pose_score", math.nan), ("nms_radius", -1.0),
                        ("model", "no_such_model")]:
        (result,) = set_params(ros, client, **{name: value})
        assert not result.successful and name in result.reason, (name, result.reason)
    # the node still serves frames with its old values
    msg = feed.send(rgb8(annotated.rgb()), 1_700_000_002_000_000_000)
    assert len(msg.persons) == 1


def test_valid_change_applies_to_the_next_frame(ros, pose_node, feed, annotated):
    _, client = pose_node
    (result,) = set_params(ros, client, min_pose_score=0.99)
    assert result.successful
    assert feed.send(rgb8(annotated.rgb()), 1_700_000_003_000_000_000).persons == []
    (result,) = set_params(ros, client, min_pose_score=0.25)
    assert result.successful
    assert len(feed.send(rgb8(annotated.rgb()), 1_700_000_004_000_000_000).persons) == 1


def test_a_parameter_the_model_does_not_use_is_refused_with_the_reason(ros, pose_node):
    _, client = pose_node
    for name, value in [("flip_horizontal", True), ("nms_radius", 30.0),
                        ("root_score_threshold", 0.5)]:  # each valid for PoseNet
        (result,) = set_params(ros, client, **{name: value})
        assert not result.successful, name
        assert result.reason == (f"{name} does nothing here: movenet_lightning does not use it "
                                 "(used by posenet_mobilenet)"), result.reason


def test_an_output_stride_its_backend_cannot_serve_is_refused_with_the_reason(ros, model_dir):
    """LiteRT has PoseNet's stride-16 graph alone: stride 8 on backend litert is refused
    when set, not accepted and then failed on every frame."""
    pytest.importorskip("ai_edge_litert", reason="LiteRT is not installed here "
                        "(pip install ai-edge-litert)")
    proc = start_node(ros, model_dir, "pose_stride", "-p", "model:=posenet_mobilenet",
                      "-p", "backend:=litert")
    try:
        client = ros.create_client(SetParameters, "/pose_stride/set_parameters")
        (result,) = set_params(ros, client, output_stride=8)
        assert not result.successful
        assert result.reason.startswith("output_stride 8: backend litert: LiteRT has no "
                                        "posenet_mobilenet.stride8.tflite in "), result.reason
        (result,) = set_params(ros, client, output_stride=16)
        assert result.successful, result.reason
    finally:
        out = stop(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out


def test_a_parameter_the_model_does_not_use_is_warned_about_at_start(ros, model_dir):
    proc = start_node(ros, model_dir, "pose_inert", "-p", "model:=movenet_lightning",
                      "-p", "flip_horizontal:=true", "-p", "smoothing:=false")
    out = stop(proc)
    assert proc.returncode == 0, out
    assert ("flip_horizontal=True does nothing: movenet_lightning does not use it "
            "(used by posenet_mobilenet)") in out, out
    assert "smoothing=False does nothing" not in out, out  # Lightning smooths: it is in use


def dropped(ros) -> tuple[int, int | None]:
    """Frames the node reports dropped in /diagnostics: superseded in its mailbox
    before inference, and replaced in the middleware's keep-last history (None where
    rclpy gives no way to count those: Jazzy, Humble)."""
    values = diagnostic_values(ros, "/pose_estimator")
    transport = values["frames_dropped_transport"]
    return (int(values["frames_dropped_superseded"]),
            None if transport.startswith("unavailable (") else int(transport))


def test_a_burst_is_dropped_not_queued(feed, annotated):
    rgb = annotated.rgb()
    feed.send(rgb8(rgb), 1_700_000_009_000_000_000)  # the node knows this publisher now
    superseded_before, transport_before = dropped(feed.ros)
    first = 1_700_000_010_000_000_000
    for i in range(100):
        msg = rgb8(rgb)
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(first + i * 1_000_000, 10**9)
        feed.image_pub.publish(msg)
    last = first + 99 * 1_000_000
    assert spin_until(feed.ros, lambda: any(_ns(p) == last for p in feed.poses), 30), \
        "the newest frame of the burst was not answered"
    answered = [p for p in feed.poses if first <= _ns(p) <= last]
    print(f"\nburst of 100 frames: {len(answered)} answered, {100 - len(answered)} dropped")
    assert len(answered) < 100
    time.sleep(0.5)
    for _ in range(10):
        rclpy.spin_once(feed.ros, timeout_sec=0.05)
    assert _ns(feed.poses[-1]) == last, "frames kept arriving after the newest: a backlog"
    # every frame of the burst is either answered or counted as dropped
    time.sleep(1.1)  # the next diagnostics period
    superseded, transport = dropped(feed.ros)
    superseded -= superseded_before
    if transport is None:  # transport losses go uncounted: the mailbox's are a bound
        print(f"the node's diagnostics: {superseded} frames superseded, transport uncounted")
        assert superseded <= 100 - len(answered)
    else:
        reported = superseded + transport - transport_before
        print(f"the node's diagnostics: {reported} frames dropped")
        assert reported == 100 - len(answered)


def test_every_encoding_gives_the_same_poses(ros, model_dir, annotated):
    """The colour photo in the colour encodings (a channel-order slip would show), and
    its grey version in all eight (mono and YUV carry grey alone): each group's poses
    equal its rgb8 frame's."""
    # PoseNet is stateless from frame to frame, so identical pixels must give identical poses
    proc = start_node(ros, model_dir, "pose_encodings", "-p", "model:=posenet_mobilenet",
                      "-p", "min_pose_score:=0.1", "-p", "root_score_threshold:=0.1",
                      "-r", "image:=/test/encodings")
    rgb = annotated.rgb()
    groups = {"colour": colour_in_every_encoding(rgb),
              "grey": gray_in_every_encoding(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))}
    frames = [(group, encoding, msg) for group, images in groups.items()
              for encoding, msg in images.items()]
    try:
        pub, got = wire(ros, proc, Image, "/test/encodings", "pose_encodings")
        for sec, (_, _, msg) in enumerate(frames, start=1):
            msg.header.stamp.sec = sec
            pub.publish(msg)
            assert spin_until(ros, lambda sec=sec: len(got) == sec, 20), stop(proc)
    finally:
        out = stop(proc)
    assert "Traceback" not in out
    answers = {(group, encoding): msg for (group, encoding, _), msg in zip(frames, got)}
    for (group, encoding), msg in answers.items():
        reference = answers[group, "rgb8"]
        assert len(reference.persons) >= 1
        assert ((msg.image_width, msg.image_height)
                == (reference.image_width, reference.image_height))
        assert msg.persons == reference.persons, f"{group} {encoding} gave other poses than rgb8"
    # the grey image is another input: had colour been lost, these two would be equal
    assert answers["colour", "rgb8"].persons != answers["grey", "rgb8"].persons


def test_missing_model_is_one_clear_error(tmp_path):
    proc = spawn(["pose_node", "--ros-args", "-r", "__node:=pose_missing",
                  "-p", f"model_dir:={tmp_path}"])
    proc.wait(30)
    out = proc.stdout.read()
    assert proc.returncode == 1
    assert "movenet_lightning.onnx is missing" in out and "pose-ros-models" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("param,reason", [("min_pose_score:=5.0", "out of range"),
                                          ("min_pose_score:=high", "expecting type 'DOUBLE'"),
                                          ("model:=movenet_huge", "must be one of")])
def test_bad_parameter_at_start_is_one_clear_error(param, reason):
    # refused before the node has finished starting: rclpy's shutdown still destroys it
    proc = spawn(["pose_node", "--ros-args", "-r", "__node:=pose_bad_param", "-p", param])
    proc.wait(30)
    out = proc.stdout.read()
    assert proc.returncode == 1, out
    assert "pose_node: error: " in out and reason in out and param.split(":=")[0] in out, out
    assert "Traceback" not in out, out


def test_enable_service_unsubscribes_and_resumes(ros, pose_node, feed, annotated):
    from std_srvs.srv import SetBool

    client = ros.create_client(SetBool, "/pose_estimator/enable")

    def enable(value):
        assert call(ros, client, SetBool.Request(data=value)).success

    feed.send(rgb8(annotated.rgb()), 1_700_000_019_000_000_000)  # the node knows the camera
    _, transport_before = dropped(ros)
    enable(False)
    assert spin_until(ros, lambda: feed.image_pub.get_subscription_count() == 0, 10), \
        "disabled, the node must not be subscribed to the camera"
    for _ in range(5):  # unheard while disabled: not frames lost in transport
        feed.image_pub.publish(rgb8(annotated.rgb()))
    enable(True)
    assert spin_until(ros, lambda: feed.image_pub.get_subscription_count() > 0, 10)
    assert len(feed.send(rgb8(annotated.rgb()), 1_700_000_020_000_000_000).persons) == 1
    if transport_before is not None:  # countable (dropped's docstring says where)
        time.sleep(1.1)  # the next diagnostics period
        assert dropped(ros)[1] == transport_before
