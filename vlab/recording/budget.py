"""A memory budget for a live recording: compact sweeps, drop the oldest un-kept repeats.

The rig window records every sweep of every run. In *Repeat* mode that is several
sweeps a second for as long as the student leaves it running, so the recording
needs a ceiling:

* every sweep is stored compactly (:func:`compact_sweep`: float32, half of float64;
  float32's 24-bit mantissa is finer than the amplifier's 16-bit digitiser);
* sweeps of a Repeat run are recorded *un-kept* (``Sweep.kept`` False) and carry
  ``provenance['repeat'] = True``; the student keeps the ones that matter;
* when the recording's arrays exceed the budget, :meth:`MemoryBudget.enforce` drops
  the oldest un-kept Repeat sweeps until it fits again. Kept sweeps and sweeps of
  single runs are never dropped: if they alone exceed the budget, :attr:`over`
  says so and the window shows it.

Qt-free; sizes in bytes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np

from vlab.recording.model import Recording, Sweep

__all__ = [
    "DEFAULT_BUDGET",
    "MemoryBudget",
    "compact_sweep",
    "is_repeat",
    "keep_last_cycle",
    "sweep_nbytes",
]

#: default ceiling for the rig window's recording, bytes (about 1000 sweeps of 30 ms)
DEFAULT_BUDGET = 200 * 1024 * 1024


def sweep_nbytes(sweep: Sweep) -> int:
    """Bytes held by the sweep's arrays."""
    return int(sum(a.nbytes for a in sweep.channels.values()))


def compact_sweep(sweep: Sweep, kept: bool | None = None) -> Sweep:
    """The same sweep with float32 arrays (and ``kept`` changed if given)."""
    channels = {k: np.asarray(v, dtype=np.float32) for k, v in sweep.channels.items()}
    return Sweep(
        index=sweep.index,
        dt=sweep.dt,
        channels=channels,
        t0=sweep.t0,
        provenance=sweep.provenance,
        kept=sweep.kept if kept is None else kept,
        label=sweep.label,
    )


def is_repeat(sweep: Sweep) -> bool:
    """True for a sweep recorded by a Repeat run."""
    return bool(sweep.provenance.get("repeat", False))


@dataclass
class MemoryBudget:
    """Keeps a :class:`Recording` under ``limit`` bytes (see module docstring).

    Attributes
    ----------
    limit
        Ceiling for the arrays of the recording, bytes.
    used
        Bytes held after the last :meth:`enforce`.
    dropped
        Sweeps dropped so far (for the status message).
    over
        True when kept sweeps alone exceed the limit (nothing more can be dropped).
    """

    limit: int = DEFAULT_BUDGET
    used: int = 0
    dropped: int = 0
    over: bool = False
    _sizes: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary, repr=False)

    def __post_init__(self) -> None:
        if not self.limit > 0:
            raise ValueError(f"a memory budget must be positive, not {self.limit!r} bytes")

    def enforce(self, recording: Recording) -> list[Sweep]:
        """Drop the oldest un-kept Repeat sweeps until the recording fits; return them."""
        sizes = [self._size(s) for s in recording.sweeps]
        used = sum(sizes)
        dropped: list[Sweep] = []
        if used > self.limit:
            keep: list[Sweep] = []
            for s, n in zip(recording.sweeps, sizes, strict=True):
                if used > self.limit and not s.kept and is_repeat(s):
                    used -= n
                    dropped.append(s)
                else:
                    keep.append(s)
            recording.sweeps[:] = keep
        self.used = used
        self.dropped += len(dropped)
        self.over = used > self.limit
        return dropped

    def _size(self, sweep: Sweep) -> int:
        n = self._sizes.get(sweep)
        if n is None:
            n = self._sizes[sweep] = sweep_nbytes(sweep)
        return n


def keep_last_cycle(recording: Recording, run_id: str) -> list[Sweep]:
    """Mark kept the newest complete cycle of Repeat run ``run_id``; return those sweeps.

    A cycle is complete when it holds every sweep of the protocol (``n_sweeps`` in the
    provenance); if none is complete (stopped during the first pass) the newest cycle
    is kept as it is.
    """
    cycles: dict[int, list[Sweep]] = {}
    for s in recording.sweeps:
        if s.provenance.get("run_id") == run_id and is_repeat(s):
            cycles.setdefault(int(s.provenance.get("cycle", 0)), []).append(s)
    if not cycles:
        return []
    complete = [
        c for c, ss in cycles.items() if len(ss) >= int(ss[0].provenance.get("n_sweeps", 1))
    ]
    chosen = cycles[max(complete) if complete else max(cycles)]
    for s in chosen:
        s.kept = True
    return chosen
