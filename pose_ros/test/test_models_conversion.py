"""Converted ONNX models reproduce the TF.js graphs; PoseNet strides 8/16/32 work."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from pose_ros.api import create_estimator
from pose_ros.models import posenet_stride
from pose_ros.models.convert import convert, default_conversion_venv
from pose_ros.models.converted import converted_entry, is_converted, reference_path
from pose_ros.models.locate import onnx_model_path
from pose_ros.models.onnx_graph import match_outputs
from pose_ros.models.registry import model_names, model_spec, source_dir

TOLERANCE = 1e-3


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {session.get_inputs()[0].name: x})))


def _reference(model_dir, name):
    ref = dict(np.load(reference_path(model_dir, name)))
    outputs = {k.split(":", 1)[1]: v for k, v in ref.items() if k.startswith("output:")}
    return ref["input"], outputs


@pytest.mark.parametrize("name", model_names())
def test_onnx_matches_the_tfjs_graph(model_dir, name):
    """TensorFlow ran the TF.js graph itself at conversion; ONNX Runtime must agree."""
    spec = model_spec(name)
    x, expected = _reference(model_dir, name)
    got = _run(onnx_model_path(spec, model_dir), x)
    mapping = match_outputs(list(expected), spec)  # TF.js output name -> registry name
    assert sorted(mapping.values()) == sorted(got)
    for tf_name, out_name in mapping.items():
        diff = np.abs(got[out_name] - expected[tf_name])
        # MoveNet keypoints are in 0..1 of the input: this is 1e-3 of the input size.
        assert diff.max() < TOLERANCE, f"{name}:{out_name} differs by {diff.max():.2e}"
    diffs = converted_entry(model_dir, name)["max_abs_diff"]
    print(f"{name}: max |ONNX - TF.js| = " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))


@pytest.mark.parametrize("name,output", [("movenet_lightning", "keypoints"),
                                         ("movenet_multipose", "detections")])
def test_conversion_verifies_with_tensorflow_onednn_off(model_dir, tmp_path, monkeypatch,
                                                        name, output):
    """Without oneDNN (TensorFlow's default on CPUs lacking AVX512_VNNI, BF16 and AMX)
    TensorFlow has no kernel for TF.js's fused depthwise convolution, and the reference
    run died. A real conversion (ONNX and TFLite; MultiPose's TFLite also through the
    ExpandDims rewrite), TensorFlow check included, in a fresh model directory; the
    conversion environment is the one 'make models' made."""
    spec = model_spec(name)
    fresh = tmp_path / "models"
    source_dir(fresh).mkdir(parents=True)
    for name in spec.files:
        shutil.copy(source_dir(model_dir) / name, source_dir(fresh) / name)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # inherited by the conversion process
    assert convert([spec.name], fresh, venv=default_conversion_venv(model_dir)) == [spec.name]
    assert is_converted(spec, fresh)
    diffs = converted_entry(fresh, spec.name)["max_abs_diff"]
    # the ONNX and the TFLite file, each checked against TensorFlow
    assert sorted(diffs) == [output, f"tflite:{output}"], "a check did not run"
    assert max(diffs.values()) < TOLERANCE


def test_stride16_rewrite_is_the_original_graph(model_dir):
    spec = model_spec("posenet_mobilenet")
    original = onnx.load(onnx_model_path(spec, model_dir, 16))
    rewritten = posenet_stride.with_output_stride(original, 16)
    def attrs(model):
        return [(n.name, sorted((a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute))
                for n in model.graph.node]
    assert attrs(rewritten) == attrs(original)
    source = [s for s, _ in posenet_stride.layer_schedule(
        [2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1], 16)]
    assert source == [2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1]


def test_stride_schedules_match_posenet_atrous_rule():
    source = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1]
    s8 = posenet_stride.layer_schedule(source, 8)
    assert [s for s, _ in s8] == [2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [d for _, d in s8] == [1] * 7 + [2] * 7
    s32 = posenet_stride.layer_schedule(source, 32)
    assert [s for s, _ in s32] == list(posenet_stride.MOBILENET_V1_STRIDES)
    assert all(d == 1 for _, d in s32)
    with pytest.raises(ValueError):
        posenet_stride.layer_schedule(source, 7)


@pytest.mark.parametrize("stride", [8, 16, 32])
@pytest.mark.parametrize("size", [257, 385])
def test_output_resolution(model_dir, stride, size):
    if (size - 1) % stride:
        pytest.skip(f"{size} is not k * {stride} + 1")
    spec = model_spec("posenet_mobilenet")
    x = np.zeros((1, size, size, 3), np.float32)
    out = _run(onnx_model_path(spec, model_dir, stride), x)
    side = (size - 1) // stride + 1
    for name, value in out.items():
        assert value.shape[1:3] == (side, side), (name, value.shape)


def test_multipose_accepts_any_multiple_of_32(model_dir):
    spec = model_spec("movenet_multipose")
    for h, w in [(256, 256), (192, 320), (320, 192)]:
        out = _run(onnx_model_path(spec, model_dir), np.zeros((1, h, w, 3), np.int32))
        assert next(iter(out.values())).shape == (1, 6, 56)


def _plausible(pose, image):
    h, w = image.shape[:2]
    k = {kp.name: kp for kp in pose.keypoints}
    assert pose.score > 0.3, pose.score  # upper body only: the legs score low
    for name in ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"):
        assert k[name].score > 0.5, (name, k[name])
        assert 0 <= k[name].x < w and 0 <= k[name].y < h
    assert k["nose"].y < min(k["left_shoulder"].y, k["right_shoulder"].y)
    # facing the camera: her left shoulder is on the image's right
    assert k["left_shoulder"].x > k["right_shoulder"].x
    assert k["left_eye"].x > k["right_eye"].x


@pytest.mark.parametrize("stride", [8, 16, 32])
def test_every_stride_decodes_a_plausible_pose_on_a_real_photo(model_dir, astronaut, stride):
    estimator = create_estimator("posenet_mobilenet", backend="onnxruntime",
                                 model_dir=model_dir, output_stride=stride, decoding="single",
                                 image_scale_factor=0.75)
    (pose,) = estimator.estimate(astronaut)
    _plausible(pose, astronaut)


@pytest.mark.parametrize("name", ["movenet_lightning", "movenet_thunder", "movenet_multipose"])
def test_movenet_models_give_a_plausible_pose_on_a_real_photo(model_dir, astronaut, name):
    poses = create_estimator(name, backend="onnxruntime", model_dir=model_dir).estimate(astronaut)
    assert poses
    _plausible(max(poses, key=lambda p: p.score), astronaut)
