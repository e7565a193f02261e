"""The one interface every inference backend implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: np.dtype
    shape: tuple  # ints, or None / str for dynamic dimensions


class Backend(abc.ABC):
    """Loads one model and runs it on numpy arrays.

    Subclasses fill ``_inputs`` and ``_outputs`` when they load the model.
    """

    name: str = "backend"
    reason: str = ""  # why it was chosen (create_backend says so for backend auto)
    _inputs: list[TensorInfo]
    _outputs: list[TensorInfo]

    @property
    def inputs(self) -> list[TensorInfo]:
        return self._inputs

    @property
    def outputs(self) -> list[TensorInfo]:
        return self._outputs

    def serves(self, input_shapes: dict[str, tuple[int, ...]]) -> bool:
        """Whether inputs of these shapes run here, without another backend: every
        fixed dimension of the model's inputs matches (dynamic ones take any size)."""
        declared = {info.name: info.shape for info in self._inputs}
        return all(name in declared and len(shape) == len(declared[name])
                   and all(not isinstance(d, int) or d < 0 or d == n
                           for d, n in zip(declared[name], shape))
                   for name, shape in input_shapes.items())

    @abc.abstractmethod
    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once; ``feeds`` maps input names to arrays, the result output names to arrays."""

    def close(self) -> None:  # noqa: B027 (optional: a no-op for backends with nothing to free)
        """Release the model; the backend is unusable afterwards."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
