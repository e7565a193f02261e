"""ONNX Runtime: the embedded default, on the CPU, or CUDA/TensorRT where offered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from pose_ros.backends.base import Backend, TensorInfo

_ONNX_TYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32,
               "tensor(float16)": np.float16, "tensor(int64)": np.int64,
               "tensor(uint8)": np.uint8}
#: Accelerated providers, preferred in this order when the installed build has them.
ACCELERATED_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(self, model_path: Path, threads: int = 0,
                 providers: list[str] | None = None) -> None:
        """``threads`` = 0 lets ONNX Runtime use one thread per core."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        available = ort.get_available_providers()
        chosen = providers or [p for p in ACCELERATED_PROVIDERS if p in available]
        chosen = [*chosen, "CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(model_path), options, providers=chosen)
        self.providers = self._session.get_providers()
        self._inputs = [TensorInfo(i.name, np.dtype(_ONNX_TYPES[i.type]), tuple(i.shape))
                        for i in self._session.get_inputs()]
        self._outputs = [TensorInfo(o.name, np.dtype(_ONNX_TYPES[o.type]), tuple(o.shape))
                         for o in self._session.get_outputs()]
        self._output_names = [o.name for o in self._outputs]

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self._output_names, self._session.run(self._output_names, feeds)))

    def close(self) -> None:
        self._session = None
