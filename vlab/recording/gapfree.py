"""Recording gap-free streaming: :class:`GapFreeRecorder` turns streamed chunks into a sweep.

While the rig window streams gap-free, *Record* collects the amplifier's channels (``Vm``,
``Im`` and the ``command``) of every chunk, compactly (float32, as
:func:`vlab.recording.budget.compact_sweep` stores sweeps), until the student stops it.
The result is one :class:`~vlab.recording.Sweep` (a *segment*) whose ``t0`` is the
experiment time of its first sample, which every export format writes like any sweep.

The recorder is bounded: it never holds more than ``limit`` bytes (the room the memory
budget leaves), and it refuses a chunk that would not fit, that changes the clamp mode
(the command's unit would change) or that does not follow the previous one in time; the
caller then finishes the segment (and may start the next one).

Qt-free; times in s, sizes in bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from vlab.clamp import ClampMode
from vlab.recording.errors import RecordingError
from vlab.recording.model import Sweep

__all__ = ["GAP_FREE_CHANNELS", "GapFreeRecorder"]

#: channels a gap-free segment keeps: the amplifier's outputs and the command
GAP_FREE_CHANNELS = ("Vm", "Im", "command")
_ITEM = np.dtype(np.float32).itemsize


class GapFreeRecorder:
    """Collects streamed chunks into one gap-free segment (see module docstring).

    Parameters
    ----------
    limit
        Most bytes the segment's arrays may hold (> 0).
    provenance
        The segment's provenance (how the cell and amplifier were set when it started).
    index
        The segment's :attr:`Sweep.index`.
    """

    def __init__(self, limit: int, provenance: Mapping[str, Any], index: int = 0) -> None:
        if not limit > 0:
            raise RecordingError(f"A gap-free recording needs room to record, not {limit!r} bytes.")
        self.limit = int(limit)
        self.provenance = dict(provenance)
        self.index = int(index)
        self.full = False  # True once a chunk was refused for lack of room
        self._parts: dict[str, list[np.ndarray]] = {c: [] for c in GAP_FREE_CHANNELS}
        self._t0: float | None = None
        self._dt: float | None = None
        self._mode: ClampMode | None = None
        self._n = 0

    @property
    def n_samples(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held so far."""
        return self._n * _ITEM * len(GAP_FREE_CHANNELS)

    @property
    def duration(self) -> float:
        """Seconds recorded so far."""
        return self._n * (self._dt or 0.0)

    def add(self, t: np.ndarray, data: Mapping[str, np.ndarray], mode: ClampMode | str) -> bool:
        """Append a chunk (sample times ``t``, s; ``data`` with every channel of
        :data:`GAP_FREE_CHANNELS`, SI). False, and nothing added, when it does not fit in
        the limit, changes the clamp mode, or does not continue the previous chunk."""
        n = int(np.size(t))
        if n == 0:
            return True
        mode = ClampMode.parse(mode)
        dt = float(t[1] - t[0]) if n > 1 else self._dt
        if self._n:
            assert self._t0 is not None and self._dt is not None
            expected = self._t0 + self._n * self._dt
            if mode is not self._mode or not math.isclose(
                float(t[0]), expected, rel_tol=0, abs_tol=self._dt / 2
            ):
                return False
        elif dt is None:
            return False  # one sample alone gives no sample interval
        if self.nbytes + n * _ITEM * len(GAP_FREE_CHANNELS) > self.limit:
            self.full = True
            return False
        if not self._n:
            self._t0, self._dt, self._mode = float(t[0]), dt, mode
        for c in GAP_FREE_CHANNELS:
            self._parts[c].append(np.asarray(data[c], dtype=np.float32).copy())
        self._n += n
        return True

    def finish(self) -> Sweep | None:
        """The segment recorded (None if nothing was); the recorder is empty afterwards."""
        if not self._n:
            return None
        assert self._t0 is not None and self._dt is not None and self._mode is not None
        channels = {c: np.concatenate(self._parts[c]) for c in GAP_FREE_CHANNELS}
        prov = dict(self.provenance)
        prov["mode"] = self._mode.value
        prov["acquisition"] = "gap-free"
        sweep = Sweep(
            index=self.index, dt=self._dt, channels=channels, t0=self._t0, provenance=prov
        )
        self._parts = {c: [] for c in GAP_FREE_CHANNELS}
        self._n = 0
        self._t0 = self._dt = self._mode = None
        return sweep
