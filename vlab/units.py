"""Units: parsing of quantities written with units, and SI formatting.

Every value that crosses a module boundary in vlab is a float in SI base units
(V, A, s, S, F, m, mol/m^3 == mM, degC for temperature). This module is the one
place where strings such as ``"10 uA/cm2"`` or ``"-65 mV"`` become numbers.

Dimensions are named by short strings:

==================  ==========================  ====================================
dimension           SI value means               accepted units (case-sensitive)
==================  ==========================  ====================================
``voltage``         volts                        V, mV, uV, µV
``current``         amperes                      A, mA, uA, µA, nA, pA
``current_density`` A/m^2                        A/m2, mA/cm2, uA/cm2, µA/cm2, nA/cm2
``time``            seconds                      s, ms, us, µs
``conductance``     siemens                      S, mS, uS, µS, nS, pS
``conductance_density`` S/m^2                    S/cm2, mS/cm2, uS/cm2, S/m2
``concentration``   mol/m^3 (numerically mM)     M, mM, uM, µM, nM, pM
``mass_concentration`` kg/m^3 (numerically mg/ml) mg/ml, mg/mL, ug/ml, g/l
``temperature``     degrees Celsius              degC, °C, C, K
``length``          metres                       m, cm, mm, um, µm
``area``            m^2                          cm2, um2, µm2, mm2, m2
``capacitance_density`` F/m^2                    uF/cm2, µF/cm2, F/m2
``resistance``      ohms                         ohm, kohm, Mohm, Gohm, Ω, kΩ, MΩ, GΩ
``capacitance``     farads                       F, uF, µF, nF, pF
``resistivity``     ohm*m                        ohm*cm, Ohm*cm, Ω*cm, ohm*m
``frequency``       hertz                        Hz, kHz
``volume``          m^3                          l, ml, mL, ul, µl, uL
``flow``            m^3/s                        ml/min, mL/min, ul/min, ml/s
``velocity``        m/s                          m/s, mm/ms, cm/ms
==================  ==========================  ====================================
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "UNITS",
    "Quantity",
    "UnitError",
    "format_si",
    "parse_quantity",
    "units_for",
]


class UnitError(ValueError):
    """A quantity string could not be understood; the message says what is allowed."""


#: unit symbol -> (dimension, factor to SI). Temperature is handled separately (offsets).
UNITS: dict[str, tuple[str, float]] = {}


def _add(dim: str, table: dict[str, float]) -> None:
    for sym, f in table.items():
        UNITS[sym] = (dim, f)


_add("voltage", {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6})
_add("current", {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "nA": 1e-9, "pA": 1e-12})
_add(
    "current_density",
    {"A/m2": 1.0, "mA/cm2": 10.0, "uA/cm2": 1e-2, "µA/cm2": 1e-2, "nA/cm2": 1e-5},
)
_add("time", {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6})
_add("conductance", {"S": 1.0, "mS": 1e-3, "uS": 1e-6, "µS": 1e-6, "nS": 1e-9, "pS": 1e-12})
_add(
    "conductance_density",
    {"S/m2": 1.0, "S/cm2": 1e4, "mS/cm2": 10.0, "uS/cm2": 1e-2, "µS/cm2": 1e-2},
)
_add("concentration", {"M": 1e3, "mM": 1.0, "uM": 1e-3, "µM": 1e-3, "nM": 1e-6, "pM": 1e-9})
_add(
    "mass_concentration",
    {"mg/ml": 1.0, "mg/mL": 1.0, "ug/ml": 1e-3, "µg/ml": 1e-3, "g/l": 1.0, "g/L": 1.0},
)
_add("length", {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6})
_add("area", {"m2": 1.0, "cm2": 1e-4, "mm2": 1e-6, "um2": 1e-12, "µm2": 1e-12})
_add("capacitance_density", {"F/m2": 1.0, "uF/cm2": 1e-2, "µF/cm2": 1e-2})
_add(
    "resistance",
    {"ohm": 1.0, "kohm": 1e3, "Mohm": 1e6, "Gohm": 1e9, "Ω": 1.0, "kΩ": 1e3, "MΩ": 1e6, "GΩ": 1e9},
)
_add("capacitance", {"F": 1.0, "uF": 1e-6, "µF": 1e-6, "nF": 1e-9, "pF": 1e-12})
_add("resistivity", {"ohm*m": 1.0, "ohm*cm": 1e-2, "Ohm*cm": 1e-2, "Ω*cm": 1e-2, "ohm cm": 1e-2})
_add("frequency", {"Hz": 1.0, "kHz": 1e3})
_add("volume", {"l": 1e-3, "ml": 1e-6, "mL": 1e-6, "ul": 1e-9, "µl": 1e-9, "uL": 1e-9})
_add("flow", {"ml/min": 1e-6 / 60, "mL/min": 1e-6 / 60, "ul/min": 1e-9 / 60, "ml/s": 1e-6})
_add("velocity", {"m/s": 1.0, "mm/ms": 1.0, "cm/ms": 10.0})
_TEMPERATURE_UNITS = {"degC": 0.0, "°C": 0.0, "C": 0.0, "K": -273.15}


def units_for(dimension: str) -> list[str]:
    """The unit symbols accepted for ``dimension`` (for error messages and GUIs)."""
    if dimension == "temperature":
        return list(_TEMPERATURE_UNITS)
    return [u for u, (d, _) in UNITS.items() if d == dimension]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A parsed value: ``value`` in SI units of ``dimension``."""

    value: float
    dimension: str

    def __float__(self) -> float:
        return self.value


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QTY_RE = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d].*?)?\s*$")


