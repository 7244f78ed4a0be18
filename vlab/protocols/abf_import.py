"""A Clampex protocol as a vlab protocol: the epoch table of an ABF file's DAC 0.

Clampex plays each sweep as: the holding level for the first 1/64 of the sweep, then the
enabled epochs in order (level ``init + sweep * increment``, duration likewise), then the
holding level to the end. vlab's epochs start at t = 0 and return to holding after the
last one, so the table becomes: a step at holding lasting 1/64 of the sweep, then one
vlab epoch per enabled Clampex epoch (Step -> ``step``, Pulse -> ``train``,
Ramp -> ``ramp``). The result is checked sample by sample against the command pyABF
builds from the same table (``sweepC``); a table vlab cannot express exactly is refused
with the reason (``approximate=True`` accepts a ramp, whose last sample pyABF puts on
its level while vlab reaches it one sample later).

Qt-free; every failure is a :class:`ProtocolError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from vlab.clamp import ClampMode
from vlab.protocols.errors import ProtocolError
from vlab.protocols.model import Epoch, Protocol
from vlab.safe_read import BadFileError, open_regular
from vlab.units import Quantity

__all__ = ["MAX_ABF_BYTES", "abf_commands", "protocol_from_abf"]

MAX_ABF_BYTES = 512 * 2**20
"""Largest ABF file whose protocol is read (bytes; only its header is used)."""

#: DAC unit -> (clamp mode, dimension, factor to SI)
_DAC_UNITS = {
    "mv": (ClampMode.VC, "voltage", 1e-3),
    "v": (ClampMode.VC, "voltage", 1.0),
    "pa": (ClampMode.CC, "current", 1e-12),
    "na": (ClampMode.CC, "current", 1e-9),
}
_TYPES = {"Step": "step", "Pulse": "train", "Ramp": "ramp"}
#: largest command difference accepted as identical, relative to the largest command
_REL_TOL = 1e-9


def _open(path: str | os.PathLike[str]) -> Any:
    import pyabf

    source = str(path)
    try:
        with open_regular(path, MAX_ABF_BYTES) as fh:
            head = fh.read(4)
    except BadFileError as exc:
        raise ProtocolError(exc.args[0], source=source) from None
    if head not in (b"ABF ", b"ABF2"):
        raise ProtocolError("is not an ABF file (Clampex's binary format)", source=source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pyabf.ABF(source, loadData=False)
    except Exception as exc:  # pyABF raises bare Exceptions for damaged files
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ProtocolError(f"is not a readable ABF file ({detail})", source=source) from exc


def _table(abf: Any, source: str) -> tuple[list[Any], float, bool]:
    """(enabled epochs of DAC 0, holding level in DAC units, hold last level between sweeps)."""
    from pyabf.waveform import EpochTable

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = EpochTable(abf, 0)
    return list(table.epochs), float(table.holdingLevel), bool(table.returnToHold)


def abf_commands(path: str | os.PathLike[str]) -> tuple[np.ndarray, str]:
    """(command of every sweep as pyABF builds it from the epoch table, DAC 0 unit)."""
    abf = _open(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rows = []
        for k in abf.sweepList:
            abf.setSweep(k, channel=0)
            rows.append(np.asarray(abf.sweepC, dtype=np.float64))
    return np.vstack(rows), str(abf.dacUnits[0]).strip("\x00 ")


def protocol_from_abf(path: str | os.PathLike[str], approximate: bool = False) -> Protocol:
    """The vlab protocol of an ABF file's epoch table (module docstring).

    Parameters
    ----------
    path
        A Clampex ABF 1.x or 2.x file (episodic stimulation).
    approximate
        Accept a protocol whose command differs from Clampex's (ramps); the largest
        difference is in the protocol's description.

    Raises
    ------
    ProtocolError
        Not a readable ABF file, not episodic, a DAC unit or epoch type vlab has no
        equivalent for, or a command vlab cannot reproduce exactly (unless
        ``approximate``).
    """
    source = str(path)
    abf = _open(path)
    name = Path(path).name
    unit = str(abf.dacUnits[0]).strip("\x00 ") if len(abf.dacUnits) else ""
    if unit.lower() not in _DAC_UNITS:
        raise ProtocolError(
            f"its command (DAC 0) is in {unit or 'no unit'!r}; vlab imports voltage-clamp "
            "(mV) and current-clamp (pA, nA) protocols",
            source=source,
        )
    mode, dimension, factor = _DAC_UNITS[unit.lower()]
    epochs, holding, hold_last = _table(abf, source)
    n = int(abf.sweepPointCount)
    dt = 1.0 / float(abf.dataRate)
    if not epochs:
        raise ProtocolError("has no epoch table on DAC 0 (not an episodic protocol)", source=source)
    if hold_last and abf.sweepCount > 1 and not approximate:
        raise ProtocolError(
            "holds each sweep's last level until the next sweep (Clampex's 'use last epoch "
            "level' between sweeps), where vlab protocols return to holding; import it with "
            "approximate=True (--approximate) to accept that",
            source=source,
        )

    def level(value: float) -> Quantity:
        return Quantity(float(f"{float(value) * factor:.12g}"), dimension)

    def seconds(samples: float) -> float:
        return float(f"{samples * dt:.12g}")  # 1093 samples of 50 us: 54.65 ms, no float dust

    out = [Epoch("step", seconds(n // 64), level(holding))]  # Clampex's pre-sweep holding
    for ep in epochs:
        kind = _TYPES.get(ep.epochTypeStr)
        if kind is None:
            raise ProtocolError(
                f"epoch {ep.epochLetter} is a {ep.epochTypeStr} epoch, which vlab protocols "
                "do not have (they have steps, ramps and pulse trains)",
                source=source,
            )
        extra: dict[str, Any] = {}
        if kind == "train":
            if ep.pulsePeriod <= 0 or ep.pulseWidth <= 0:
                raise ProtocolError(
                    f"epoch {ep.epochLetter} is a train without pulses", source=source
                )
            extra = {
                "pulse_width": seconds(ep.pulseWidth),
                "period": seconds(ep.pulsePeriod),
                "pulses": int(ep.duration // ep.pulsePeriod),
            }
        out.append(
            Epoch(
                kind,
                seconds(ep.duration),
                level(ep.level),
                level(ep.levelDelta),
                duration_increment=seconds(ep.durationDelta),
                **extra,
            )
        )
    protocol_name = str(getattr(abf, "protocol", "") or "")
    title = protocol_name if protocol_name and protocol_name != "None" else Path(name).stem
    description = f"Imported from {name} (Clampex protocol {title!r}, ABF {abf.abfVersionString})."
    interval = float(abf.sweepIntervalSec)
    try:
        protocol = Protocol(
            name=title,
            mode=mode,
            holding=level(holding),
            sweeps=int(abf.sweepCount),
            sweep_duration=seconds(n),
            sample_interval=seconds(1),
            epochs=tuple(out),
            description=description,
            start_to_start=interval if interval > n * dt else None,
            source=source,
        )
    except ProtocolError as exc:
        raise ProtocolError(f"cannot be a vlab protocol: {exc.problem}", source=source) from None
    worst = _difference(protocol, abf, factor)
    if worst > 0:
        if not approximate:
            raise ProtocolError(
                "vlab's protocol would differ from Clampex's command by up to "
                f"{worst / factor:.4g} {unit} (a ramp, or a train that does not start from "
                "holding); import it with approximate=True (--approximate) to accept that",
                source=source,
            )
        note = f" Its command differs from Clampex's by up to {worst / factor:.4g} {unit}."
        protocol = protocol.with_changes(description=description + note)
    return protocol


def _difference(protocol: Protocol, abf: Any, factor: float) -> float:
    """Largest |vlab command - pyABF's sweepC| (SI), 0 when equal to rounding."""
    mine = protocol.command()
    worst = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for k in abf.sweepList:
            abf.setSweep(k, channel=0)
            theirs = np.asarray(abf.sweepC, dtype=np.float64) * factor
            if theirs.shape != mine[k].shape or not np.all(np.isfinite(theirs)):
                return float("inf")
            worst = max(worst, float(np.max(np.abs(mine[k] - theirs))))
    scale = max(float(np.max(np.abs(mine))), 1e-30)
    return 0.0 if worst <= _REL_TOL * scale else worst
