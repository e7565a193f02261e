"""The LiteRT backend on the TFLite files the conversion made and verified, against
ONNX Runtime on the same inputs; and what backend auto runs on a CPU."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import coco
from backend_poses import assert_same_poses_as_onnxruntime
from pose_ros.api import create_estimator
from pose_ros.backends import BackendUnavailable, choose_backend, create_backend
from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend
from pose_ros.models.converted import converted_entry
from pose_ros.models.locate import model_files
from pose_ros.models.registry import model_names, model_spec
from pose_ros.movenet_constants import MULTIPOSE_BOX_SCORE_IDX

pytest.importorskip("ai_edge_litert", reason="LiteRT is not installed here "
                    "(pip install ai-edge-litert; it needs numpy >= 1.23)")

TOLERANCE = 1e-3  # what the conversion verifies against TensorFlow
#: LiteRT against ONNX Runtime on real images, relative to the output's largest value
#: where that is over 1 (MoveNet's are 0..1 of the input; PoseNet's pixels and logits
#: reach 120, and float32 sums of that size differ in the 4th decimal)
REAL_IMAGE_TOLERANCE = 1e-4
LITERT_MODELS = [m for m in model_names() if model_spec(m).litert]


def random_input(spec, shape):
    rng = np.random.default_rng(7)
    if spec.input.dtype == "int32":
        return rng.integers(0, 256, shape).astype(np.int32)
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def both(name, model_dir, shape, stride=None):
    spec = model_spec(name)
    files = model_files(spec, model_dir, stride)
    x = random_input(spec, shape)
    litert = create_backend("litert", files, input_shapes={spec.input.name: shape}, threads=1)
    expected = OnnxRuntimeBackend(files.onnx, threads=1).run({spec.input.name: x})
    return litert, x, expected


def real_frames(shared_data) -> list[np.ndarray]:
    """COCO photos at their own sizes, and one each as a 1080p and a portrait 480x640
    frame: MultiPose's and PoseNet's input shapes follow the frame's."""
    images = [i.rgb() for i in coco.load(shared_data / "coco-mini-train")[:6]]
    return [*images, cv2.resize(images[0], (1920, 1080)), cv2.resize(images[1], (480, 640))]


