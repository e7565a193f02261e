"""ONNX Runtime: the embedded default on the CPU, and its CUDA provider on a GPU.

``onnxruntime`` is the CPU alone, whatever the installed build offers, so that a
backend's name says where the model runs; ``cuda`` is the GPU path where TensorRT
is absent (``onnxruntime-gpu``, e.g. an x86 PC with an NVIDIA card).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from pose_ros.backends.base import Backend, BackendUnavailable, TensorInfo
from pose_ros.backends.cuda_device import cuda_device_count

_ONNX_TYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32,
               "tensor(float16)": np.float16, "tensor(int64)": np.int64,
               "tensor(uint8)": np.uint8}
CUDA_PROVIDER = "CUDAExecutionProvider"


def cuda_available() -> tuple[bool, str]:
    """(usable, why): ONNX Runtime's CUDA provider installed and a CUDA GPU present."""
    if CUDA_PROVIDER not in ort.get_available_providers():
        return False, ("this ONNX Runtime has no CUDA provider (onnxruntime-gpu, "
                       "in place of onnxruntime, has it)")
    gpus = cuda_device_count()
    if gpus == 0:
        return False, "no CUDA GPU is present"
    return True, f"ONNX Runtime's CUDA provider with {gpus} CUDA GPU(s)"


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    wanted_providers: tuple[str, ...] = ("CPUExecutionProvider",)
    log_severity = 3  # errors only

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        """``threads`` = 0 lets ONNX Runtime use one thread per core."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = self.log_severity
        self._session = ort.InferenceSession(str(model_path), options,
                                             providers=list(self.wanted_providers))
        self.providers: tuple[str, ...] = tuple(self._session.get_providers())
        self._inputs = [TensorInfo(i.name, np.dtype(_ONNX_TYPES[i.type]), tuple(i.shape))
                        for i in self._session.get_inputs()]
        self._outputs = [TensorInfo(o.name, np.dtype(_ONNX_TYPES[o.type]), tuple(o.shape))
                         for o in self._session.get_outputs()]
        self._output_names = [o.name for o in self._outputs]

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self._output_names, self._session.run(self._output_names, feeds)))

    def close(self) -> None:
        self._session = None


class CudaBackend(OnnxRuntimeBackend):
    """The same session on ONNX Runtime's CUDA provider (CPU only for what it lacks)."""

    name = "cuda"
    wanted_providers = (CUDA_PROVIDER, "CPUExecutionProvider")
    log_severity = 2  # warnings too: where the CUDA provider fails to start, its reason

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        super().__init__(model_path, threads)
        # ONNX Runtime falls back to the CPU, with a log line only, when the CUDA or
        # cuDNN libraries cannot load: a backend called cuda must not run on the CPU
        if CUDA_PROVIDER not in self.providers:
            self.close()
            raise BackendUnavailable("backend cuda: ONNX Runtime could not start its CUDA "
                                     "provider (CUDA or cuDNN libraries missing? its "
                                     "warning above says which)")
