"""The one interface every inference backend implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pose_ros.backends.shape_profiles import ShapeProfile


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: np.dtype
    shape: tuple  # ints, or None / str for dynamic dimensions


class BackendUnavailable(ValueError):
    """The backend asked for cannot run this model here (a configuration error)."""


@dataclass(frozen=True)
class ModelFiles:
    """The verified files of one model (at one output stride) that backends load."""

    onnx: Path
    #: None where LiteRT has no file for it (a model or a PoseNet stride it does not run,
    #: or one not copied) or where the file is damaged (``tflite_problem`` says how)
    tflite: Path | None = None
    tflite_problem: str = ""
    tflite_outputs: dict[str, str] = field(default_factory=dict)  # TFLite tensor -> output
    #: what 'auto' runs on a CPU for this model (measured; the model registry)
    cpu_backend: str = "onnxruntime"


class Backend(abc.ABC):
    """Loads one model and runs it on numpy arrays.

    Subclasses fill ``_inputs`` and ``_outputs`` when they load the model.
    """

    name: str = "backend"
    reason: str = ""  # why it was chosen (create_backend says so for backend auto)
    #: making one takes minutes (a TensorRT engine build): once an estimator serves
    #: frames, it makes the next one off its inference thread
    slow_to_make: bool = False
    #: the input shapes it serves (a TensorRT engine's); None: every shape the model takes
    profile: ShapeProfile | None = None
    _inputs: list[TensorInfo]
    _outputs: list[TensorInfo]

    @property
    def inputs(self) -> list[TensorInfo]:
        return self._inputs

    @property
    def outputs(self) -> list[TensorInfo]:
        return self._outputs

    def serves(self, input_shapes: dict[str, tuple[int, ...]]) -> bool:
        """Whether inputs of these shapes run here, or need another backend. Most
        take every shape the model does (a wrong one fails in ``run``, with the
        runtime's reason); a TensorRT engine serves its profile's shapes only."""
        return self.profile is None or self.profile.covers(input_shapes)

    def supersedes(self, other: Backend) -> bool:
        """Whether this one serves every shape ``other`` does, so ``other`` can go."""
        return self.profile is None or (other.profile is not None
                                        and self.profile.contains(other.profile))

    @abc.abstractmethod
    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once; ``feeds`` maps input names to arrays, the result output names to arrays."""

    def close(self) -> None:  # noqa: B027 (optional: a no-op for backends with nothing to free)
        """Release the model; the backend is unusable afterwards."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
