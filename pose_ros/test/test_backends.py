"""Backends: ONNX Runtime here; TensorRT and the CUDA provider where they can run
(skipped elsewhere, with why)."""

from __future__ import annotations

import re
import threading
from importlib.util import find_spec
from pathlib import Path

import cv2
import numpy as np
import pytest

from backend_poses import assert_same_poses_as_onnxruntime
from named_threads import in_thread
from pose_ros.backends import BackendUnavailable, choose_backend, create_backend
from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend
from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.backends.tensorrt_backend import version_problem
from pose_ros.estimators import PoseNetConfig, PoseNetEstimator
from pose_ros.model_files import require_inside
from pose_ros.models.locate import ModelNotFoundError, model_files, onnx_model_path
from pose_ros.models.registry import model_spec


def nvidia_gpus() -> int:
    """GPUs the NVIDIA kernel driver lists (not what the code under test asks: libcuda)."""
    return len(list(Path("/proc/driver/nvidia/gpus").glob("*")))


def documented_auto_choice() -> tuple[str, str]:
    """The README's rule for backend auto, worked out here without the code under test:
    TensorRT when it and pycuda are installed and a CUDA GPU is present, else ONNX
    Runtime's CUDA provider when that is installed and a GPU is present, else a CPU
    backend (test_litert.py: which one); the second item is a pattern the reason
    must match."""
    import onnxruntime

    cuda_provider = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    if nvidia_gpus() and cuda_provider and (find_spec("tensorrt") is None
                                             or find_spec("pycuda") is None):
        return "cuda", "no TensorRT .*; ONNX Runtime's CUDA provider with \\d+ CUDA GPU"
    if find_spec("tensorrt") is None:
        return "onnxruntime", "TensorRT is not installed.*no CUDA"
    if find_spec("pycuda") is None:
        return "onnxruntime", "pycuda is not installed"
    if nvidia_gpus() == 0:
        return "onnxruntime", "GPU|CUDA"
    return "tensorrt", "TensorRT .* CUDA GPU"


EXPECTED_BACKEND, EXPECTED_WHY = documented_auto_choice()
NO_TENSORRT = "TensorRT cannot run here: it needs TensorRT, pycuda and an NVIDIA GPU"
NO_CUDA = "the CUDA provider cannot run here: it needs onnxruntime-gpu and an NVIDIA GPU"


def test_auto_says_what_it_chose_and_why():
    name, why = choose_backend("auto")
    assert name == EXPECTED_BACKEND
    assert re.search(EXPECTED_WHY, why), why
    with pytest.raises(ValueError, match="backend must be one of"):
        choose_backend("openvino")


def test_onnxruntime_backend_runs_named_tensors(model_dir):
    spec = model_spec("movenet_lightning")
    backend = OnnxRuntimeBackend(onnx_model_path(spec, model_dir), threads=1)
    assert [i.name for i in backend.inputs] == ["input"]
    assert backend.inputs[0].dtype == np.int32
    out = backend.run({"input": np.zeros((1, 192, 192, 3), np.int32)})
    assert list(out) == ["keypoints"] and out["keypoints"].shape == (1, 1, 17, 3)
    assert backend.providers == ("CPUExecutionProvider",)  # whatever the build offers


@pytest.mark.skipif(EXPECTED_BACKEND == "cuda", reason="the CUDA provider runs here")
def test_cuda_asked_for_where_it_cannot_run_is_refused_with_why():
    with pytest.raises(BackendUnavailable,
                       match=r"^backend cuda: (this ONNX Runtime has no CUDA provider "
                             r"\(onnxruntime-gpu|no CUDA GPU is present)"):
        choose_backend("cuda")


@pytest.mark.skipif(EXPECTED_BACKEND == "cuda", reason="the CUDA provider runs here")
def test_auto_goes_on_to_the_cpu_when_the_cuda_provider_fails_to_start(model_dir, monkeypatch):
    """onnxruntime-gpu lists its CUDA provider whether or not CUDA and cuDNN load. Made
    to look usable here, the real session asked for it falls back to the CPU, as it does
    there: auto goes on to its CPU choice and says why; cuda by name is refused."""
    from pose_ros.backends import onnxruntime_backend

    files = model_files(model_spec("movenet_lightning"), model_dir)
    cpu_choice, _ = choose_backend("auto", files)
    monkeypatch.setattr(onnxruntime_backend, "cuda_available",
                        lambda: (True, "ONNX Runtime's CUDA provider with 1 CUDA GPU(s)"))
    assert choose_backend("auto", files)[0] == "cuda"
    shapes = {"input": (1, 192, 192, 3)}
    backend = create_backend("auto", files, input_shapes=shapes, threads=1)
    try:
        assert backend.name == cpu_choice
        assert "could not start its CUDA provider" in backend.reason, backend.reason
    finally:
        backend.close()
    with pytest.raises(BackendUnavailable, match="could not start its CUDA provider"):
        create_backend("cuda", files, input_shapes=shapes, threads=1)