def parse_quantity(
    text: str | float | int, allowed: str | tuple[str, ...] | None = None
) -> Quantity:
    """Parse ``"10 uA/cm2"`` into a :class:`Quantity` in SI units.

    Parameters
    ----------
    text
        A number followed by a unit, e.g. ``"-65 mV"``, ``"1e-3 s"``, ``"100nM"``.
        Bare numbers are refused: a unit is always required (it is too easy to
        confuse mV with V).
    allowed
        A dimension name or a tuple of them; anything else is refused with a
        message listing what is allowed.

    Raises
    ------
    UnitError
        With a one-line explanation of what was wrong and what is accepted.
    """
    if isinstance(allowed, str):
        allowed = (allowed,)
    want = ", ".join(f"{d} ({' '.join(units_for(d))})" for d in allowed) if allowed else "a unit"
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise UnitError(f"expected a value with a unit, e.g. '10 ms'; got {text!r}")
    if isinstance(text, (int, float)):
        raise UnitError(f"the number {text!r} has no unit; write it as a string with {want}")
    m = _QTY_RE.match(text)
    if not m:
        raise UnitError(f"cannot read {text!r} as a number with a unit (allowed: {want})")
    number, unit = float(m.group(1)), (m.group(2) or "").strip()
    unit = unit.replace("\u03bc", "\u00b5")  # Greek mu (keyboards, Word) is the micro sign
    if not math.isfinite(number):
        raise UnitError(f"{text!r} is not a finite number")
    if not unit:
        raise UnitError(f"{text!r} has no unit (allowed: {want})")
    if unit in _TEMPERATURE_UNITS:
        q = Quantity(number + _TEMPERATURE_UNITS[unit], "temperature")
    elif unit in UNITS:
        dim, factor = UNITS[unit]
        # divide by an exact power of ten for sub-unit prefixes: "10 us" -> 1e-05 exactly
        inv = round(1.0 / factor) if factor < 1 else 0
        value = number / inv if inv and abs(inv * factor - 1) < 1e-12 else number * factor
        q = Quantity(value, dim)
    else:
        raise UnitError(f"unknown unit {unit!r} in {text!r} (allowed: {want})")
    if allowed and q.dimension not in allowed:
        raise UnitError(f"{text!r} is a {q.dimension.replace('_', ' ')}; expected {want}")
    return q


_PREFIXES = [
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
]


def format_si(value: float | None, unit: str, digits: int = 3) -> str:
    """Format an SI value with a prefix, e.g. ``format_si(-0.065, 'V') == '-65 mV'``
    (``None`` or a non-finite value: ``'— V'``)."""
    if value is None or not math.isfinite(value):
        return f"— {unit}"
    if value == 0:
        return f"0 {unit}"
    mag = abs(value)
    factor, prefix = _PREFIXES[-1]
    for f, pfx in _PREFIXES:
        if mag >= f * 0.9995:
            factor, prefix = f, pfx
            break
    scaled = value / factor
    text = f"{scaled:.{digits}g}"
    return f"{text} {prefix}{unit}"
