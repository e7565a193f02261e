"""3D people through the real pose_node process: a bag of a real photo and the depth
image rendered from a known skeleton (depth_scene), made and played with pose-ros bag.

Played in three parts: its colour alone first (no depth yet: every frame unpaired,
counted, its 2D poses published all the same), then its depth alone, then its colour
again (every frame paired): the 3D people, markers and TF carry the colour image's
stamp and the depth optical frame, and the points are where the skeleton is.

The depth goes first because the node waits for a late depth image only briefly
(depth_pairing_wait): played together, a depth image Fast DDS delivers late (on Jazzy
now and then half a second, recovered with the next sample) leaves its frame without
3D, by design, and the count of such frames is the transport's, not the node's. Played
first, every depth image is there when its colour frame is (the player stays until the
node acknowledges them, and the next play waits 2 s for discovery), so what pairs is
the node's doing alone.
"""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CameraInfo, Image
from std_srvs.srv import SetBool
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker, MarkerArray

from depth_scene import (
    UNMEASURABLE,
    bone_radii,
    colour_camera,
    k_of,
    render,
    skeleton_3d,
)
from image_messages import make_image
from pose_ros.api import create_estimator
from pose_ros.bag.make import DEFAULT_START_NS
from pose_ros.depth.lift import DepthOptions
from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros_msgs.msg import Person3DArray, PersonArray
from ros_helpers import call, diagnostic_values, reliable, spawn, spin_until, start_node, stop

MODEL = "movenet_multipose"  # tracked: person TF frames need a track id
FRAMES = 5
COLOUR_FRAME, DEPTH_FRAME = "cam_colour_optical_frame", "cam_depth_optical_frame"
COLOUR_TOPICS = ("/d3/image_raw", "/d3/camera_info")
DEPTH_TOPICS = ("/d3/depth/image_raw", "/d3/depth/camera_info")
TOLERANCE_M = 0.01


def stamp_ns(header) -> int:
    return ns(header.stamp)


def ns(time) -> int:
    return time.sec * 10**9 + time.nanosec


