"""Protocol and epoch dataclasses, and the command waveforms they describe.

All numbers are SI floats: times in seconds, voltages in volts, absolute currents in
amperes and current densities in A/m^2.  Levels are kept as
:class:`vlab.units.Quantity` so that a current-clamp protocol can say either
"10 uA/cm2" (a density, scaled by the membrane area when the waveform is built) or
"1 nA" (an absolute current).

Sample ``k`` of a sweep is at ``t = k * sample_interval`` and its command value is held
over ``[t_k, t_k + sample_interval)``.  Epoch boundaries are rounded to the nearest
sample (exact halves round up).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from vlab.clamp import ClampMode
from vlab.units import Quantity, parse_quantity

__all__ = [
    "ACQUISITIONS",
    "COMMAND_DIMENSIONS",
    "EPOCH_TYPES",
    "MODES",
    "Epoch",
    "Protocol",
    "sample_index",
]

#: Clamp modes a protocol can have (written "CC" and "VC"; see vlab.clamp).
MODES = (ClampMode.CC, ClampMode.VC)
#: Acquisition modes, as written in protocol files.
ACQUISITIONS = ("episodic", "gap-free")
#: Epoch types, as written in protocol files.
EPOCH_TYPES = ("step", "ramp", "train")
#: Dimensions allowed for holding, levels and level increments in each mode.
COMMAND_DIMENSIONS: dict[ClampMode, tuple[str, ...]] = {
    ClampMode.VC: ("voltage",),
    ClampMode.CC: ("current", "current_density"),
}

_TIME_FIELDS_EPOCH = (
    "duration",
    "duration_increment",
    "pulse_width",
    "period",
    "pulse_width_increment",
    "period_increment",
)
_TIME_FIELDS_PROTOCOL = ("sweep_duration", "sample_interval", "start_to_start")


def sample_index(t: float, dt: float) -> int:
    """Index of the sample nearest to time ``t`` (s) on a grid of spacing ``dt`` (s).

    Exact halves round up; a relative slack of 1e-9 sample absorbs floating-point
    noise such as ``0.005 / 1e-5 == 500.00000000000006``.
    """
    return int(math.floor(t / dt + 0.5 + 1e-9))


def _coerce_time(name: str, value: Any) -> Any:
    """Allow ``"5 ms"`` in :meth:`with_changes`; leave everything else to validation."""
    if isinstance(value, str):
        return parse_quantity(value, "time").value
    return value


@dataclass(frozen=True)
class Epoch:
    """One epoch of a protocol (one row of a Clampex-style epoch table).

    Parameters
    ----------
    type : {"step", "ramp", "train"}
        ``step`` holds ``level`` for ``duration``; ``ramp`` goes linearly from the level
        at the end of the previous epoch (holding for the first epoch) to ``level``;
        ``train`` gives ``pulses`` pulses of ``level`` lasting ``pulse_width`` every
        ``period``, at holding in between, starting at the beginning of the epoch.
    duration : float
        Epoch length on the first sweep, s.
    level : Quantity
        Level on the first sweep: volts (voltage clamp) or amperes / A/m^2 (current
        clamp).
    level_increment : Quantity or None
        Added to ``level`` on each successive sweep; same dimension as ``level``.
        A zero increment is stored as ``None``.
    duration_increment : float
        Added to ``duration`` on each successive sweep, s.
    pulse_width, period : float or None
        Train only: pulse length and pulse start-to-start interval, s.
    pulses : int or None
        Train only: number of pulses.
    pulse_width_increment, period_increment : float
        Train only: added per sweep, s.
    """

    type: str
    duration: float
    level: Quantity
    level_increment: Quantity | None = None
    duration_increment: float = 0.0
    pulse_width: float | None = None
    period: float | None = None
    pulses: int | None = None
    pulse_width_increment: float = 0.0
    period_increment: float = 0.0

    def __post_init__(self) -> None:
        inc = self.level_increment
        if isinstance(inc, Quantity) and inc.value == 0:
            object.__setattr__(self, "level_increment", None)

    # ----------------------------------------------------------------- per sweep
    @overload
    def duration_at(self, sweep: int) -> float: ...
    @overload
    def duration_at(self, sweep: np.ndarray) -> np.ndarray: ...
    def duration_at(self, sweep):
        """Duration on sweep ``sweep`` (0-based; or an array of sweeps), s."""
        return self.duration + sweep * self.duration_increment

    def level_at(self, sweep: int) -> Quantity:
        """Level on sweep ``sweep`` (0-based), as a Quantity in the level's dimension."""
        if self.level_increment is None:
            return self.level
        return Quantity(self.level.value + sweep * self.level_increment.value, self.level.dimension)

    def pulse_width_at(self, sweep: int) -> float | None:
        """Train pulse width on sweep ``sweep`` (0-based), s; ``None`` for other types."""
        if self.pulse_width is None:
            return None
        return self.pulse_width + sweep * self.pulse_width_increment

    def period_at(self, sweep: int) -> float | None:
        """Train period (pulse start to pulse start) on sweep ``sweep``, s; ``None`` for other types."""
        if self.period is None:
            return None
        return self.period + sweep * self.period_increment

    def with_changes(self, **changes: Any) -> Epoch:
        """A copy with some fields replaced; time fields also accept strings like ``"2 ms"``."""
        for name in _TIME_FIELDS_EPOCH:
            if name in changes:
                changes[name] = _coerce_time(name, changes[name])
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Protocol:
    """A complete stimulation protocol (immutable, validated on construction).

    Parameters
    ----------
    name : str
        Title shown to students.
    mode : ClampMode
        ``VC`` or ``CC`` (any spelling :meth:`ClampMode.parse` reads is converted).
    holding : Quantity
        Command outside the epochs: volts (VC), amperes or A/m^2 (CC).
    sweeps : int
        Number of sweeps, 1..1000.
    sweep_duration : float
        Length of one sweep, s.
    sample_interval : float
        Recording interval, s (1 µs .. 1 ms).  The simulation may step finer.
    epochs : tuple of Epoch
        Epochs in order, the first starting at t = 0.  After the last one the command
        returns to holding until the end of the sweep.
    description : str
        Optional free text for students.
    acquisition : {"episodic", "gap-free"}
        ``gap-free`` protocols stream continuously in the GUI and have one sweep.
    start_to_start : float or None
        Optional sweep start-to-start interval, s (informative, for the GUI).
    source : str
        Where the protocol came from (file name), used in error messages.  Not part of
        equality.

    Raises
    ------
    ProtocolError
        If any value is out of range; see :mod:`vlab.protocols.validate`.
    """

    name: str
    mode: ClampMode
    holding: Quantity
    sweeps: int
    sweep_duration: float
    sample_interval: float
    epochs: tuple[Epoch, ...] = ()
    description: str = ""
    acquisition: str = "episodic"
    start_to_start: float | None = None
    source: str = field(default="<protocol>", compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.epochs, list):
            object.__setattr__(self, "epochs", tuple(self.epochs))
        try:
            object.__setattr__(self, "mode", ClampMode.parse(self.mode))
        except ValueError:
            pass  # validate_protocol says what is wrong with it
        from vlab.protocols.validate import validate_protocol

        validate_protocol(self)

    # ------------------------------------------------------------------ basics
    @property
    def is_voltage_clamp(self) -> bool:
        """True for voltage-clamp protocols."""
        return self.mode is ClampMode.VC

    @property
    def command_unit(self) -> str:
        """SI unit of :meth:`command`: ``"V"`` (voltage clamp) or ``"A"`` (current clamp)."""
        return "V" if self.is_voltage_clamp else "A"

    @property
    def n_samples(self) -> int:
        """Samples per sweep, ``round(sweep_duration / sample_interval)``."""
        return sample_index(self.sweep_duration, self.sample_interval)

    def time(self) -> np.ndarray:
        """Sample times of one sweep, s, shape ``(n_samples,)``: ``k * sample_interval``."""
        return np.arange(self.n_samples, dtype=np.float64) * self.sample_interval

    def with_changes(self, **changes: Any) -> Protocol:
        """A validated copy with some fields replaced.

        Time fields also accept strings (``sweep_duration="50 ms"``) and ``holding``
        accepts a string such as ``"-70 mV"``; other fields take SI values.
        """
        for name in _TIME_FIELDS_PROTOCOL:
            if name in changes:
                changes[name] = _coerce_time(name, changes[name])
        if isinstance(changes.get("holding"), str):
            mode = ClampMode.parse(changes.get("mode", self.mode))
            changes["holding"] = parse_quantity(
                changes["holding"], COMMAND_DIMENSIONS.get(mode, ("voltage",))
            )
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------------- waveform
    def _check_sweep(self, sweep: int) -> int:
        if isinstance(sweep, bool) or not isinstance(sweep, (int, np.integer)):
            raise TypeError(f"sweep must be an integer, got {sweep!r}")
        if not 0 <= sweep < self.sweeps:
            raise IndexError(
                f"sweep {sweep} out of range: {self.name!r} has sweeps 0..{self.sweeps - 1}"
            )
        return int(sweep)

    def _to_command(self, q: Quantity, area_m2: float | None) -> float:
        """Convert a level to command units (V or A)."""
        if q.dimension == "current_density":
            if area_m2 is None:
                raise ValueError(
                    f"protocol {self.name!r} has current densities; pass the membrane area "
                    "area_m2 (m^2) to convert them to amperes"
                )
            return q.value * area_m2
        return q.value

    def epoch_bounds(self, sweep: int) -> list[tuple[int, int]]:
        """Sample index ranges ``[start, end)`` of each epoch on sweep ``sweep`` (0-based)."""
        sweep = self._check_sweep(sweep)
        dt = self.sample_interval
        bounds = []
        t = 0.0
        for ep in self.epochs:
            t_end = t + ep.duration_at(sweep)
            bounds.append((sample_index(t, dt), min(sample_index(t_end, dt), self.n_samples)))
            t = t_end
        return bounds

    def _pulse_bounds(self, ep: Epoch, sweep: int, t0: float, end: int) -> list[tuple[int, int]]:
        dt = self.sample_interval
        width, period = ep.pulse_width_at(sweep), ep.period_at(sweep)
        out: list[tuple[int, int]] = []
        if width is None or period is None or ep.pulses is None:  # not a train
            return out
        for m in range(ep.pulses):
            ts = t0 + m * period
            a, b = sample_index(ts, dt), min(sample_index(ts + width, dt), end)
            if a < b:
                out.append((a, b))
        return out

    def command_sweep(self, sweep: int, area_m2: float | None = None) -> np.ndarray:
        """Command of one sweep, shape ``(n_samples,)``, float64.

        Parameters
        ----------
        sweep : int
            0-based sweep index.
        area_m2 : float, optional
            Membrane area, m^2; required when any current-clamp value is a density.

        Returns
        -------
        numpy.ndarray
            Volts in voltage clamp, amperes in current clamp.  Element ``k`` is the
            command held over ``[k dt, (k+1) dt)``.
        """
        sweep = self._check_sweep(sweep)
        if area_m2 is not None and not (math.isfinite(area_m2) and area_m2 > 0):
            raise ValueError(f"area_m2 must be a positive area in m^2, got {area_m2!r}")
        hold = self._to_command(self.holding, area_m2)
        out = np.full(self.n_samples, hold, dtype=np.float64)
        prev_level = hold
        t = 0.0
        for ep, (a, b) in zip(self.epochs, self.epoch_bounds(sweep), strict=True):
            level = self._to_command(ep.level_at(sweep), area_m2)
            if ep.type == "step":
                out[a:b] = level
                prev_level = level
            elif ep.type == "ramp":
                n = b - a
                if n > 0:
                    out[a:b] = prev_level + (level - prev_level) * (np.arange(n) / n)
                prev_level = level
            else:  # train
                out[a:b] = hold
                pulses = self._pulse_bounds(ep, sweep, t, b)
                for pa, pb in pulses:
                    out[pa:pb] = level
                prev_level = level if pulses and pulses[-1][1] >= b else hold
            t += ep.duration_at(sweep)
        return out

    def command(self, area_m2: float | None = None) -> np.ndarray:
        """Command of all sweeps, shape ``(sweeps, n_samples)``, float64.

        Parameters
        ----------
        area_m2 : float, optional
            Membrane area, m^2.  Current densities (A/m^2) are multiplied by it;
            required when any current-clamp value is a density, ignored otherwise.

        Returns
        -------
        numpy.ndarray
            Volts (voltage clamp) or amperes (current clamp).
        """
        out = np.empty((self.sweeps, self.n_samples), dtype=np.float64)
        for k in range(self.sweeps):
            out[k] = self.command_sweep(k, area_m2)
        return out

    def epoch_table(self, sweep: int = 0, area_m2: float | None = None) -> list[dict[str, Any]]:
        """The epochs of one sweep as rows for display.

        Parameters
        ----------
        sweep : int
            0-based sweep index.
        area_m2 : float, optional
            If given, current-clamp levels are converted to amperes; otherwise each
            level stays in the SI unit of its own dimension (V, A or A/m^2).

        Returns
        -------
        list of dict
            One dict per epoch with ``index``, ``label`` ("A", "B", ... as in
            Clampex), ``type``, ``start`` and ``end`` (s, on the sample grid),
            ``start_index``, ``end_index``, ``duration`` (s, as written), ``level``
            (SI), ``dimension`` of ``level``; trains add ``pulse_width``, ``period``
            (s) and ``pulses``.
        """
        sweep = self._check_sweep(sweep)
        dt = self.sample_interval
        rows = []
        for i, (ep, (a, b)) in enumerate(zip(self.epochs, self.epoch_bounds(sweep), strict=True)):
            q = ep.level_at(sweep)
            level, dim = q.value, q.dimension
            if area_m2 is not None and dim == "current_density":
                level, dim = self._to_command(q, area_m2), "current"
            row: dict[str, Any] = {
                "index": i,
                "label": chr(ord("A") + i) if i < 26 else str(i + 1),
                "type": ep.type,
                "start": a * dt,
                "end": b * dt,
                "start_index": a,
                "end_index": b,
                "duration": ep.duration_at(sweep),
                "level": level,
                "dimension": dim,
            }
            if ep.type == "train":
                row.update(
                    pulse_width=ep.pulse_width_at(sweep),
                    period=ep.period_at(sweep),
                    pulses=ep.pulses,
                )
            rows.append(row)
        return rows
