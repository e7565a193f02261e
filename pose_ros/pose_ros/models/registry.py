"""The model registry: what each model is, where its files come from and go to.

The registry is ``manifest.json`` beside this file; this module gives it types.
Model files are never part of the package: ``pose-ros-models`` fetches and
converts them into a model directory (see :func:`default_model_dir`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

Dim = int | str
MANIFEST_PATH = Path(__file__).with_name("manifest.json")
CONVERTED_MANIFEST = "converted.json"


@dataclass(frozen=True)
class TensorSpec:
    """A model tensor (the manifest also says what it holds, for the reader)."""

    name: str
    dtype: str
    shape: tuple[Dim, ...]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str
    description: str
    origin: str
    license: str
    files: dict[str, str]  # source file name -> SHA-256
    input: TensorSpec
    verify_shape: tuple[int, ...]  # concrete input shape used to verify conversion
    outputs: tuple[TensorSpec, ...]
    output_strides: tuple[int, ...] = ()
    native_output_stride: int | None = None
    #: the TF.js graph converts to TFLite built-in ops (at its native stride)
    litert: bool = False
    #: what backend 'auto' runs on a CPU, from measurements (docs/performance.md)
    cpu_backend: str = "onnxruntime"

    def onnx_filename(self, output_stride: int | None = None) -> str:
        return f"{self._stem(output_stride)}.onnx"

    def tflite_filename(self, output_stride: int | None = None) -> str | None:
        """The TFLite file for ``output_stride``; None where there is none (a model
        LiteRT does not run, or a PoseNet stride other than the graph's own)."""
        stride = output_stride or self.native_output_stride
        if not self.litert or stride != self.native_output_stride:
            return None
        return f"{self._stem(output_stride)}.tflite"

    def converted_filenames(self) -> list[str]:
        """Every file a conversion of this model makes."""
        strides: tuple[int | None, ...] = self.output_strides or (None,)
        return [*(self.onnx_filename(s) for s in strides),
                *(f for f in (self.tflite_filename(s) for s in strides) if f)]

    def _stem(self, output_stride: int | None) -> str:
        if self.output_strides:
            stride = output_stride or self.native_output_stride
            if stride not in self.output_strides:
                raise ValueError(f"{self.name} supports output strides "
                                 f"{list(self.output_strides)}, not {output_stride}")
            return f"{self.name}.stride{stride}"
        return self.name


@dataclass(frozen=True)
class SourcePackage:
    npm_package: str
    version: str
    folder: str
    license: str

    @property
    def spec(self) -> str:
        return f"{self.npm_package}@{self.version}"


def _tensor(d: dict) -> TensorSpec:
    return TensorSpec(name=d["name"], dtype=d["dtype"], shape=tuple(d["shape"]))


@lru_cache(maxsize=1)
def _manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text())


def source_package() -> SourcePackage:
    return SourcePackage(**_manifest()["source"])


@cache
def model_spec(name: str) -> ModelSpec:
    models = _manifest()["models"]
    if name not in models:
        raise KeyError(f"unknown model {name!r}; known models: {', '.join(sorted(models))}")
    d = models[name]
    if d["keypoints"] != "coco17":  # the decoders, messages and skeleton know these alone
        raise ValueError(f"model {name!r} gives {d['keypoints']} keypoints; pose_ros reads "
                         "COCO's 17 only")
    inp = d["input"]
    return ModelSpec(
        name=name,
        family=d["family"],
        description=d["description"],
        origin=d["origin"],
        license=d["license"],
        files=dict(d["files"]),
        input=_tensor(inp),
        verify_shape=tuple(inp.get("verify_shape", inp["shape"])),
        outputs=tuple(_tensor(o) for o in d["outputs"]),
        output_strides=tuple(d.get("output_strides", ())),
        native_output_stride=d.get("native_output_stride"),
        litert=d.get("litert", False),
        cpu_backend=d.get("cpu_backend", "onnxruntime"),
    )


def model_names() -> list[str]:
    return list(_manifest()["models"])


def default_model_dir() -> Path:
    """``$POSE_ROS_MODEL_DIR``, else ``$XDG_CACHE_HOME/pose_ros/models`` (XDG)."""
    if os.environ.get("POSE_ROS_MODEL_DIR"):
        return Path(os.environ["POSE_ROS_MODEL_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pose_ros" / "models"


def source_dir(model_dir: Path) -> Path:
    """Where the fetched TF.js source files are kept."""
    return model_dir / "source"
