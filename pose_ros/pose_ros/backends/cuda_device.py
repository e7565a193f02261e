"""How many CUDA GPUs the driver sees, asked of the driver library itself.

No CUDA binding is needed for the question (pycuda comes with the TensorRT path
only, and ONNX Runtime's GPU build lists its CUDA provider on machines without a
GPU); a machine without the NVIDIA driver has no ``libcuda``, hence no GPU.
"""

from __future__ import annotations

import ctypes


def cuda_device_count() -> int:
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int()
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value
