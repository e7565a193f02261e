"""Several cameras served by one pose_node process (pose_node --cameras ...)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import rclpy
from rcl_interfaces.srv import GetParameters
from rclpy.parameter import parameter_value_to_python
from sensor_msgs.msg import Image
from std_srvs.srv import SetBool
from visualization_msgs.msg import MarkerArray

import coco
from pose_ros.api import create_estimator
from pose_ros.node.cameras import camera_names, camera_namespaces
from pose_ros_msgs.msg import PersonArray
from ros_helpers import call, diagnostic_values, reliable, spawn, spin_until, stop

COCO_PERSON = "000000037666.jpg"  # one person; the other camera sees video/pose.jpg
T0 = 1_700_000_000.0  # stamps 0.1 s apart: video, so each node follows a crop and smooths
# --cameras cam_a /cam_b under the process namespace /robot (__ns, as launch's namespace=)
A, B = "/robot/cam_a", "/cam_b"


def test_camera_namespaces_from_the_command_line():
    assert camera_names([]) == []
    assert camera_names(["--cameras", "front/", "/robot/rear/"]) == ["front", "/robot/rear"]
    for argv, says in ((["--cameras", "front-left"], "not a valid namespace"),
                       (["--camera", "a"], "unknown argument")):
        with pytest.raises(ValueError, match=says):
            camera_names(argv)
    assert camera_namespaces(["front", "/rear"], "/") == ["/front", "/rear"]
    assert camera_namespaces(["front", "/rear"], "/robot") == ["/robot/front", "/rear"]
    with pytest.raises(ValueError, match="/a given twice"):
        camera_namespaces(["a", "/a"], "/")


def rgb8(rgb: np.ndarray, stamp: float) -> Image:
    h, w = rgb.shape[:2]
    msg = Image(height=h, width=w, encoding="rgb8", step=w * 3, data=rgb.tobytes())
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(round(stamp * 1e9), 10**9)
    msg.header.frame_id = "camera_optical_frame"
    return msg


def xy(persons) -> np.ndarray:
    return np.array([[[k.x, k.y] for k in p.keypoints] for p in persons])


@pytest.fixture(scope="module")
def images(shared_data) -> dict[str, np.ndarray]:
    (person,) = [i for i in coco.load(shared_data / "coco-mini-train")
                 if i.path.name == COCO_PERSON]
    pose = cv2.imread(str(shared_data / "video" / "pose.jpg"))
    assert pose is not None, "cannot read video/pose.jpg"
    return {A: person.rgb(), B: cv2.cvtColor(pose, cv2.COLOR_BGR2RGB)}


def parameters(ros, node: str, names: list[str]) -> dict:
    client = ros.create_client(GetParameters, f"{node}/get_parameters")
    try:
        answer = call(ros, client, GetParameters.Request(names=names))
        return dict(zip(names, map(parameter_value_to_python, answer.values)))
    finally:
        ros.destroy_client(client)


def test_two_cameras_in_one_process_each_get_their_own_poses(ros, model_dir, images, tmp_path):
    params = tmp_path / "cameras.yaml"  # as config/pose_ros.yaml addresses every camera
    params.write_text("/**/pose_estimator:\n  ros__parameters:\n    publish_markers: false\n"
                      "/cam_b/pose_estimator:\n  ros__parameters:\n    marker_depth: 3.0\n")
    # a relative remap applies under each camera's namespace: /robot/cam_a/image_raw, ...
    proc = spawn(["pose_node", "--cameras", "cam_a", B, "--ros-args", "-r", "__ns:=/robot",
                  "--params-file", str(params), "-r", "image:=image_raw",
                  "-p", "backend:=onnxruntime", "-p", f"model_dir:={model_dir}",
                  "-p", "qos_reliability:=reliable", "-p", "qos_depth:=10"])
    got: dict[str, list[PersonArray]] = {ns: [] for ns in images}
    subs = [ros.create_subscription(PersonArray, f"{ns}/poses", got[ns].append, reliable())
            for ns in images]
    pubs = {ns: ros.create_publisher(Image, f"{ns}/image_raw", reliable()) for ns in images}

    def send(ns: str, stamp: float) -> None:
        pubs[ns].publish(rgb8(images[ns], stamp))
        assert spin_until(ros, lambda: any(
            abs(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 - stamp) < 1e-6
            for m in got[ns]), 20), f"no poses on {ns}/poses:\n{stop(proc)}"
    enable_a = ros.create_client(SetBool, f"{A}/pose_estimator/enable")
    try:
        assert spin_until(ros, lambda: all(p.get_subscription_count() for p in pubs.values())
                          and all(ros.count_publishers(f"{ns}/poses") for ns in images), 60), \
            f"the cameras' nodes did not start:\n{stop(proc)}"
        # A, B, A, B: one estimator for both would follow A's crop into B's frame
        order = [(ns, T0 + 0.1 * i) for i, ns in enumerate([A, B] * 2)]
        for ns, stamp in order:
            send(ns, stamp)
        diagnostics = {ns: diagnostic_values(ros, f"{ns}/pose_estimator") for ns in images}
        values = {ns: parameters(ros, f"{ns}/pose_estimator", ["publish_markers", "marker_depth"])
                  for ns in images}
        answers = {ns: list(got[ns]) for ns in images}
        # each camera's node has its own lifecycle: disabling A leaves B serving
        assert call(ros, enable_a, SetBool.Request(data=False)).success
        assert spin_until(ros, lambda: pubs[A].get_subscription_count() == 0, 10)
        assert pubs[B].get_subscription_count() == 1
        send(B, T0 + 0.4)
    finally:
        ros.destroy_client(enable_a)
        for sub in subs:
            ros.destroy_subscription(sub)
        for pub in pubs.values():
            ros.destroy_publisher(pub)
        out = stop(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out
    assert values == {A: {"publish_markers": False, "marker_depth": 2.0},
                      B: {"publish_markers": False, "marker_depth": 3.0}}

    mixed = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir)
    mixed_last = [mixed.estimate(images[ns], timestamp=t) for ns, t in order][-1]
    for ns, rgb in images.items():
        h, w = rgb.shape[:2]
        assert len(answers[ns]) == 2, f"{ns} answered {len(answers[ns])} frames, sent 2"
        assert all((m.image_width, m.image_height) == (w, h) for m in answers[ns]), \
            f"{ns} answered for another camera's image"
        assert diagnostics[ns]["frames_processed"] == "2", diagnostics[ns]
        # this camera's own estimator, fed only this camera's frames
        own = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir)
        for msg, (_, stamp) in zip(answers[ns], [o for o in order if o[0] == ns]):
            expected = own.estimate(rgb, timestamp=stamp)
            assert len(msg.persons) == len(expected) == 1, (ns, len(msg.persons))
            print(f"\n{ns} at {stamp - T0:.1f} s: max |node - own estimator| "
                  f"{np.abs(xy(msg.persons) - [p.xy for p in expected]).max():.4f} px")
            np.testing.assert_allclose(xy(msg.persons), [p.xy for p in expected], atol=0.01)
    # the state that would leak: B's second frame after A's crop and smoothing
    shared = np.abs(xy(answers[B][-1].persons) - [p.xy for p in mixed_last]).max()
    print(f"{B}'s last frame through an estimator shared with {A}: {shared:.1f} px off")
    assert shared > 1.0, "the images are too alike for this test to see shared state"


@pytest.mark.parametrize("cameras, extra, says", [
    (["a", "/robot/a"], ["-r", "__ns:=/robot"], "/robot/a given twice"),
    (["front", "/front"], [], "/front given twice"),
    (["front-left"], [], "'front-left' is not a valid namespace"),
])
def test_a_camera_list_that_cannot_work_is_one_clear_error(model_dir, cameras, extra, says):
    proc = spawn(["pose_node", "--cameras", *cameras, "--ros-args", *extra,
                  "-p", "backend:=onnxruntime", "-p", f"model_dir:={model_dir}"])
    try:
        proc.wait(60)
    finally:
        out = stop(proc)
    errors = [line for line in out.splitlines() if line.startswith("pose_node: error:")]
    assert proc.returncode == 1 and len(errors) == 1 and says in errors[0], out
    assert "Traceback" not in out, out


def test_a_bad_value_for_one_camera_names_that_camera(model_dir, tmp_path):
    """The first camera's node may be up already: the error says whose value it was."""
    params = tmp_path / "params.yaml"
    params.write_text("/rear/pose_estimator:\n  ros__parameters:\n    min_pose_score: 1.5\n")
    proc = spawn(["pose_node", "--cameras", "front", "rear", "--ros-args",
                  "--params-file", str(params), "-p", "backend:=onnxruntime",
                  "-p", f"model_dir:={model_dir}"])
    try:
        proc.wait(60)
    finally:
        out = stop(proc)
    errors = [line for line in out.splitlines() if "error:" in line]
    assert proc.returncode == 1 and len(errors) == 1, out
    assert errors[0].startswith("pose_node /rear/pose_estimator: error: ") and \
        "min_pose_score" in errors[0], out


def test_person_frames_carry_the_node_namespace(ros):
    """/tf is one tree: two depth cameras' person_1 must not be one frame."""
    from pose_ros.node.people_3d import People3D

    for namespace, prefix in (("/", ""), ("/front", "front/"), ("/robot/rear", "robot/rear/")):
        node = rclpy.create_node("pose_estimator", namespace=namespace)
        try:
            people = People3D(node, "movenet_multipose", node.create_publisher(
                MarkerArray, "markers", 1), node.create_publisher)
            assert people.frame_prefix == prefix
        finally:
            node.destroy_node()
