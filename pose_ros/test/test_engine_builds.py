"""A backend that takes minutes to make (a TensorRT engine) is made off the inference
thread once frames are being served, and a build is abandoned when asked to stop.

The backend is the real ONNX Runtime one, made slow to construct (as an engine build
is) and serving only its profile's shapes (as an engine does): the estimator's rule
and threads are TensorRT's; only the minutes are seconds here."""

from __future__ import annotations

import shutil
import time

import cv2
import pytest

from named_threads import in_thread
from pose_ros.backends.build_progress import BuildCancelled
from pose_ros.estimators import PoseNetConfig, PoseNetEstimator
from pose_ros.estimators.base import EngineBuildFailed, EngineBuilding
from pose_ros.models.registry import model_spec
from slow_backends import BUILD_S, SlowFactory

# a frame that waited for the build would wait it out (BUILD_S); a frame held up by a
# loaded machine, or by the GIL hand-over, waits far less (no timed threshold tighter
# than that: a shared 2-core machine stalls a thread for a few hundred ms now and then)
BLOCK_LIMIT_S = BUILD_S / 2


@pytest.fixture
def slow_posenet(model_dir):
    factory = SlowFactory()
    estimator = PoseNetEstimator(model_spec("posenet_mobilenet"), model_dir, factory,
                                 PoseNetConfig(output_stride=16, decoding="single"))
    yield estimator, factory
    estimator.close()


def test_a_new_engine_builds_off_the_inference_thread_while_the_old_one_serves(
        slow_posenet, astronaut):
    estimator, factory = slow_posenet
    small, large = cv2.resize(astronaut, (320, 240)), cv2.resize(astronaut, (960, 720))
    # (frame, outcome, seconds not inferring, start, end)
    log: list[tuple[str, str, float, float, float]] = []

    def serve() -> None:
        estimator.warm_up(320, 240)  # configure: the first engine is waited for
        deadline = time.monotonic() + 10 * BUILD_S
        while time.monotonic() < deadline:
            for name, image in (("small", small), ("large", large)):
                inferring, start = factory.inference_s(), time.perf_counter()
                try:
                    outcome = "poses" if estimator.estimate(image) else "none"
                except EngineBuilding:
                    outcome = "building"
                end = time.perf_counter()
                log.append((name, outcome, end - start - (factory.inference_s() - inferring),
                            start, end))
            if [o for n, o, *_ in log if n == "large"][-3:] == ["poses"] * 3:
                return
    in_thread("pose_inference", serve)

    # one build at configure, on the inference thread; one more, off it; never a third
    assert factory.threads == ["pose_inference", "pose_backend_build_0"], factory.threads
    large_outcomes = [o for n, o, *_ in log if n == "large"]
    building = large_outcomes.count("building")
    assert building >= 2 and large_outcomes[:building] == ["building"] * building, log
    assert large_outcomes[building:] == ["poses"] * (len(large_outcomes) - building), log
    # the old engine kept serving its frames all along, poses every time
    assert all(o == "poses" for n, o, *_ in log if n == "small"), log
    first, second = factory.made
    # until the new one, whose profile holds the old one's, took over and it was closed
    assert second.profile.contains(first.profile) and first.closed and not second.closed
    small_shape = first.ran[0][0]
    assert any(shape == small_shape for shape, _ in second.ran)
    assert estimator._backends == {16: [second]}
    assert sum(1 for n, *_ in log[: 2 * building] if n == "small") >= 2
    # the build never held the inference thread up; except for the moment the stand-in
    # makes its ONNX Runtime session, which holds the GIL (a TensorRT build does not)
    session_start, session_end = second.session_made
    assert session_end - session_start < BUILD_S / 2  # most of the build is measured
    measured = [b for _, _, b, start, end in log if end < session_start or start > session_end]
    worst = max(measured)
    assert worst < BLOCK_LIMIT_S, f"inference thread blocked {worst:.3f} s: {log}"
    # after the build, the new shape is served by the new backend (and only by it)
    large_shape = second.ran[-1][0]
    assert large_shape[1] > 400 and not first.profile.covers({"image": large_shape})
    assert all(shape != large_shape for shape, _ in first.ran)


def test_closing_mid_build_abandons_the_build(slow_posenet, astronaut):
    estimator, factory = slow_posenet
    in_thread("pose_inference", lambda: estimator.warm_up(320, 240))
    with pytest.raises(EngineBuilding, match="being made off the inference thread"):
        estimator.estimate(cv2.resize(astronaut, (960, 720)))
    start = time.monotonic()
    estimator.close()
    assert time.monotonic() - start < BUILD_S / 2  # not waited out
    assert len(factory.made) == 1 and isinstance(factory.failed[0], BuildCancelled)


def test_a_second_new_shape_waits_for_the_build_under_way(slow_posenet, astronaut):
    """One build at a time: a frame needing yet another profile is dropped meanwhile,
    and gets its own build once the first is adopted."""
    estimator, factory = slow_posenet
    in_thread("pose_inference", lambda: estimator.warm_up(320, 240))
    for size in ((960, 720), (1280, 960), (960, 720), (1280, 960)):
        with pytest.raises(EngineBuilding):
            estimator.estimate(cv2.resize(astronaut, size))
    assert len(factory.threads) == 2


def test_a_failed_build_is_not_tried_again_on_every_frame(model_dir, tmp_path, astronaut):
    """Minutes of failed engine build must not start again with each frame of that size:
    the build fails for real (ONNX Runtime cannot read a model damaged while it waited),
    the size is refused with the reason, the old backend keeps serving its own."""
    spec = model_spec("posenet_mobilenet")
    onnx = spec.onnx_filename(16)
    for name in ("converted.json", onnx):
        shutil.copyfile(model_dir / name, tmp_path / name)
    factory = SlowFactory()
    estimator = PoseNetEstimator(spec, tmp_path, factory,
                                 PoseNetConfig(output_stride=16, decoding="single"))
    small, large = cv2.resize(astronaut, (320, 240)), cv2.resize(astronaut, (960, 720))
    try:
        in_thread("pose_inference", lambda: estimator.warm_up(320, 240))
        with pytest.raises(EngineBuilding):
            estimator.estimate(large)  # checked, then built off the thread: damaged meanwhile
        (tmp_path / onnx).write_bytes(b"not a model")
        deadline = time.monotonic() + 10 * BUILD_S
        while not factory.failed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert factory.failed, "the build did not fail"
        for _ in range(3):
            with pytest.raises(EngineBuildFailed, match=r"failed \(.*\); not tried again"):
                estimator.estimate(large)
            assert estimator.estimate(small)  # the first backend serves its size
        assert len(factory.threads) == 2  # the warm-up's build and the failed one: no more
    finally:
        estimator.close()
