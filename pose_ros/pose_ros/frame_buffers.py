"""Let camera-frame-sized allocations reuse memory instead of fresh pages per frame.

glibc serves an allocation above its mmap threshold (128 KiB at start, raised only
to the largest block freed so far) from freshly mapped pages, and gives freed heap
memory back to the kernel above its trim threshold. A camera frame is copied
through several such buffers per message (Fast DDS, rcl, Python bytes), so each
frame paid for zero-filling and faulting in new pages as well as for the copies:
camera to callback took 17 ms for a 1080p frame, 8 ms without the page faults
(4,524 per frame in the receiving process). With both thresholds raised, the
buffers of one frame serve the next. The cost is that the process keeps its
high-water mark of freed memory (a few frames), which a long-running camera
pipeline wants anyway.
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's ceiling for the mmap threshold on 64-bit: 4K RGB frames (25 MB) fit under it
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 128 * 2**20


def reuse_frame_buffers() -> bool:
    """Raise glibc's mmap and trim thresholds for this process. False where the C
    library is not glibc (musl, macOS): the default allocator is then left alone."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def release_free_memory() -> bool:
    """Give the heap's free memory back to the kernel now (the raised trim threshold
    keeps it otherwise): after a model is freed, the process's RSS then falls. False
    where the C library is not glibc."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = (ctypes.c_size_t,)
    return bool(malloc_trim(0))
