"""LiteRT (TensorFlow Lite's runtime, ``ai-edge-litert``) with XNNPACK on the CPU:
the runtime MoveNet was made for, on the TFLite files the conversion verifies.

A TFLite model's input shape is set before its tensors are allocated; a new shape
(a PoseNet or MultiPose input for another image size) resizes the input and
re-allocates once, and the same shape is then served without either.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pose_ros.backends.base import Backend, TensorInfo


def litert_available() -> tuple[bool, str]:
    """(usable, why)."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False, "LiteRT is not installed (pip install ai-edge-litert)"
    return True, "LiteRT with XNNPACK"


class LiteRTBackend(Backend):
    name = "litert"

    def __init__(self, model_path: Path, output_names: dict[str, str], threads: int = 0) -> None:
        """``output_names``: TFLite tensor name -> the model's output name (as recorded
        by the conversion); ``threads`` = 0 uses one thread per core."""
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(model_path),
                                        num_threads=threads or os.cpu_count() or 1)
        (self._input,) = self._interpreter.get_input_details()
        self._outputs_by_index = {d["index"]: output_names[d["name"]]
                                  for d in self._interpreter.get_output_details()}
        self._shape: tuple[int, ...] | None = None
        self._inputs = [TensorInfo(self._input["name"], np.dtype(self._input["dtype"]),
                                   tuple(int(d) if d > 0 else None
                                         for d in self._input["shape_signature"]))]
        self._outputs = [TensorInfo(output_names[d["name"]], np.dtype(d["dtype"]),
                                    tuple(int(x) for x in d["shape_signature"]))
                         for d in self._interpreter.get_output_details()]

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        (x,) = feeds.values()
        if x.shape != self._shape:
            self._interpreter.resize_tensor_input(self._input["index"], list(x.shape))
            self._interpreter.allocate_tensors()
            self._shape = x.shape
        self._interpreter.set_tensor(self._input["index"], x)
        self._interpreter.invoke()
        return {name: self._interpreter.get_tensor(index)
                for index, name in self._outputs_by_index.items()}

    def close(self) -> None:
        self._interpreter = None