def test_a_tensorrt_older_than_10_is_refused_with_the_jetpack_that_has_10():
    """JetPack 6.0's TensorRT 8.6 would fail in its ONNX parser: auto passes it by,
    saying why, as it passes by a missing TensorRT (checked on the version alone:
    there is no TensorRT here)."""
    assert version_problem("8.6.2.3") == ("TensorRT 8.6.2.3 is older than 10, which this "
                                          "backend needs (JetPack 6.1 and later ship it)")
    assert version_problem("10.3.0.30") is None and version_problem("11.0.1") is None


@pytest.mark.skipif(EXPECTED_BACKEND != "cuda",
                    reason=NO_CUDA)
@pytest.mark.parametrize("name", ["movenet_lightning", "movenet_thunder",
                                  "movenet_multipose", "posenet_mobilenet"])
def test_cuda_backend_matches_the_cpu_on_a_real_image(name, model_dir, astronaut):
    # the GPU may compute convolutions in TF32
    assert_same_poses_as_onnxruntime(name, "cuda", astronaut, model_dir, score_tolerance=5e-3)


def test_missing_model_names_the_file_and_the_fix(tmp_path):
    # the command as it runs here: by name on PATH, else through ros2 run (the core leg)
    with pytest.raises(ModelNotFoundError, match=r"movenet_thunder\.onnx is missing; run "
                                                 r"`(ros2 run pose_ros )?pose-ros-models "
                                                 r"--model-dir .* convert"):
        onnx_model_path(model_spec("movenet_thunder"), tmp_path)


def test_modified_model_is_refused(model_dir, tmp_path):
    spec = model_spec("movenet_lightning")
    for name in ("converted.json", spec.onnx_filename()):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    with (tmp_path / spec.onnx_filename()).open("r+b") as f:
        f.truncate(1000)
    with pytest.raises(ModelNotFoundError, match="does not match its recorded SHA-256"):
        onnx_model_path(spec, tmp_path)



def test_an_engine_linked_from_outside_its_directory_is_refused(tmp_path):
    """The check the TensorRT backend makes before it loads a cached engine (code)."""
    engines, elsewhere = tmp_path / "engines", tmp_path / "elsewhere"
    engines.mkdir()
    elsewhere.mkdir()
    (elsewhere / "m.engine").write_bytes(b"not ours")
    (engines / "m.engine").symlink_to(elsewhere / "m.engine")
    (engines / "own.engine").write_bytes(b"ours")
    assert require_inside(engines / "own.engine", engines) == engines / "own.engine"
    with pytest.raises(ModelNotFoundError, match="outside the model directory"):
        require_inside(engines / "m.engine", engines)


@pytest.mark.skipif(EXPECTED_BACKEND != "tensorrt",
                    reason=NO_TENSORRT)
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_tensorrt_engine_matches_onnxruntime(model_dir, tmp_path, precision):
    spec = model_spec("movenet_lightning")
    files = model_files(spec, model_dir)
    x = np.random.default_rng(0).integers(0, 256, (1, 192, 192, 3)).astype(np.int32)
    expected = OnnxRuntimeBackend(files.onnx).run({"input": x})["keypoints"]
    trt = create_backend("tensorrt", files, input_shapes={"input": x.shape},
                         engine_dir=tmp_path, precision=precision)
    got = trt.run({"input": x})["keypoints"]
    trt.close()
    tolerance = 1e-3 if precision == "fp32" else 2e-2
    assert np.abs(got - expected)[..., :2].max() < tolerance
    # a second backend loads the cached engine instead of building it again
    engines = list(tmp_path.glob("*.engine"))
    assert len(engines) == 1
    again = create_backend("tensorrt", files, input_shapes={"input": x.shape},
                           engine_dir=tmp_path, precision=precision)
    assert again.engine_path == engines[0]
    again.close()


class CountingFactory:
    """The real backend factory (ONNX Runtime), counting the backends it makes and
    the thread that made each."""

    def __init__(self, profiled: bool = False) -> None:
        self.made: list[tuple[str, OnnxRuntimeBackend]] = []
        self.profiled = profiled

    def __call__(self, files, profile, cancel):
        backend = (ProfiledOnnxRuntime(files.onnx, profile) if self.profiled
                   else create_backend("onnxruntime", files, input_shapes=profile.opt(),
                                       threads=1))
        self.made.append((threading.current_thread().name, backend))
        return backend