def compared(name: str, diff: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``diff`` without what is arbitrary in both runtimes: the keypoints and box of a
    MultiPose detection the graph scored 0, no person, which are argmaxes over a flat
    map and tie-break either way (one COCO photo here: 6e-3). Its score still counts."""
    if name != "movenet_multipose":
        return diff
    diff = diff.copy()
    diff[expected[..., MULTIPOSE_BOX_SCORE_IDX] == 0, :MULTIPOSE_BOX_SCORE_IDX] = 0
    return diff


@pytest.mark.parametrize("name", LITERT_MODELS)
def test_litert_gives_onnxruntime_outputs_on_real_images(name, model_dir, shared_data):
    """Each model's inputs as its estimator makes them from real frames; one LiteRT
    interpreter serves them all, resized where the input shape changes."""
    spec = model_spec(name)
    estimator = create_estimator(name, backend="onnxruntime", model_dir=model_dir)
    files = model_files(spec, model_dir)
    litert = create_backend("litert", files, input_shapes={spec.input.name: spec.verify_shape},
                            threads=1)
    onnx = OnnxRuntimeBackend(files.onnx, threads=1)
    shapes = set()
    for frame in real_frames(shared_data):
        x = estimator.preprocess(frame).input
        shapes.add(x.shape)
        got, expected = litert.run({spec.input.name: x}), onnx.run({spec.input.name: x})
        assert set(got) == set(expected)  # named as the ONNX model's outputs
        for key, value in expected.items():
            assert got[key].shape == value.shape
            scale = max(1.0, float(np.abs(value).max()))
            diff = float(compared(name, np.abs(got[key] - value), value).max())
            assert diff < REAL_IMAGE_TOLERANCE * scale, f"{key} at {x.shape}: {diff:.2e}"
    estimator.close()
    if spec.input.shape[1] == "height":  # a free input size: several were served
        assert len(shapes) >= 3, shapes


def test_a_new_input_shape_is_served_after_one_resize(model_dir):
    """PoseNet's input follows the image size and scale: one interpreter serves them."""
    spec = model_spec("posenet_mobilenet")
    litert, _, _ = both("posenet_mobilenet", model_dir, (1, 257, 257, 3))
    onnx = OnnxRuntimeBackend(model_files(spec, model_dir).onnx, threads=1)
    for shape in [(1, 241, 321, 3), (1, 257, 257, 3), (1, 241, 321, 3)]:
        x = random_input(spec, shape)
        got, expected = litert.run({"image": x}), onnx.run({"image": x})
        assert got["heatmap"].shape == expected["heatmap"].shape
        assert max(np.abs(got[k] - expected[k]).max() for k in expected) < TOLERANCE


def test_the_conversion_recorded_every_tflite_file(model_dir):
    for name in model_names():
        spec = model_spec(name)
        entry = converted_entry(model_dir, name)
        assert entry is not None
        tflite = spec.tflite_filename()
        assert (tflite in entry["files"]) == spec.litert, name
        if spec.litert:
            assert sorted(entry["tflite_outputs"].values()) == sorted(o.name for o in spec.outputs)
            assert all(entry["max_abs_diff"][f"tflite:{o.name}"] < TOLERANCE
                       for o in spec.outputs)


@pytest.mark.parametrize("name", model_names())
def test_auto_runs_the_cpu_backend_measured_for_the_model(name, model_dir):
    spec = model_spec(name)
    backend, why = choose_backend("auto", model_files(spec, model_dir))
    if backend in ("tensorrt", "cuda"):
        pytest.skip(f"{backend} runs here: the CPU choice does not apply")
    assert backend == spec.cpu_backend, why
    assert why.startswith("no TensorRT (")


def test_a_stride_switched_back_to_names_its_own_backend(model_dir, astronaut):
    """auto serves PoseNet's stride 16 on LiteRT and stride 8 on ONNX Runtime; going back
    to a stride reuses its backend, and the name (/diagnostics' backend) follows it."""
    est = create_estimator("posenet_mobilenet", backend="auto", model_dir=model_dir)
    est.estimate(astronaut)
    if est.backend_name in ("tensorrt", "cuda"):
        pytest.skip(f"{est.backend_name} runs here: the CPU choice does not apply")
    names = []
    for stride in (8, 16, 8):
        est.configure(output_stride=stride)
        est.estimate(astronaut)
        names.append(est.backend_name)
    assert names == ["onnxruntime", "litert", "onnxruntime"]


def test_without_a_tflite_file_auto_says_why_it_runs_onnxruntime(model_dir):
    """PoseNet's strides 8 and 32 are ONNX rewrites; LiteRT has the stride-16 graph."""
    spec = model_spec("posenet_mobilenet")
    files = model_files(spec, model_dir, 8)
    assert files.tflite is None
    forced = type(files)(files.onnx, None, {}, cpu_backend="litert")
    backend, why = choose_backend("auto", forced)
    if backend not in ("tensorrt", "cuda"):
        assert backend == "onnxruntime" and "no posenet_mobilenet.stride8.tflite in" in why
    with pytest.raises(BackendUnavailable, match=r"backend litert: LiteRT has no "
                                           r"posenet_mobilenet\.stride8\.tflite in .*"
                                           r"posenet_mobilenet at stride 16; "
                                           r"`(ros2 run pose_ros )?pose-ros-models "
                                           r"--model-dir .* convert`"):
        create_backend("litert", files, input_shapes={"image": (1, 257, 257, 3)})


@pytest.mark.parametrize("name", ["movenet_lightning", "movenet_multipose", "posenet_mobilenet"])
def test_an_estimator_on_litert_finds_the_same_pose(name, model_dir, astronaut):
    assert_same_poses_as_onnxruntime(name, "litert", astronaut, model_dir)


def test_a_missing_or_damaged_tflite_file_falls_back_and_litert_says_why(model_dir, tmp_path):
    spec = model_spec("movenet_lightning")
    for name in ("converted.json", spec.onnx_filename()):  # a copy without the .tflite
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    files = model_files(spec, tmp_path)
    assert files.tflite is None
    backend, why = choose_backend("auto", files)
    if backend not in ("tensorrt", "cuda"):
        assert backend == "onnxruntime"
        assert f"pose-ros-models --model-dir {tmp_path} convert` makes them" in why
    data = (model_dir / spec.tflite_filename()).read_bytes()
    (tmp_path / spec.tflite_filename()).write_bytes(data[: len(data) // 2])
    files = model_files(spec, tmp_path)  # the ONNX file still serves every other backend
    assert files.tflite is None
    backend, why = choose_backend("auto", files)
    if backend not in ("tensorrt", "cuda"):
        assert backend == "onnxruntime" and "movenet_lightning.tflite does not match" in why
    with pytest.raises(BackendUnavailable, match=r"movenet_lightning\.tflite does not match "
                                                 r"its recorded SHA-256"):
        create_backend("litert", files, input_shapes={"input": (1, 192, 192, 3)})
