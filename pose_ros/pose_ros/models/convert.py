"""TF.js graph models to verified ONNX (and TFLite) models, through an isolated environment.

TensorFlow and tf2onnx live in their own virtual environment (created once,
beside the model directory); the node's environment never imports them.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from pose_ros.models import onnx_graph, posenet_stride
from pose_ros.models.command import models_command
from pose_ros.models.converted import (
    ConversionError,
    ConvertedModel,
    is_converted,
    read_manifest,
    record,
    reference_path,
)
from pose_ros.models.fetch import FetchError, missing_or_bad, sha256_file
from pose_ros.models.registry import ModelSpec, model_spec, source_dir
from pose_ros.progress import run_with_heartbeat, say

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "convert_requirements.txt"
CONVERTER = HERE / "tfjs_to_onnx.py"
TOLERANCE = 1e-3
SEED = 20181107  # fixed input of the conversion check


def default_conversion_venv(model_dir: Path) -> Path:
    """Where the conversion environment of ``model_dir`` lives: beside it, shared by
    every clone that uses this model directory."""
    return model_dir.parent / "convert-venv"


def conversion_env(env: Path, model_dir: Path) -> Path:
    """The Python of the conversion environment ``env``, created or updated when needed
    (for converting into ``model_dir``)."""
    python = env / "bin" / "python"
    stamp = env / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    say(f"creating the conversion environment in {env} (TensorFlow, tf2onnx; about 600 MB, once)")
    try:
        run_with_heartbeat([sys.executable, "-m", "venv", "--clear", str(env)], "python -m venv")
        run_with_heartbeat([str(python), "-m", "pip", "install", "--quiet", "--progress-bar",
                            "off", "-r", str(REQUIREMENTS)],
                           "pip install of the conversion environment")
    except RuntimeError as e:  # most often: no internet, or no TensorFlow for this machine
        last = str(e).strip().splitlines()[-1]
        raise ConversionError(
            f"could not create the conversion environment in {env} ({last}); it needs the "
            "package index once, and a machine TensorFlow has wheels for. Elsewhere: "
            f"{models_command('export', 'FILE')} on a machine that converted, then "
            f"{models_command('import', 'FILE', model_dir=model_dir)} here") from e
    stamp.write_text(digest)
    return python


def _session(model: onnx.ModelProto) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def _check(model: onnx.ModelProto, spec: ModelSpec, reference: dict, mapping: dict[str, str],
           compare: bool) -> tuple[dict[str, list], dict[str, float]]:
    """onnx checker, ONNX Runtime load, output shapes, and the outputs against TF's."""
    onnx.checker.check_model(model)
    session = _session(model)
    x = reference["input"]
    outputs = dict(zip([o.name for o in session.get_outputs()],
                       session.run(None, {spec.input.name: x})))
    shapes = {name: list(v.shape) for name, v in outputs.items()}
    diffs: dict[str, float] = {}
    if compare:
        for tf_name, name in mapping.items():
            expected = reference[f"output:{tf_name}"]
            if expected.shape != outputs[name].shape:
                raise ConversionError(f"{spec.name}: output {name} has shape "
                                      f"{outputs[name].shape}, TensorFlow gives {expected.shape}")
            diffs[name] = float(np.max(np.abs(expected - outputs[name])))
            if not diffs[name] < TOLERANCE:
                raise ConversionError(f"{spec.name}: output {name} differs from the TF.js graph "
                                      f"by {diffs[name]:.2e} (tolerance {TOLERANCE})")
    return shapes, diffs


def _posenet_variants(model: onnx.ModelProto, spec: ModelSpec, reference: dict,
                      mapping: dict[str, str]) -> dict[str, tuple]:
    """One graph per output stride; each checked for resolution, stride 16 against TF."""
    variants = {}
    height = spec.verify_shape[1]
    for stride in spec.output_strides:
        graph = posenet_stride.with_output_stride(model, stride)
        shapes, diffs = _check(graph, spec, reference, mapping,
                               compare=stride == spec.native_output_stride)
        side = posenet_stride.output_size(height, stride)
        for name, shape in shapes.items():
            if shape[1:3] != [side, side]:
                raise ConversionError(f"{spec.name} stride {stride}: {name} is {shape}, "
                                      f"expected {side}x{side} for a {height} input")
        variants[spec.onnx_filename(stride)] = (graph, shapes, diffs)
    return variants


def _check_tflite(spec: ModelSpec, reference: dict, mapping: dict[str, str]
                  ) -> tuple[dict[str, str], dict[str, float]]:
    """The TFLite outputs (run by the converter on the reference input) against TF's:
    returns TFLite tensor name -> output name, and the largest difference per output."""
    tflite = {k.split(":", 1)[1]: v for k, v in reference.items() if k.startswith("tflite:")}
    names = onnx_graph.match_outputs(list(tflite), spec)
    diffs = {}
    for tf_name, name in mapping.items():
        got = tflite[next(t for t, n in names.items() if n == name)]
        expected = reference[f"output:{tf_name}"]
        if got.shape != expected.shape or not np.max(np.abs(got - expected)) < TOLERANCE:
            raise ConversionError(f"{spec.name}: TFLite output {name} differs from the TF.js "
                                  f"graph's (shape {got.shape}, TensorFlow {expected.shape})")
        diffs[f"tflite:{name}"] = float(np.max(np.abs(got - expected)))
    return names, diffs