@pytest.fixture(scope="module")
def scene(shared_data, model_dir, tmp_path_factory):
    """The bag (colour at 1000x667, depth 16UC1 at half that) and the 3D truth."""
    folder = tmp_path_factory.mktemp("depth_bag")
    bgr = cv2.imread(str(shared_data / "video" / "pose.jpg"))
    (folder / "colour").mkdir()
    for i in range(FRAMES):
        cv2.imwrite(str(folder / "colour" / f"{i}.png"), bgr)  # lossless: the node sees these
    estimator = create_estimator(MODEL, backend="onnxruntime", model_dir=model_dir)
    (pose,) = estimator.estimate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    h, w = bgr.shape[:2]
    # the cameras pose-ros bag make describes in camera_info (its default field of view)
    colour, depth_cam = colour_camera(w, h), colour_camera(w // 2, h // 2)
    truth = skeleton_3d(pose.xy.astype(np.float64), colour)
    depth_m = render(truth, bone_radii(pose.xy), colour, depth_cam)
    cv2.imwrite(str(folder / "depth.png"),
                np.where(np.isnan(depth_m), 0, np.rint(depth_m * 1000)).astype(np.uint16))
    made = subprocess.run(["pose-ros", "bag", "make", str(folder / "colour"), str(folder / "bag"),
                           "--topic", "/d3/image_raw", "--frame-id", COLOUR_FRAME,
                           "--depth", str(folder / "depth.png"), "--depth-frame-id", DEPTH_FRAME],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    confident = pose.scores >= DepthOptions().min_keypoint_score
    expected_valid = confident & np.array([n not in UNMEASURABLE for n in KEYPOINT_NAMES])
    return folder / "bag", truth, expected_valid


def play(ros, bag, topics: tuple[str, ...]) -> None:
    """Play ``topics`` of the bag, to the end."""
    # a fifth of the recorded rate: MultiPose on a shared 2-core machine takes up to
    # 0.2 s a frame, and a frame superseded before inference is never answered
    player = spawn(["pose-ros", "bag", "play", str(bag), "--rate", "0.2",
                    "--wait-for-subscribers", "30", "--topics", *topics])
    spin_until(ros, lambda: player.poll() is not None, 60)  # collecting meanwhile
    out = stop(player)
    assert player.returncode == 0, out


@pytest.fixture(scope="module")
def run(ros, model_dir, scene):
    bag = scene[0]
    node = start_node(ros, model_dir, "d3", "-p", f"model:={MODEL}", "-p", "depth:=true",
                      "-p", "publish_tf:=true", "-r", "image:=/d3/image_raw",
                      "-r", "camera_info:=/d3/camera_info",
                      "-r", "depth/image:=/d3/depth/image_raw",
                      "-r", "depth/camera_info:=/d3/depth/camera_info",
                      "-r", "poses_3d:=/d3/poses_3d", "-r", "markers:=/d3/markers")
    got: dict[str, list] = {"poses": [], "people": [], "markers": [], "tf": []}
    subs = [ros.create_subscription(PersonArray, "/d3/poses", got["poses"].append, reliable()),
            ros.create_subscription(Person3DArray, "/d3/poses_3d", got["people"].append,
                                    reliable()),
            ros.create_subscription(MarkerArray, "/d3/markers", got["markers"].append,
                                    reliable()),
            ros.create_subscription(TFMessage, "/tf", got["tf"].append, reliable(100))]
    try:
        play(ros, bag, COLOUR_TOPICS)  # no depth yet
        spin_until(ros, lambda: len(got["poses"]) >= FRAMES, 10)
        unpaired = diagnostic_values(ros, "/d3")
        play(ros, bag, DEPTH_TOPICS)  # kept by the node: 5 images, it keeps 8
        play(ros, bag, COLOUR_TOPICS)
        spin_until(ros, lambda: len(got["people"]) >= FRAMES, 10)
        spin_until(ros, lambda: False, 1.5)  # a next diagnostics tick after the last frame
        paired = diagnostic_values(ros, "/d3")
        # deactivated (the lifecycle's shorthand): the depth input unsubscribes too
        answer = call(ros, ros.create_client(SetBool, "/d3/enable"), SetBool.Request(data=False))
        assert answer.success, answer
        spin_until(ros, lambda: ros.count_subscribers("/d3/depth/image_raw") == 0, 10)
        got["depth_subscribers_inactive"] = [ros.count_subscribers("/d3/depth/image_raw")]
    finally:
        for sub in subs:
            ros.destroy_subscription(sub)
        out = stop(node)
    assert "Traceback" not in out, out
    image_stamps = [DEFAULT_START_NS + i * 100_000_000 for i in range(FRAMES)]  # 10 Hz
    return got, unpaired, paired, image_stamps, out


def test_no_depth_subscription_while_inactive(run):
    assert run[0]["depth_subscribers_inactive"] == [0]


def test_frames_without_depth_are_counted_and_still_served(run):
    got, unpaired, _, image_stamps, out = run
    print(f"\nafter the colour-only play: {unpaired}")
    assert unpaired["depth_frames_unpaired_no_depth"] == str(FRAMES), (unpaired, out)
    assert unpaired["depth_frames_paired"] == "0"
    # the colour-only output went out for every frame, both plays
    assert [stamp_ns(p.header) for p in got["poses"]] == image_stamps * 2
    assert all(len(p.persons) == 1 for p in got["poses"])


def test_people_3d_carry_the_image_stamp_and_the_depth_frame(run, scene):
    got, _, paired, image_stamps, out = run
    _, truth, expected_valid = scene
    print(f"\nafter the depth and colour plays: {paired}")
    assert paired["depth_frames_paired"] == str(FRAMES), (paired, out)
    assert paired["depth_frames_unpaired"] == str(FRAMES), paired  # the first play's
    assert float(paired["depth_ms_median"]) > 0  # the 3D outputs' own stage
    people = got["people"]
    stamps = [stamp_ns(p.header) for p in people]
    assert stamps == image_stamps
    assert {p.header.frame_id for p in people} == {DEPTH_FRAME}
    assert [ns(p.depth_stamp) for p in people] == stamps
    for msg in people:
        (person,) = msg.persons
        assert msg.model == MODEL and person.track_id >= 0
        assert [k.name for k in person.keypoints] == list(KEYPOINT_NAMES)
        points = np.array([[p.x, p.y, p.z] for p in person.points])
        error = np.linalg.norm(points - truth, axis=1)
        np.testing.assert_array_equal(person.valid, expected_valid)
        assert error[expected_valid].max() < TOLERANCE_M, error
        assert person.centre_valid and 2.0 < person.centre.z < 3.0
    print(f"3D error of the valid keypoints, last frame (mm): "
          f"{np.round(error[expected_valid] * 1000, 1).tolist()}")


def test_markers_are_3d_in_the_depth_frame(run, scene):
    got = run[0]
    _, truth, expected_valid = scene
    arrays = got["markers"]
    if arrays and not arrays[-1].markers[0].header.frame_id:  # the node stopping clears RViz
        assert [m.action for m in arrays[-1].markers] == [Marker.DELETEALL]
        arrays = arrays[:-1]
    in_3d = [m for m in arrays if m.markers[0].header.frame_id == DEPTH_FRAME]
    assert len(in_3d) == len(arrays) == len(got["people"])  # none on a plane
    assert ([stamp_ns(m.markers[0].header) for m in in_3d]
            == [stamp_ns(p.header) for p in got["people"]])
    for array in in_3d:
        assert array.markers[0].action == Marker.DELETEALL
        (joints,) = [m for m in array.markers if m.ns == "keypoints"]
        assert {stamp_ns(m.header) for m in array.markers} == {stamp_ns(joints.header)}
        assert {m.header.frame_id for m in array.markers} == {DEPTH_FRAME}
        spheres = np.array([[p.x, p.y, p.z] for p in joints.points])
        np.testing.assert_allclose(spheres, truth[expected_valid], atol=TOLERANCE_M)
        assert 0.01 < joints.scale.x < 0.2  # metres, not pixels


def test_person_frames_on_tf(run):
    got = run[0]
    people = got["people"]
    transforms = [t for msg in got["tf"] for t in msg.transforms]
    assert [stamp_ns(t.header) for t in transforms] == [stamp_ns(p.header) for p in people]
    for t, msg in zip(transforms, people):
        (person,) = msg.persons
        assert t.header.frame_id == DEPTH_FRAME
        assert t.child_frame_id == f"person_{person.track_id}"
        assert (t.transform.translation.x, t.transform.translation.y,
                t.transform.translation.z) == (person.centre.x, person.centre.y,
                                               person.centre.z)
        assert t.transform.rotation.w == 1.0


def test_a_depth_image_published_after_its_frame_is_waited_for(ros, model_dir, shared_data):
    """As a driver publishes aligned depth: the colour frame, then its depth image
    30 ms later. Every frame from the third on pairs with its own depth image (the
    first has none yet, the second none to expect the next by); without the wait,
    inference done in 10 ms, next to none would. Counted by the node's diagnostics: a
    poses_3d subscriber made just before the frames missed the node's 3D messages now
    and then (late discovery matching, it seems)."""
    name, frames = "d3_wait", 6
    node = start_node(ros, model_dir, name, "-p", "depth:=true",
                      "-p", "depth_pairing_wait:=1.0", "-r", f"image:=/{name}/image",
                      "-r", f"depth/image:=/{name}/depth/image",
                      "-r", f"depth/camera_info:=/{name}/depth/camera_info")
    colour_pub = ros.create_publisher(Image, f"/{name}/image", reliable())
    depth_pub = ros.create_publisher(Image, f"/{name}/depth/image", reliable())
    info_pub = ros.create_publisher(CameraInfo, f"/{name}/depth/camera_info", reliable())
    # small: this process's shared-memory segment holds what its writers keep (32 MiB)
    bgr = cv2.resize(cv2.imread(str(shared_data / "video" / "pose.jpg")), (320, 214))
    h, w = bgr.shape[:2]
    colour = make_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), "rgb8")
    depth = make_image(np.full((h, w), 2000, np.uint16), "16UC1")  # mm
    info = CameraInfo(width=w, height=h, k=k_of(colour_camera(w, h)))
    try:
        assert spin_until(ros, lambda: colour_pub.get_subscription_count() > 0
                          and depth_pub.get_subscription_count() > 0, 10)
        spin_until(ros, lambda: False, 2.0)  # discovery settles (node/bag_play.py says why)
        for i in range(frames):
            for msg in (colour, depth, info):
                msg.header.stamp.sec, msg.header.frame_id = 1_700_000_000 + i, "cam"
            info_pub.publish(info)
            colour_pub.publish(colour)
            spin_until(ros, lambda: False, 0.03)  # the driver aligning
            depth_pub.publish(depth)
            spin_until(ros, lambda: False, 0.5)
        spin_until(ros, lambda: False, 1.5)  # a next diagnostics tick after the last frame
        values = diagnostic_values(ros, name)
    finally:
        for pub in (colour_pub, depth_pub, info_pub):
            ros.destroy_publisher(pub)
        out = stop(node)
    assert "Traceback" not in out, out
    print(f"\ndepth 30 ms after its frame: {values}")
    assert int(values["depth_frames_paired"]) >= frames - 2, (values, out)
    assert float(values["depth_ms_median"]) > 0, values


def test_the_rviz_config_shows_the_3d_people():
    """What pose.launch.py opens with rviz:=true depth:=true (rviz2 is not installed
    here: its content is checked, as installed)."""
    from pathlib import Path

    import yaml
    from ament_index_python.packages import get_package_share_directory

    path = Path(get_package_share_directory("pose_ros")) / "config" / "pose_3d.rviz"
    manager = yaml.safe_load(path.read_text())["Visualization Manager"]
    displays = {d["Class"]: d for d in manager["Displays"]}
    assert displays["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == "/markers"
    assert displays["rviz_default_plugins/TF"]["Show Names"] is True
    assert manager["Global Options"]["Fixed Frame"] == "camera_depth_optical_frame"
