"""Range and consistency checks for :class:`~vlab.protocols.model.Protocol`.

:func:`validate_protocol` runs whenever a Protocol is constructed (from a file, from
code or through ``with_changes``), so an invalid protocol cannot exist.  Every error
names the source, the key (``epochs[2].duration``) and what is allowed.

The limits are module constants so that documentation and GUIs can quote them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from vlab.protocols.errors import ProtocolError
from vlab.protocols.model import ACQUISITIONS, COMMAND_DIMENSIONS, EPOCH_TYPES, MODES, Epoch
from vlab.schema import Field, check_fields, problem
from vlab.schema import is_integer as _is_int
from vlab.schema import is_number as _is_real
from vlab.units import Quantity, format_si

if TYPE_CHECKING:
    from vlab.protocols.model import Protocol

__all__ = [
    "MAX_ABS_CURRENT",
    "MAX_ABS_CURRENT_DENSITY",
    "MAX_ABS_VOLTAGE",
    "MAX_SAMPLES",
    "MAX_SAMPLE_INTERVAL",
    "MAX_START_TO_START",
    "MAX_SWEEPS",
    "MAX_SWEEP_DURATION",
    "MIN_SAMPLE_INTERVAL",
    "validate_protocol",
]

MAX_SWEEPS = 1000
MIN_SAMPLE_INTERVAL = 1e-6  # s
MAX_SAMPLE_INTERVAL = 1e-3  # s
MAX_SWEEP_DURATION = 600.0  # s
MAX_SAMPLES = 5_000_000  # per sweep
MAX_START_TO_START = 3600.0  # s
#: Largest magnitude accepted for each command dimension, SI (300 mV, 1 mA, 10 mA/cm2).
#: 300 mV is the engine's own limit (vlab.sim.engine refuses clamp commands beyond it), so a
#: protocol the engine would refuse is refused when it is read (exit status 2, not 1).
MAX_ABS_VOLTAGE = 0.3
MAX_ABS_CURRENT = 1e-3
MAX_ABS_CURRENT_DENSITY = 100.0
_MAX_ABS = {
    "voltage": MAX_ABS_VOLTAGE,
    "current": MAX_ABS_CURRENT,
    "current_density": MAX_ABS_CURRENT_DENSITY,
}
_MAX_TEXT = {"voltage": "300 mV", "current": "1 mA", "current_density": "10 mA/cm2"}
_REL = 1e-9  # relative slack for float comparisons

_COMMON_EPOCH_KEYS = ("type", "duration", "level", "level_increment", "duration_increment")
_TRAIN_KEYS = ("pulse_width", "period", "pulses", "pulse_width_increment", "period_increment")
#: Keys accepted in an ``[[epochs]]`` table, by epoch type.
EPOCH_KEYS = {
    "step": _COMMON_EPOCH_KEYS,
    "ramp": _COMMON_EPOCH_KEYS,
    "train": _COMMON_EPOCH_KEYS + _TRAIN_KEYS,
}


def show(value: float, dimension: str) -> str:
    """Human-readable value for messages, e.g. ``show(0.1, 'current_density') == '10 uA/cm2'``."""
    if dimension == "current_density":
        return f"{value / 1e-2:.6g} uA/cm2"
    unit = {"voltage": "V", "current": "A", "time": "s"}.get(dimension, "")
    return format_si(value, unit, digits=6)


def _t(value: float) -> str:
    return show(value, "time")


_TIME_MESSAGES = {
    "kind": "must be a time in seconds (a number), got {value!r}",
    "finite": "must be a finite time, got {value!r}",
    "positive": "must be a positive time, got {shown}",
}


def _time(**rules) -> Field:
    """A positive, finite time in seconds (SI)."""
    messages = {**_TIME_MESSAGES, **rules.pop("messages", {})}
    return Field("number", finite=True, positive=True, show=_t, messages=messages, **rules)


#: the rules for a protocol's own fields (epochs and relations between fields: below)
PROTOCOL_FIELDS = {
    "name": Field("text", non_empty=True),
    "description": Field("text"),
    "mode": Field(
        choices=MODES,
        messages={
            "choice": "'{value!s}' is not a protocol clamp mode; use 'VC' (voltage clamp) "
            "or 'CC' (current clamp)"
        },
    ),
    "acquisition": Field(
        choices=ACQUISITIONS,
        messages={"choice": "{value!r} is not an acquisition mode; use one of: {choices}"},
    ),
    "sweeps": Field(
        "integer",
        low=1,
        high=MAX_SWEEPS,
        messages={"range": "must be between {low:g} and {high:g}, got {value}"},
    ),
    "sample_interval": _time(
        low=MIN_SAMPLE_INTERVAL,
        high=MAX_SAMPLE_INTERVAL,
        slack=_REL,
        messages={"range": "{shown} is outside the allowed range 1 us .. 1 ms"},
    ),
    "sweep_duration": _time(
        high=MAX_SWEEP_DURATION,
        slack=_REL,
        messages={"range": "{shown} is longer than the limit of 600 s"},
    ),
}
_ANY_TIME = _time()
_ANY_INCREMENT = Field("number", finite=True, show=_t, messages=_TIME_MESSAGES)


class _Checker:
    def __init__(self, p: Protocol):
        self.p = p

    def fail(self, key: str | None, problem: str) -> ProtocolError:
        return ProtocolError(problem, source=self.p.source, key=key)

    def first_sweep(self, bad: np.ndarray) -> int:
        return int(np.flatnonzero(bad)[0])

    def sweep_text(self, k: int) -> str:
        return f"on sweep {k + 1} of {self.p.sweeps}"

    # ----------------------------------------------------------- scalar checks
    def time(self, key: str, value: Any, *, positive: bool = True) -> float:
        bad = problem(_ANY_TIME if positive else _ANY_INCREMENT, value)
        if bad is not None:
            raise self.fail(key, bad)
        return float(value)

    def command_quantity(self, key: str, q: Any) -> Quantity:
        allowed = COMMAND_DIMENSIONS[self.p.mode]
        pretty = " or ".join(d.replace("_", " ") for d in allowed)
        if not isinstance(q, Quantity):
            raise self.fail(key, f"must be a Quantity ({pretty}), got {q!r}")
        if q.dimension not in allowed:
            raise self.fail(
                key,
                f"is a {q.dimension.replace('_', ' ')} but a {self.p.mode.words} protocol needs a "
                f"{pretty} here (units: {_units_text(allowed)})",
            )
        if not (_is_real(q.value) and math.isfinite(q.value)):
            raise self.fail(key, f"must be a finite number, got {q.value!r}")
        self.magnitude(key, q.value, q.dimension)
        return q

    def magnitude(self, key: str, value: float, dimension: str, where: str = "") -> None:
        if abs(value) > _MAX_ABS[dimension] * (1 + _REL):
            raise self.fail(
                key,
                f"{show(value, dimension)}{where} is beyond any membrane; the limit is "
                f"±{_MAX_TEXT[dimension]} (check the unit)",
            )

    # ------------------------------------------------------------------- steps
    def run(self) -> None:
        p = self.p
        check_fields({k: getattr(p, k) for k in PROTOCOL_FIELDS}, PROTOCOL_FIELDS, self.fail)
        if p.acquisition == "gap-free" and p.sweeps != 1:
            raise self.fail(
                "sweeps",
                f"a gap-free protocol records one continuous sweep; set sweeps = 1 (got {p.sweeps})",
            )
        dt, T = float(p.sample_interval), float(p.sweep_duration)
        if T < dt * (1 - _REL):
            raise self.fail(
                "sweep_duration", f"{_t(T)} is shorter than one sample_interval ({_t(dt)})"
            )
        if p.n_samples > MAX_SAMPLES:
            raise self.fail(
                "sweep_duration",
                f"{_t(T)} at a sample_interval of {_t(dt)} is {p.n_samples} samples; the limit is "
                f"{MAX_SAMPLES:.0e} samples per sweep (use a longer sample_interval or a shorter sweep)",
            )
        if p.start_to_start is not None:
            s2s = self.time("start_to_start", p.start_to_start)
            if s2s < T * (1 - _REL):
                raise self.fail(
                    "start_to_start",
                    f"{_t(s2s)} is shorter than sweep_duration ({_t(T)}); a sweep must end "
                    "before the next one starts",
                )
            if s2s > MAX_START_TO_START * (1 + _REL):
                raise self.fail("start_to_start", f"{_t(s2s)} is longer than the limit of 1 hour")
        self.command_quantity("holding", p.holding)
        if not isinstance(p.epochs, tuple):
            raise self.fail("epochs", f"must be a tuple of Epoch, got {type(p.epochs).__name__}")
        for i, ep in enumerate(p.epochs):
            self.epoch(i, ep)
        self.fits_in_sweep()

    def epoch(self, i: int, ep: Any) -> None:
        p, key = self.p, f"epochs[{i}]"
        if not isinstance(ep, Epoch):
            raise self.fail(key, f"must be an Epoch, got {ep!r}")
        if ep.type not in EPOCH_TYPES:
            raise self.fail(
                f"{key}.type",
                f"{ep.type!r} is not an epoch type; use one of: {', '.join(EPOCH_TYPES)}",
            )
        k = np.arange(p.sweeps)

        d0 = self.time(f"{key}.duration", ep.duration)
        dinc = self.time(f"{key}.duration_increment", ep.duration_increment, positive=False)
        d = d0 + k * dinc
        self.at_least_one_sample(key, "duration", d, dinc)

        level = self.command_quantity(f"{key}.level", ep.level)
        if ep.level_increment is not None:
            inc = self.command_quantity(f"{key}.level_increment", ep.level_increment)
            if inc.dimension != level.dimension:
                raise self.fail(
                    f"{key}.level_increment",
                    f"is a {inc.dimension.replace('_', ' ')} but level is a "
                    f"{level.dimension.replace('_', ' ')}; write both in the same kind of unit",
                )
            levels = level.value + k * inc.value
            bad = np.abs(levels) > _MAX_ABS[level.dimension] * (1 + _REL)
            if bad.any():
                j = self.first_sweep(bad)
                self.magnitude(
                    f"{key}.level_increment",
                    float(levels[j]),
                    level.dimension,
                    f" reached {self.sweep_text(j)}",
                )

        if ep.type != "train":
            for name in ("pulse_width", "period", "pulses"):
                if getattr(ep, name) is not None:
                    raise self.fail(
                        f"{key}.{name}", f"only train epochs have {name}; this epoch is a {ep.type}"
                    )
            for name in ("pulse_width_increment", "period_increment"):
                if getattr(ep, name) != 0:
                    raise self.fail(
                        f"{key}.{name}", f"only train epochs have {name}; this epoch is a {ep.type}"
                    )
            return

        for name in ("pulse_width", "period", "pulses"):
            if getattr(ep, name) is None:
                raise self.fail(f"{key}.{name}", f"a train epoch needs {name}")
        pulses = ep.pulses
        if pulses is None or not _is_int(pulses):
            raise self.fail(f"{key}.pulses", f"must be a whole number, got {pulses!r}")
        if pulses < 1:
            raise self.fail(f"{key}.pulses", f"must be at least 1, got {pulses}")
        w0 = self.time(f"{key}.pulse_width", ep.pulse_width)
        winc = self.time(f"{key}.pulse_width_increment", ep.pulse_width_increment, positive=False)
        P0 = self.time(f"{key}.period", ep.period)
        Pinc = self.time(f"{key}.period_increment", ep.period_increment, positive=False)
        w, P = w0 + k * winc, P0 + k * Pinc
        self.at_least_one_sample(key, "pulse_width", w, winc)
        self.at_least_one_sample(key, "period", P, Pinc)
        bad = w > P * (1 + _REL)
        if bad.any():
            j = self.first_sweep(bad)
            which = (
                "pulse_width"
                if j == 0
                else ("pulse_width_increment" if winc else "period_increment")
            )
            raise self.fail(
                f"{key}.{which}",
                f"pulse_width ({_t(w[j])}) is longer than period ({_t(P[j])}) {self.sweep_text(j)}; "
                "period is pulse start to pulse start and must be at least pulse_width",
            )
        span = (pulses - 1) * P + w
        bad = span > d * (1 + _REL) + 1e-15
        if bad.any():
            j = self.first_sweep(bad)
            raise self.fail(
                f"{key}.duration",
                f"{ep.pulses} pulses of {_t(w[j])} every {_t(P[j])} need {_t(span[j])} but the "
                f"epoch lasts {_t(d[j])} {self.sweep_text(j)}; lengthen duration or use fewer pulses",
            )

    def at_least_one_sample(self, key: str, name: str, values: np.ndarray, inc: float) -> None:
        """``values`` (one per sweep) must stay positive and at least one sample long."""
        dt = self.p.sample_interval
        bad = values <= 0
        if bad.any():
            j = self.first_sweep(bad)
            raise self.fail(
                f"{key}.{name}_increment" if j else f"{key}.{name}",
                f"{name} becomes {_t(values[j])} {self.sweep_text(j)} "
                f"({_t(values[0])} + {j} × ({_t(inc)})); it must stay positive on every sweep "
                f"(reduce the increment or the number of sweeps)",
            )
        bad = values < dt * (1 - 1e-6)
        if bad.any():
            j = self.first_sweep(bad)
            raise self.fail(
                f"{key}.{name}_increment" if j else f"{key}.{name}",
                f"{name} is {_t(values[j])} {self.sweep_text(j)}, shorter than one "
                f"sample_interval ({_t(dt)}); it would vanish when rounded to samples",
            )

    def fits_in_sweep(self) -> None:
        p = self.p
        if not p.epochs:
            return
        k = np.arange(p.sweeps)
        T = p.sweep_duration
        end = np.zeros(p.sweeps)
        for i, ep in enumerate(p.epochs):
            end = end + ep.duration_at(k)
            bad = end > T * (1 + _REL) + 1e-15
            if bad.any():
                j = self.first_sweep(bad)
                raise self.fail(
                    f"epochs[{i}]",
                    f"the epochs run past the end of the sweep: this epoch ends at {_t(end[j])} "
                    f"{self.sweep_text(j)} but sweep_duration is {_t(T)}; lengthen sweep_duration "
                    "or shorten the epochs",
                )


def _units_text(dimensions: tuple[str, ...]) -> str:
    from vlab.units import units_for

    return ", ".join(u for d in dimensions for u in units_for(d))


def validate_protocol(p: Protocol) -> None:
    """Raise :class:`ProtocolError` if ``p`` breaks any rule of the protocol contract."""
    _Checker(p).run()