def _finish(spec: ModelSpec, raw_onnx: Path, reference_npz: Path, tflite: Path | None,
            model_dir: Path, tools: dict) -> ConvertedModel:
    model = onnx.load(raw_onnx)
    mapping = onnx_graph.finalize(model, spec)
    reference = dict(np.load(reference_npz))
    if spec.output_strides:
        variants = _posenet_variants(model, spec, reference, mapping)
    else:
        shapes, diffs = _check(model, spec, reference, mapping, compare=True)
        variants = {spec.onnx_filename(): (model, shapes, diffs)}
    files, all_shapes, all_diffs = {}, {}, {}
    for filename, (graph, shapes, diffs) in variants.items():
        path = model_dir / filename
        onnx.save(graph, path)
        files[filename] = sha256_file(path)
        all_shapes.update({f"{filename}:{k}": v for k, v in shapes.items()})
        all_diffs.update(diffs)
    tflite_outputs: dict[str, str] = {}
    tflite_name = spec.tflite_filename()
    if tflite is not None and tflite_name is not None:
        tflite_outputs, diffs = _check_tflite(spec, reference, mapping)
        path = model_dir / tflite_name
        path.write_bytes(tflite.read_bytes())
        files[tflite_name] = sha256_file(path)
        all_diffs.update(diffs)
    say(f"{spec.name}: " + ", ".join(files) + " verified (max |converted - TF.js| "
        + ", ".join(f"{k} {v:.1e}" for k, v in all_diffs.items()) + ")")
    return ConvertedModel(
        model=spec.name, files=files, source_sha256=dict(spec.files),
        input_name=spec.input.name, input_shape=list(spec.input.shape),
        output_names=[o.name for o in spec.outputs], output_shapes=all_shapes,
        opset=int(tools.get("opset", 0)), max_abs_diff=all_diffs, tools=tools,
        tflite_outputs=tflite_outputs)


def convert(models: list[str], model_dir: Path, force: bool = False,
            venv: Path | None = None) -> list[str]:
    """Convert and verify ``models`` into ``model_dir``; returns those (re)converted.

    ``venv``: the conversion environment to use (default: beside ``model_dir``).
    """
    specs = [model_spec(m) for m in models]
    todo = [s for s in specs if force or not is_converted(s, model_dir)]
    if not todo:
        say(f"all {len(specs)} models already converted and verified in {model_dir}")
        return []
    for spec in todo:
        bad = missing_or_bad(model_dir, spec.files)
        if bad:
            raise FetchError(f"{spec.name}: source files {', '.join(bad)} are missing or "
                             f"corrupt in {source_dir(model_dir)}; run "
                             f"{models_command('fetch', spec.name, model_dir=model_dir)}")
    read_manifest(model_dir)  # a damaged record fails now, not after minutes of conversion
    python = conversion_env(venv or default_conversion_venv(model_dir), model_dir)
    with tempfile.TemporaryDirectory(prefix="pose_ros_convert_") as tmp:
        jobs: list[dict[str, Any]] = []
        for spec in todo:
            model_json = next(n for n in spec.files if n.endswith(".json"))
            jobs.append({"model_json": str(source_dir(model_dir) / model_json),
                         "onnx": f"{tmp}/{spec.name}.raw.onnx",
                         "reference": str(reference_path(model_dir, spec.name)),
                         "input_shape": list(spec.verify_shape), "seed": SEED,
                         "tflite": f"{tmp}/{spec.name}.tflite" if spec.litert else None,
                         "tflite_shape": [d if isinstance(d, int) else None
                                          for d in spec.input.shape]})
        (Path(tmp) / "jobs.json").write_text(json.dumps(jobs))
        say(f"converting {', '.join(s.name for s in todo)} with tf2onnx (and TFLiteConverter)")
        try:
            result = run_with_heartbeat([str(python), str(CONVERTER), f"{tmp}/jobs.json"],
                                        "TF.js -> ONNX and TFLite conversion")
        except RuntimeError as e:
            raise ConversionError(str(e)) from e
        tools = json.loads(result.stdout.strip().splitlines()[-1])
        for spec, job in zip(todo, jobs):
            tflite = Path(job["tflite"]) if job["tflite"] else None
            entry = _finish(spec, Path(job["onnx"]), Path(job["reference"]), tflite, model_dir,
                            tools)
            record(model_dir, {spec.name: asdict(entry)})
    return [s.name for s in todo]
