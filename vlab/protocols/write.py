"""Writing a Protocol back to TOML text with units (inverse of :mod:`vlab.protocols.parse`)."""

from __future__ import annotations

from typing import Any

import tomli_w

from vlab.protocols.model import Epoch, Protocol
from vlab.units import UNITS, Quantity, parse_quantity

__all__ = ["format_quantity", "protocol_to_toml", "protocol_to_dict"]

#: Units tried when writing each dimension, in order of preference.  Voltages and
#: densities always prefer the textbook unit (mV, uA/cm2); currents and times prefer
#: the unit that puts the number between 1 and 1000.
_PREFERRED_UNITS = {
    "voltage": ("mV", "V", "uV"),
    "current_density": ("uA/cm2", "mA/cm2", "nA/cm2", "A/m2"),
    "current": ("nA", "pA", "uA", "mA", "A"),
    "time": ("ms", "us", "s"),
}
_BY_MAGNITUDE = ("current", "time")
_SI_UNIT = {"voltage": "V", "current": "A", "current_density": "A/m2", "time": "s"}


def _candidates(value: float, dimension: str) -> list[str]:
    units = list(_PREFERRED_UNITS[dimension])
    if dimension in _BY_MAGNITUDE and value != 0:
        units.sort(key=lambda u: not 1 <= abs(value / UNITS[u][1]) < 1000)  # stable
    return units


def _number(x: float) -> str:
    return "0" if x == 0 else f"{x:.12g}"


def format_quantity(value: float, dimension: str) -> str:
    """Text with a unit that parses back to exactly ``value``.

    Parameters
    ----------
    value : float
        SI value.
    dimension : str
        ``voltage``, ``current``, ``current_density`` or ``time``.

    Returns
    -------
    str
        The first preferred unit whose plain decimal number (at most 12 significant
        digits, no exponent) parses back to exactly ``value``; failing that the
        shortest exact text in any unit (``parse_quantity`` multiplies by the unit's
        factor, so e.g. ``"10 us"`` is 9.999999999999999e-06 s, not 1e-05 s).

    Examples
    --------
    >>> format_quantity(0.1, "current_density")
    '10 uA/cm2'
    >>> format_quantity(-0.065, "voltage")
    '-65 mV'
    >>> format_quantity(2e-3, "time")
    '2 ms'
    """
    exact: list[str] = []
    for unit in _candidates(value, dimension):
        factor = UNITS[unit][1]
        short = f"{_number(value / factor)} {unit}"
        if parse_quantity(short, dimension).value == value:
            if "e" not in short.split()[0]:
                return short
            exact.append(short)
        full = f"{value / factor!r} {unit}"
        if parse_quantity(full, dimension).value == value:
            exact.append(full)
    exact.append(f"{value!r} {_SI_UNIT[dimension]}")  # always exact
    return min(exact, key=len)


def _q(q: Quantity) -> str:
    return format_quantity(q.value, q.dimension)


def _t(t: float) -> str:
    return format_quantity(t, "time")


def _epoch_dict(ep: Epoch) -> dict[str, Any]:
    d: dict[str, Any] = {"type": ep.type, "duration": _t(ep.duration), "level": _q(ep.level)}
    if ep.level_increment is not None:
        d["level_increment"] = _q(ep.level_increment)
    if ep.duration_increment:
        d["duration_increment"] = _t(ep.duration_increment)
    if ep.type == "train":
        assert ep.pulse_width is not None and ep.period is not None and ep.pulses is not None
        d["pulse_width"] = _t(ep.pulse_width)
        d["period"] = _t(ep.period)
        d["pulses"] = int(ep.pulses)
        if ep.pulse_width_increment:
            d["pulse_width_increment"] = _t(ep.pulse_width_increment)
        if ep.period_increment:
            d["period_increment"] = _t(ep.period_increment)
    return d


def protocol_to_dict(p: Protocol) -> dict[str, Any]:
    """The TOML table of ``p``: plain strings, ints and lists, values written with units."""
    d: dict[str, Any] = {"name": p.name}
    if p.description:
        d["description"] = p.description
    d["mode"] = p.mode.value
    d["acquisition"] = p.acquisition
    d["holding"] = _q(p.holding)
    d["sweeps"] = int(p.sweeps)
    d["sweep_duration"] = _t(p.sweep_duration)
    d["sample_interval"] = _t(p.sample_interval)
    if p.start_to_start is not None:
        d["start_to_start"] = _t(p.start_to_start)
    if p.epochs:
        d["epochs"] = [_epoch_dict(ep) for ep in p.epochs]
    return d


def protocol_to_toml(p: Protocol) -> str:
    """TOML text for ``p``; ``parse_protocol(protocol_to_toml(p)) == p``.

    Values are written with units (``"-65 mV"``, ``"10 uA/cm2"``, ``"5 ms"``), chosen
    so that each parses back to exactly the same float.  Zero increments are omitted.
    """
    table = protocol_to_dict(p)
    epochs = table.pop("epochs", [])
    parts = [tomli_w.dumps(table)]
    # Always write [[epochs]] blocks (tomli_w would inline short tables), as instructors do.
    parts += [f"\n[[epochs]]\n{tomli_w.dumps(ep)}" for ep in epochs]
    return "".join(parts)