class ProfiledOnnxRuntime(OnnxRuntimeBackend):
    """ONNX Runtime serving only the shapes of the profile it was made for, as a TensorRT
    engine does: the estimator's backend choice with TensorRT's rule, here."""

    def __init__(self, onnx_path, profile) -> None:
        super().__init__(onnx_path, threads=1)
        self.profile = profile  # Backend.serves then serves its shapes only


@pytest.mark.parametrize("profiled", [False, True], ids=["any_shape", "fixed_profile"])
def test_warm_up_and_inference_in_two_threads_share_one_backend(model_dir, astronaut, profiled):
    """The warm-up's backend serves the frames of its size from another thread; before,
    the cache key was made before the backend's kind was known, and a TensorRT engine
    built by the warm-up was never found again (a second build, on the first frame)."""
    factory = CountingFactory(profiled)
    spec = model_spec("posenet_mobilenet")
    estimator = PoseNetEstimator(spec, model_dir, factory, PoseNetConfig(output_stride=16))
    frame = np.ascontiguousarray(astronaut[:480, :, :])  # 480 x 512: the warm-up's size
    in_thread("warm_up", lambda: estimator.warm_up(width=512, height=480))
    in_thread("inference", lambda: [estimator.estimate(frame, t) for t in (0.0, 0.1)])
    assert [thread for thread, _ in factory.made] == ["warm_up"]
    # another stride is another model file: one backend more, kept like the first
    estimator.configure(output_stride=8)
    in_thread("inference", lambda: [estimator.estimate(frame, t) for t in (0.2, 0.3)])
    assert len(factory.made) == 2
    # a scale change within range: the profile covers it, no new backend
    estimator.configure(output_stride=16, image_scale_factor=0.3)
    in_thread("inference", lambda: estimator.estimate(frame, 0.4))
    assert len(factory.made) == 2
    # a camera size the first profile does not cover: a new one where engines are per
    # profile, covering both sizes
    bigger = cv2.resize(astronaut, (1024, 1024))
    estimator.configure(image_scale_factor=1.0)
    in_thread("inference", lambda: estimator.estimate(bigger, 0.5))
    in_thread("inference", lambda: estimator.estimate(frame, 0.6))
    assert len(factory.made) == (3 if profiled else 2)
    estimator.close()


def test_the_estimator_says_which_backend_auto_chose_and_why(model_dir):
    """What the node logs at configure: the choice and its reason reach the estimator
    (the rule itself: test_auto_says_what_it_chose_and_why, test_litert.py)."""
    from pose_ros.api import create_estimator

    estimator = create_estimator("movenet_lightning", backend="auto", model_dir=model_dir)
    estimator.warm_up()
    chosen = choose_backend("auto", model_files(model_spec("movenet_lightning"), model_dir))
    assert (estimator.backend_name, estimator.backend_reason) == chosen
    assert re.search(EXPECTED_WHY, estimator.backend_reason), estimator.backend_reason
    estimator.close()


def test_a_shape_profile_covers_its_range_only():
    profile = ShapeProfile({"x": ((1, 8, 8, 3), (1, 16, 16, 3), (1, 32, 32, 3))})
    assert profile.covers({"x": (1, 8, 32, 3)})
    assert not profile.covers({"x": (1, 33, 16, 3)})
    assert not profile.covers({"x": (1, 16, 16)})  # another rank
    assert not profile.covers({"y": (1, 16, 16, 3)})  # another input


@pytest.mark.skipif(EXPECTED_BACKEND != "tensorrt",
                    reason=NO_TENSORRT)
def test_tensorrt_warm_up_and_inference_in_two_threads_build_one_engine(model_dir, tmp_path,
                                                                       astronaut):
    """pycuda's context is current per thread: the backend pushes it around each call,
    so the warm-up's engine runs the inference thread's frames, built once."""
    from pose_ros.estimators import MoveNetConfig, MoveNetSinglePoseEstimator
    from pose_ros.estimators.base import backend_factory

    make, made = backend_factory("tensorrt", engine_dir=tmp_path), []

    def counting(files, profile, cancel):
        made.append(threading.current_thread().name)
        return make(files, profile, cancel)
    estimator = MoveNetSinglePoseEstimator(model_spec("movenet_lightning"), model_dir,
                                           counting, MoveNetConfig())
    in_thread("warm_up", estimator.warm_up)
    poses: list = []
    in_thread("inference", lambda: poses.extend(estimator.estimate(astronaut, 0.0)))
    estimator.close()
    assert made == ["warm_up"] and len(list(tmp_path.glob("*.engine"))) == 1
    assert len(poses) == 1
