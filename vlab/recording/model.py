"""Recorded sweeps with provenance: :class:`Sweep` and :class:`Recording`.

All arrays are float64 in SI units (V, A, S, s; gates are dimensionless), except
that float32 arrays are kept as float32: the rig window stores its live recording
compactly (:func:`vlab.recording.budget.compact_sweep`; float32's 24-bit mantissa is
finer than the amplifier's 16-bit digitiser).
The unit of a channel comes from :data:`CHANNEL_UNITS`, or from its name
(``I*`` -> A, ``g*`` -> S, otherwise dimensionless); the ``command`` channel
is in V in voltage clamp and in A in current clamp (and I=0), so a sweep that
has one must say its clamp mode in ``provenance['mode']``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.clamp import ClampMode
from vlab.recording._jsonutil import to_jsonable
from vlab.recording.errors import RecordingError

__all__ = [
    "CHANNEL_UNITS",
    "Recording",
    "Sweep",
    "channel_unit",
    "clamp_mode",
    "is_voltage_clamp",
]

#: SI unit of each known channel; '1' means dimensionless. ``command`` is mode-dependent.
CHANNEL_UNITS: dict[str, str] = {
    "Vm": "V",
    "Im": "A",
    "m": "1",
    "h": "1",
    "n": "1",
    "p": "1",
    "INa": "A",
    "IK": "A",
    "IL": "A",
    "ICl": "A",
    "IM": "A",
    "gNa": "S",
    "gK": "S",
    "gCl": "S",
    "gM": "S",
}


def clamp_mode(mode: object) -> ClampMode:
    """The :class:`~vlab.clamp.ClampMode` of a provenance ``mode`` (any spelling it reads).

    Raises
    ------
    RecordingError
        For anything else (including ``None``).
    """
    try:
        return ClampMode.parse(mode)
    except ValueError:
        raise RecordingError(
            f"Unknown clamp mode {mode!r}: expected one of 'VC', 'CC' or 'I=0' "
            "(needed to know whether the command is in volts or amperes)."
        ) from None


def is_voltage_clamp(mode: object) -> bool:
    """True in voltage clamp, False in current clamp or I=0 (see :func:`clamp_mode`)."""
    return clamp_mode(mode) is ClampMode.VC


def channel_unit(name: str, mode: object = None) -> str:
    """SI unit symbol of channel ``name`` ('V', 'A', 'S' or '1').

    Parameters
    ----------
    name
        Channel name, e.g. ``'Vm'``, ``'INa'``, ``'gK'``, ``'command'``.
    mode
        Clamp mode, needed only for ``'command'`` (V in 'VC', A otherwise).
    """
    if name == "command":
        return "V" if is_voltage_clamp(mode) else "A"
    if "@" in name:  # a variable at a place, e.g. "Vm@2cm" on an axon
        return channel_unit(name.split("@", 1)[0], mode)
    unit = CHANNEL_UNITS.get(name)
    if unit is not None:
        return unit
    if name.startswith("I"):
        return "A"
    if name.startswith("g"):
        return "S"
    return "1"


def _now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(eq=False)
class Sweep:
    """One recorded sweep.

    Parameters
    ----------
    index
        Sweep number within its protocol run (0-based).
    dt
        Sample interval, s (finite, > 0).
    channels
        ``{name: 1-D array}``, all of equal length (at least one sample), in SI
        units (see :func:`channel_unit`). Stored as read-only float64 views
        (float32 arrays stay float32): do not modify the arrays you passed in
        afterwards.
    t0
        Start time of the sweep in experiment time, s.
    provenance
        JSON-serialisable description of how the sweep was made:
        ``vlab_version``, ``preparation``, ``parameters``, ``concentrations`` (mM),
        ``temperature_C``, reversal potentials (mV), ``drugs``
        (``{name: {"concentration_M": .., "fraction_blocked": ..}}``), ``mode``,
        ``protocol_name``, ``protocol_toml``, ``seed``, ``created`` (ISO time),
        ``run_id``. numpy values and enums are converted; ``vlab_version`` and
        ``created`` are filled in when missing.
    kept
        The student's keep/discard mark.
    label
        Free text, e.g. ``"control"`` or ``"TTX"``.

    Raises
    ------
    RecordingError
        On unequal lengths, non-finite values, a bad ``dt``, unserialisable
        provenance, or a ``command`` channel without a known ``mode``.
    """

    index: int
    dt: float
    channels: dict[str, np.ndarray]
    t0: float = 0.0
    provenance: dict = field(default_factory=dict)
    kept: bool = True
    label: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, (int, np.integer)):
            raise RecordingError(f"Sweep index must be an integer, not {self.index!r}.")
        self.index = int(self.index)
        self.dt = _finite_float(self.dt, "dt")
        if self.dt <= 0:
            raise RecordingError(f"The sample interval dt must be > 0 s, not {self.dt!r}.")
        self.t0 = _finite_float(self.t0, "t0")
        self.kept = bool(self.kept)
        self.label = str(self.label)
        try:
            prov = to_jsonable(dict(self.provenance or {}), "provenance")
        except TypeError as exc:
            raise RecordingError(f"Sweep {self.index}: {exc}.") from exc
        prov.setdefault("vlab_version", _VLAB_VERSION)
        prov.setdefault("created", _now_iso())
        if "command" in (self.channels or {}):
            prov["mode"] = clamp_mode(prov.get("mode")).value  # raises with a clear message
        elif "mode" in prov:
            try:  # one spelling in every file vlab writes; foreign text is kept as it is
                prov["mode"] = ClampMode.parse(prov["mode"]).value
            except ValueError:
                pass
        self.provenance = prov
        self.channels = self._checked_channels(self.channels)

    def _checked_channels(self, channels: Mapping[str, Any]) -> dict[str, np.ndarray]:
        if not channels:
            raise RecordingError(f"Sweep {self.index} has no channels.")
        out: dict[str, np.ndarray] = {}
        n = None
        for name, values in channels.items():
            if not isinstance(name, str) or not name:
                raise RecordingError(f"Sweep {self.index}: channel names must be non-empty text.")
            try:
                arr = np.asarray(values)
                if arr.dtype != np.float32:
                    arr = np.asarray(arr, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise RecordingError(f"Sweep {self.index}: channel {name} is not numeric.") from exc
            if arr.ndim != 1 or arr.size == 0:
                raise RecordingError(
                    f"Sweep {self.index}: channel {name} must be a 1-D array with at least "
                    f"one sample (got shape {arr.shape})."
                )
            if n is None:
                n = arr.size
            elif arr.size != n:
                raise RecordingError(
                    f"Sweep {self.index}: channels have unequal lengths "
                    f"({next(iter(out))} has {n} samples, {name} has {arr.size})."
                )
            bad = ~np.isfinite(arr)
            if bad.any():
                i = int(np.argmax(bad))
                raise RecordingError(
                    f"Sweep {self.index}: channel {name} has a non-finite value "
                    f"({arr[i]}) at sample {i} (t = {i * self.dt * 1e3:g} ms). "
                    "The simulation probably became unstable; this sweep cannot be recorded."
                )
            view = arr.view()
            view.flags.writeable = False
            out[name] = view
        return out

    @property
    def n_samples(self) -> int:
        """Number of samples per channel."""
        return int(next(iter(self.channels.values())).size)

    @property
    def duration(self) -> float:
        """Sweep length, s (``n_samples * dt``)."""
        return self.n_samples * self.dt

    @property
    def mode(self) -> ClampMode | None:
        """Clamp mode from provenance, or None when it has none (or one vlab cannot read)."""
        try:
            return ClampMode.parse(self.provenance.get("mode"))
        except ValueError:
            return None

    def unit(self, name: str) -> str:
        """SI unit of channel ``name`` in this sweep ('V', 'A', 'S' or '1')."""
        return channel_unit(name, self.mode)

    def time(self, absolute: bool = False) -> np.ndarray:
        """Sample times, s: from 0 within the sweep, or from ``t0`` if ``absolute``."""
        t = np.arange(self.n_samples, dtype=np.float64) * self.dt
        return t + self.t0 if absolute else t

    def __getitem__(self, name: str) -> np.ndarray:
        return self.channels[name]

    def with_channels(self, names: Iterable[str]) -> Sweep:
        """A sweep sharing this one's arrays but holding only the channels in ``names``
        that it has (in this sweep's order); time, provenance, mark and label unchanged.

        Raises
        ------
        RecordingError
            If none of ``names`` is a channel of this sweep.
        """
        wanted = set(names)
        return Sweep(
            index=self.index,
            dt=self.dt,
            channels={k: v for k, v in self.channels.items() if k in wanted},
            t0=self.t0,
            provenance=self.provenance,
            kept=self.kept,
            label=self.label,
        )

    def to_meta(self) -> dict[str, Any]:
        """Everything but the arrays, as JSON types (for file formats)."""
        return {
            "index": self.index,
            "dt": self.dt,
            "t0": self.t0,
            "kept": self.kept,
            "label": self.label,
            "channels": list(self.channels),
            "provenance": self.provenance,
        }

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], channels: Mapping[str, np.ndarray]) -> Sweep:
        """Rebuild a sweep from :meth:`to_meta` output and its arrays."""
        return cls(
            index=meta["index"],
            dt=meta["dt"],
            channels=dict(channels),
            t0=meta.get("t0", 0.0),
            provenance=meta.get("provenance") or {},
            kept=meta.get("kept", True),
            label=meta.get("label", ""),
        )


def _finite_float(value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{what} must be a number of seconds, not {value!r}.") from exc
    if not math.isfinite(out):
        raise RecordingError(f"{what} must be finite, not {value!r}.")
    return out


@dataclass(eq=False, init=False)
class Recording:
    """An ordered list of sweeps plus experiment-level metadata.

    Parameters
    ----------
    sweeps
        The sweeps, in recording order (any iterable; kept as a list of their own).
    metadata
        JSON-serialisable experiment-level information (preparation, area_cm2,
        student name...), written into exports alongside the sweeps.
    imported
        Sweeps of real cells' recordings (ABF, ATF, NWB) opened beside the model's for
        comparison, each marked ``provenance["imported"]`` with its ``source_file``. They
        travel with the experiment file but are not part of :attr:`sweeps` (not counted,
        iterated, exported or shown on the scope).
    """

    sweeps: list[Sweep]
    metadata: dict
    imported: list[Sweep]

    def __init__(
        self,
        sweeps: Iterable[Sweep] = (),
        metadata: Mapping[str, Any] | None = None,
        imported: Iterable[Sweep] = (),
    ) -> None:
        self.sweeps = list(sweeps)
        self.imported = list(imported)
        for s in self.sweeps + self.imported:
            _check_sweep(s)
        try:
            self.metadata = to_jsonable(dict(metadata or {}), "metadata")
        except TypeError as exc:
            raise RecordingError(f"Recording {exc}.") from exc

    def __len__(self) -> int:
        return len(self.sweeps)

    def __iter__(self) -> Iterator[Sweep]:
        return iter(self.sweeps)

    def __getitem__(self, position: int) -> Sweep:
        return self.sweeps[position]

    def append(self, sweep: Sweep) -> Sweep:
        """Add ``sweep`` at the end and return it."""
        self.sweeps.append(_check_sweep(sweep))
        return sweep

    def extend(self, sweeps: Iterable[Sweep]) -> None:
        """Append several sweeps."""
        for s in sweeps:
            self.append(s)

    def remove(self, sweep: Sweep | int) -> Sweep:
        """Remove a sweep (the object itself, or its position) and return it."""
        if isinstance(sweep, Sweep):
            for i, s in enumerate(self.sweeps):
                if s is sweep:
                    return self.sweeps.pop(i)
            raise RecordingError("That sweep is not part of this recording.")
        return self.sweeps.pop(sweep)

    def clear(self) -> None:
        """Remove every sweep (metadata is kept)."""
        self.sweeps.clear()

    def select(
        self,
        *,
        kept: bool | None = None,
        label: str | None = None,
        mode: ClampMode | str | None = None,
        run_id: str | None = None,
        positions: Iterable[int] | None = None,
    ) -> Recording:
        """A new Recording sharing the matching sweeps (and a copy of the metadata).

        Every given criterion must match; ``positions`` are indices into
        :attr:`sweeps`, kept in the order given.
        """
        pool = self.sweeps if positions is None else [self.sweeps[i] for i in positions]
        out = [
            s
            for s in pool
            if (kept is None or s.kept == kept)
            and (label is None or s.label == label)
            and (mode is None or s.mode is ClampMode.parse(mode))
            and (run_id is None or s.provenance.get("run_id") == run_id)
        ]
        return Recording(out, dict(self.metadata))

    def kept_sweeps(self) -> list[Sweep]:
        """The sweeps the student marked as kept."""
        return [s for s in self.sweeps if s.kept]

    @property
    def labels(self) -> list[str]:
        """Distinct non-empty labels, in order of first appearance."""
        return list(dict.fromkeys(s.label for s in self.sweeps if s.label))


def _check_sweep(sweep: object) -> Sweep:
    if not isinstance(sweep, Sweep):
        raise RecordingError(f"A Recording holds Sweep objects, not {type(sweep).__name__}.")
    return sweep
