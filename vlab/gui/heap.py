"""Give the C heap's free memory back to the system, so a long session's RSS follows its use.

glibc's ``malloc`` keeps memory that was freed in the middle of its heaps: only the top of
a heap is returned by itself. A session frees such memory all the time (sweeps the memory
budget drops, closed windows, replaced plot data, arrays of the simulation thread), so the
process's resident memory (RSS) grew long after the memory in use had levelled off: in a
monkey run (bench/monkey.py, docs/reliability.md) 90-140 MB sat free in malloc's heaps.
``malloc_trim(0)`` hands every whole free page back (glibc >= 2.8); it is cheap (a few ms
for ~100 MB free) and is called only when enough is free to be worth it.

Elsewhere than glibc (musl, macOS, Windows) these functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["TRIM_ABOVE", "free_heap_bytes", "heap_bytes", "release_free_heap"]

#: bytes free in malloc's heaps above which :func:`release_free_heap` trims
TRIM_ABOVE = 32 * 2**20


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
