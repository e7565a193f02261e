"""The CUDA layer of the TensorRT backend: a stream and page-locked I/O buffers.

Kept in one small module (pycuda today) so that another CUDA binding (cuda-python,
CuPy) can replace it without touching the TensorRT code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


class CudaContext:
    """Owns a CUDA context on one device, a stream, and the buffers it allocated.

    A CUDA context is current per thread, so this one is current only inside
    :meth:`current`: every use goes through it, from whichever thread, and no thread
    is left holding the context (the node warms up and infers on one thread; a
    program may well use two).
    """

    def __init__(self, device: int = 0) -> None:
        import pycuda.driver as cuda  # imported here: only the TensorRT path needs it

        cuda.init()
        self._cuda = cuda
        self.device_name = cuda.Device(device).name()
        self._context = cuda.Device(device).make_context()  # made current on this thread
        try:
            self.stream = cuda.Stream()
        finally:
            cuda.Context.pop()
        self._host: dict[str, np.ndarray] = {}
        self._device: dict[str, Any] = {}  # pycuda DeviceAllocation (untyped)

    @contextmanager
    def current(self) -> Iterator[None]:
        """The context current on the calling thread for the block."""
        self._context.push()
        try:
            yield
        finally:
            self._cuda.Context.pop()

    def buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, int]:
        """A page-locked host array and a device pointer for tensor ``name``,
        reallocated only when it must grow."""
        dtype = np.dtype(dtype)
        host = self._host.get(name)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if host is None or host.nbytes < nbytes or host.dtype != dtype:
            self._host[name] = host = self._cuda.pagelocked_empty(int(np.prod(shape)), dtype)
            self._device[name] = self._cuda.mem_alloc(max(nbytes, 1))
        return host[: int(np.prod(shape))].reshape(shape), int(self._device[name])

    def to_device(self, name: str, host: np.ndarray) -> None:
        self._cuda.memcpy_htod_async(self._device[name], host, self.stream)

    def to_host(self, name: str, host: np.ndarray) -> None:
        self._cuda.memcpy_dtoh_async(host, self._device[name], self.stream)

    def synchronize(self) -> None:
        self.stream.synchronize()

    def close(self) -> None:
        with self.current():  # device memory is freed in the context it belongs to
            for allocation in self._device.values():
                allocation.free()
            self._device.clear()
            self._host.clear()
        self._context.detach()
