"""Give the C heap's free memory back to the system, so a long session's RSS follows its use.

glibc's ``malloc`` keeps memory that was freed in the middle of its heaps: only the top of
a heap is returned by itself. A session frees such memory all the time (sweeps the memory
budget drops, closed windows, replaced plot data, arrays of the simulation thread), so the
process's resident memory (RSS) grew long after the memory in use had levelled off: in a
monkey run (bench/monkey.py, docs/reliability.md) 90-140 MB sat free in malloc's heaps.
``malloc_trim(0)`` hands every whole free page back (glibc >= 2.8); it is cheap (a few ms
for ~100 MB free) and is called only when enough is free to be worth it.

Large buffers are kept out of the heaps altogether (:func:`fix_mmap_threshold`, called
when the rig window starts): glibc's own rule moves its mmap threshold up to the size of
every large block freed, so after one export or reopened experiment, buffers of up to
32 MiB came from the heaps and stranded there what they freed.

Elsewhere than glibc (musl, macOS, Windows) these functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = [
    "MMAP_THRESHOLD",
    "TRIM_ABOVE",
    "fix_mmap_threshold",
    "free_heap_bytes",
    "heap_bytes",
    "mapped_bytes",
    "release_free_heap",
]

#: bytes free in malloc's heaps above which :func:`release_free_heap` trims
TRIM_ABOVE = 32 * 2**20

#: blocks at least this large come from their own ``mmap`` (bytes), see
#: :func:`fix_mmap_threshold`
MMAP_THRESHOLD = 128 * 2**10
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc >= 2.33): sizes in bytes."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
        ).split()
    ]


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):  # not glibc, or glibc < 2.33
        return None
    return libc


_LIBC = _glibc()


def heap_bytes() -> tuple[int, int] | None:
    """(bytes malloc has handed out and not had back, including its mmapped blocks; bytes
    free inside its heaps, all arenas); None where that is not known.

    In use growing = something keeps allocating (a leak, or a cache); free growing while in
    use stays flat = fragmentation (memory glibc keeps and cannot give back by itself)."""
    if _LIBC is None:
        return None
    m = _LIBC.mallinfo2()
    return int(m.uordblks + m.hblkhd), int(m.fordblks)


def mapped_bytes() -> int | None:
    """Bytes of the blocks malloc gave their own ``mmap`` (returned to the system as soon
    as they are freed); None where that is not known."""
    return None if _LIBC is None else int(_LIBC.mallinfo2().hblkhd)


def free_heap_bytes() -> int | None:
    """Bytes free inside malloc's heaps (all arenas); None where that is not known."""
    both = heap_bytes()
    return None if both is None else both[1]


def release_free_heap(above: int = TRIM_ABOVE) -> bool:
    """``malloc_trim(0)`` if more than ``above`` bytes are free; True if it trimmed."""
    free = free_heap_bytes()
    if free is None or free < above:
        return False
    assert _LIBC is not None
    _LIBC.malloc_trim(0)
    return True


def fix_mmap_threshold(nbytes: int = MMAP_THRESHOLD) -> bool:
    """Serve blocks of ``nbytes`` or more from free space already in the heaps or else
    from their own ``mmap``, never by growing a heap; for the whole process. True if glibc
    took it.

    glibc starts with this threshold at 128 KiB but raises it, up to 32 MiB, each time a
    block it mapped is freed, so after the first large buffer of a session (an export, a
    reopened experiment) later large buffers are carved from the heaps, where what is
    freed between live blocks stays resident. A fixed threshold keeps them out: freed, they
    go back to the system at once.
    """
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, int(nbytes)))
