"""A protocol's command as a Clampex epoch table (ABF waveform), and the waveform it gives.

Clampex plays the first 1/64 of every sweep at the holding level, then the
epochs in order (each ``init + sweep * increment`` in level and duration), then
holding again to the end of the sweep. vlab's epochs start at t = 0, so a vlab
protocol can be written as an epoch table only when its first epoch is a step at
the holding level that is at least 1/64 of the sweep long; that step is
shortened by the pre-sweep holding. Only step epochs are written (ABF 1.8 has
no pulse trains, and readers draw ramps differently): otherwise the command is
recorded as a channel instead. Every table is checked against the recorded
command before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EpochRow", "clampex_waveform", "epoch_table"]

STEP = 1  # ABF epoch type: stepped


@dataclass(frozen=True)
class EpochRow:
    """One enabled row of an ABF epoch table (levels in the DAC's display unit)."""

    level: float
    level_inc: float
    samples: int
    samples_inc: int


def pre_sweep_samples(n_samples: int) -> int:
    """Samples Clampex holds before the first epoch: 1/64 of the sweep."""
    return n_samples // 64


def clampex_waveform(
    rows: list[EpochRow], holding: float, n_samples: int, sweep: int
) -> np.ndarray:
    """The command Clampex plays on episode ``sweep`` (0-based) of an all-step table."""
    out = np.full(n_samples, holding, dtype=np.float64)
    pos = pre_sweep_samples(n_samples)
    for row in rows:
        n = row.samples + sweep * row.samples_inc
        out[pos : pos + n] = row.level + sweep * row.level_inc
        pos += n
    return out


def epoch_table(
    protocol: object, commands: np.ndarray, holding: float, atol: float
) -> list[EpochRow] | None:
    """The epoch table that reproduces ``commands``, or None if there is none.

    Parameters
    ----------
    protocol
        A :class:`vlab.protocols.Protocol` (its epoch types and sample boundaries).
    commands
        Recorded command, shape ``(episodes, samples)``, display units; row ``k``
        is episode ``k`` of the file.
    holding
        Holding level, display units.
    atol
        Largest difference allowed between the table's waveform and ``commands``.
    """
    episodes, n = commands.shape
    epochs = list(getattr(protocol, "epochs", ()))
    if not epochs or any(ep.type != "step" for ep in epochs) or len(epochs) > 10:
        return None
    if getattr(protocol, "n_samples", None) != n or getattr(protocol, "sweeps", 0) < episodes:
        return None
    bounds = [protocol.epoch_bounds(k) for k in range(episodes)]  # type: ignore[attr-defined]
    pre = pre_sweep_samples(n)
    first = [b[0] for b in bounds]
    if any(a != 0 or b - a < pre for a, b in first):
        return None
    if not np.allclose(commands[:, :pre], holding, rtol=0, atol=atol):
        return None
    rows = []
    for i in range(len(epochs)):
        lengths = [b[i][1] - b[i][0] - (pre if i == 0 else 0) for b in bounds]
        levels = [
            float(commands[k, b[i][0]]) if b[i][1] > b[i][0] else 0.0 for k, b in enumerate(bounds)
        ]
        inc = lengths[1] - lengths[0] if episodes > 1 else 0
        lvl_inc = levels[1] - levels[0] if episodes > 1 else 0.0
        rows.append(EpochRow(levels[0], lvl_inc, lengths[0], inc))
    for k in range(episodes):
        if not np.allclose(clampex_waveform(rows, holding, n, k), commands[k], rtol=0, atol=atol):
            return None
    return rows
