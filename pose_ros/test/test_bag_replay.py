"""Replay regression: the squats video as a bag, played through the real node,
its poses recorded to a bag and checked frame by frame.

Every process is started with the command line a user (or the launch files) runs:
pose-ros bag make / play / record, and pose_node with the shipped params file.
"""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from conftest import REPO_ROOT
from pose_ros.api import create_estimator
from pose_ros.bag.frames import open_frames
from pose_ros.bag.make import DEFAULT_START_NS
from pose_ros.bag.typestore import typestore
from pose_ros_msgs.msg import PersonArray
from ros_helpers import diagnostic_values, spawn, spin_until, stop

PARAMS_FILE = REPO_ROOT / "pose_ros" / "config" / "pose_ros.yaml"
IMAGE = "/replay/image_raw"
CONFIDENT = 0.3
JUMP_FRAME = 30  # of the squats video, played again after the replay ...
JUMP_START_S = DEFAULT_START_NS / 1e9 - 60.0  # ... stamped a minute before the replay began


def stamps_ns(msg) -> int:
    return msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec


def read(bag, topic):
    store = typestore()
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        return [store.deserialize_cdr(data, c.msgtype) for c, _, data in reader.messages(conns)]


@pytest.fixture(scope="module")
def replay(shared_data, model_dir, ros, tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    source, recorded = folder / "squats", folder / "poses"
    video = shared_data / "video" / "pose_squats.mp4"
    made = subprocess.run(["pose-ros", "bag", "make", str(video), str(source), "--topic", IMAGE],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    # what launch/pose.launch.py runs, with the bag's topics and the test's model folder;
    # reliable: a regression run must see every frame, which best effort (the robot's
    # default, REP 2003) does not promise: here it lost one in transport in ~25 runs
    node = spawn(["pose_node", "--ros-args", "--params-file", str(PARAMS_FILE),
                  "-p", "model:=movenet_lightning", "-p", "backend:=onnxruntime",
                  "-p", "qos_reliability:=reliable",
                  "-p", f"model_dir:={model_dir}", "-r", f"image:={IMAGE}",
                  "-r", f"image/compressed:={IMAGE}/compressed",
                  "-r", "camera_info:=/replay/camera_info", "-r", "poses:=/replay/poses"])
    recorder = spawn(["pose-ros", "bag", "record", str(recorded), "/replay/poses"])
    try:
        assert spin_until(ros, lambda: ros.count_subscribers("/replay/poses") > 0, 30), \
            stop(recorder)
        # half speed: a first frame refined by a second pass, on a loaded machine, took
        # longer than the 33 ms to the next, and the reader's one-deep history lost it
        play = subprocess.run(["pose-ros", "bag", "play", str(source), "--rate", "0.5",
                               "--wait-for-subscribers", "30"],
                              capture_output=True, text=True, timeout=120)
        assert play.returncode == 0, play.stderr
        spin_until(ros, lambda: False, 1.5)  # the last frame's inference and recording
        counters = {k: v for k, v in diagnostic_values(ros, "/pose_estimator").items()
                    if k.startswith("frames_")}
        recorder_out = stop(recorder)
        jump = play_a_jump_back(ros, video, folder)
    finally:
        if recorder.returncode is None:  # stopped before the jump, unless that failed
            recorder_out = stop(recorder)
        node_out = stop(node)
    assert "Traceback" not in node_out + recorder_out, node_out + recorder_out
    inspected = subprocess.run(["pose-ros", "bag", "inspect", str(recorded)],
                               capture_output=True, text=True)
    assert inspected.returncode == 0, inspected.stderr
    print("\n" + inspected.stdout)
    return (read(source, IMAGE), read(recorded, "/replay/poses"), play.stderr,
            inspected.stdout, f"{node_out}\n/diagnostics: {counters}", jump)


def play_a_jump_back(ros, video, folder):
    """One frame of the video, stamped before the replay began, played to the node
    that has just followed the person through the replay. Returns the frame (RGB),
    its stamp (s), the node's poses message and its /diagnostics."""
    frame = next(f for f in open_frames(video) if f.index == JUMP_FRAME)
    images = folder / "jump_frame"
    images.mkdir()
    cv2.imwrite(str(images / "frame.png"), frame.bgr)  # lossless: the node sees these pixels
    bag = folder / "jump"
    made = subprocess.run(["pose-ros", "bag", "make", str(images), str(bag), "--topic", IMAGE,
                           "--start", str(JUMP_START_S)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    answers: list = []
    sub = ros.create_subscription(PersonArray, "/replay/poses", answers.append, 10)
    try:
        play = subprocess.Popen(["pose-ros", "bag", "play", str(bag),
                                 "--wait-for-subscribers", "30"])
        spin_until(ros, lambda: bool(answers), 60)
        assert play.wait(timeout=60) == 0
    finally:
        ros.destroy_subscription(sub)
    assert answers, "the node did not answer the frame stamped back in time"
    rgb = cv2.cvtColor(frame.bgr, cv2.COLOR_BGR2RGB)
    return rgb, JUMP_START_S, answers[0], diagnostic_values(ros, "/pose_estimator")


def test_every_frame_answered_with_its_own_stamp(replay):
    images, poses, play_log, _, node_report, _ = replay
    print(f"\nreplay: {len(images)} frames played, {len(poses)} poses messages recorded")
    assert "playing squats" in play_log  # the progress bar
    answered = {stamps_ns(p) for p in poses}
    missing = [i for i, image in enumerate(images) if stamps_ns(image) not in answered]
    assert not missing, f"frames {missing} not answered; the node:\n{node_report}"
    assert [stamps_ns(p) for p in poses] == [stamps_ns(i) for i in images]
    assert {p.header.frame_id for p in poses} == {images[0].header.frame_id}
    assert all((p.image_width, p.image_height) == (i.width, i.height)
               for p, i in zip(poses, images))


def test_one_person_per_frame(replay):
    _, poses, _, inspected, _, _ = replay
    assert f"{len(poses)} frames, persons per frame 1.00 (min 1, max 1)" in inspected
    counts = [len(p.persons) for p in poses]
    print(f"persons per frame: {np.bincount(counts).tolist()} (index = persons)")
    assert set(counts) == {1}


def test_keypoints_move_smoothly(replay):
    _, poses, _, _, _, _ = replay
    xy = np.array([[[k.x, k.y] for k in p.persons[0].keypoints] for p in poses])  # (T, 17, 2)
    scores = np.array([[k.score for k in p.persons[0].keypoints] for p in poses])
    confident = (scores[:-2] > CONFIDENT) & (scores[1:-1] > CONFIDENT) & (scores[2:] > CONFIDENT)
    height = np.median([p.persons[0].bbox.y_max - p.persons[0].bbox.y_min for p in poses])
    # jitter: how far a keypoint leaves the straight line through its neighbours in time
    jitter = np.linalg.norm(xy[2:] - 2 * xy[1:-1] + xy[:-2], axis=2)[confident] / height
    step = np.linalg.norm(np.diff(xy, axis=0), axis=2)[(scores[1:] > CONFIDENT)
                                                       & (scores[:-1] > CONFIDENT)] / height
    print(f"person height {height:.0f} px; jitter / height: median {np.median(jitter):.4f}, "
          f"p95 {np.percentile(jitter, 95):.4f}; largest frame-to-frame step / height "
          f"{step.max():.3f}; {confident.mean():.0%} of keypoints confident")
    assert confident.mean() > 0.5
    assert np.median(jitter) < 0.03 and np.percentile(jitter, 95) < 0.10
    assert step.max() < 0.25  # no keypoint jumps across the body between frames


def test_a_stamp_going_back_resets_the_crop(replay, model_dir):
    """After the replay the node follows the person with a tracked crop and a smoother;
    a frame stamped back in time must be served as a fresh node would serve it."""
    rgb, stamp, answer, diagnostics = replay[-1]
    assert stamps_ns(answer) == round(stamp * 1e9)
    assert diagnostics["temporal_resets"] == "1", diagnostics
    fresh = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir)
    (expected,) = fresh.estimate(rgb, timestamp=stamp)
    (person,) = answer.persons
    got = np.array([[k.x, k.y] for k in person.keypoints])
    print(f"\nafter the jump: max |node - fresh estimator| "
          f"{np.abs(got - expected.xy).max():.4f} px")
    np.testing.assert_allclose(got, expected.xy, atol=0.01)
    np.testing.assert_allclose([k.score for k in person.keypoints], expected.scores, atol=1e-4)
