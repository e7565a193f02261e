"""A backend slow to make, as a TensorRT engine build is: the real ONNX Runtime
backend, BUILD_S seconds in the making (minutes, for an engine) and serving only its
profile's shapes (as an engine does). Shared by the estimator's and the node's tests."""

from __future__ import annotations

import threading
import time

from pose_ros.backends.build_progress import BuildCancelled
from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

BUILD_S = 2.0


class SlowToBuildOnnxRuntime(OnnxRuntimeBackend):
    """ONNX Runtime taking BUILD_S to make (giving up when ``cancel`` is set, as a
    TensorRT build does) and serving its profile's shapes only (``Backend.serves``,
    given a profile); it records each run and whether it was closed."""

    slow_to_make = True

    def __init__(self, files, profile, cancel: threading.Event) -> None:
        if cancel.wait(BUILD_S):
            raise BuildCancelled("stopped, as asked")
        start = time.perf_counter()
        super().__init__(files.onnx, threads=1)
        #: when ONNX Runtime made its session: it holds the GIL meanwhile, where TensorRT's
        #: build_serialized_network releases it (py::gil_scoped_release in its bindings)
        self.session_made = (start, time.perf_counter())
        self.profile = profile
        self.ran: list[tuple[tuple[int, ...], float]] = []  # (input shape, seconds)
        self.closed = False

    def close(self) -> None:
        self.closed = True
        super().close()

    def run(self, feeds):
        start = time.perf_counter()
        outputs = super().run(feeds)
        self.ran.append((feeds["image"].shape, time.perf_counter() - start))
        return outputs


class SlowFactory:
    def __init__(self) -> None:
        self.made: list[SlowToBuildOnnxRuntime] = []
        self.threads: list[str] = []
        self.failed: list[BaseException] = []

    def __call__(self, files, profile, cancel):
        self.threads.append(threading.current_thread().name)
        try:
            self.made.append(SlowToBuildOnnxRuntime(files, profile, cancel))
        except BaseException as e:
            self.failed.append(e)
            raise
        return self.made[-1]

    def inference_s(self) -> float:
        return sum(seconds for backend in self.made for _, seconds in backend.ran)


