"""Backends: ONNX Runtime here; TensorRT where it can run (skipped elsewhere, with why)."""

from __future__ import annotations

import ctypes
import re
from importlib.util import find_spec

import numpy as np
import pytest

from pose_ros.backends import choose_backend, create_backend
from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend
from pose_ros.model_files import require_inside
from pose_ros.models.locate import ModelNotFoundError, model_files, onnx_model_path
from pose_ros.models.registry import model_spec


def cuda_gpu_count() -> int:
    """CUDA devices, asked of the driver library directly (not through pycuda)."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int()
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def documented_auto_choice() -> tuple[str, str]:
    """The README's rule for backend auto, worked out here without the code under test:
    TensorRT when it and pycuda are installed and a CUDA GPU is present, else a CPU
    backend (test_litert.py: which one); the second item is a pattern the reason
    must match."""
    if find_spec("tensorrt") is None:
        return "onnxruntime", "TensorRT is not installed"
    if find_spec("pycuda") is None:
        return "onnxruntime", "pycuda is not installed"
    if cuda_gpu_count() == 0:
        return "onnxruntime", "GPU|CUDA"
    return "tensorrt", "TensorRT .* CUDA GPU"


EXPECTED_BACKEND, EXPECTED_WHY = documented_auto_choice()


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
    assert "CPUExecutionProvider" in backend.providers


def test_missing_model_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"movenet_thunder\.onnx is missing; run "
                                                 r"'pose-ros-models --model-dir .* convert"):
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
                    reason=f"TensorRT cannot run here: {EXPECTED_WHY}")
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
