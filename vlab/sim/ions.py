"""Ions: Nernst equilibrium potentials and the Goldman-Hodgkin-Katz resting potential.

SI at the boundary: concentrations in mol/m^3 (numerically mM), temperature in degC,
potentials returned in volts.

Sign convention (used everywhere in vlab): membrane current is positive when positive
charge leaves the cell. A chloride ion (z = -1) flowing *in* therefore makes an
*outward* (positive) current, and ``I_Cl = g_Cl (V - E_Cl)`` holds with the same sign
rule as for cations.
"""

from __future__ import annotations

import math

R = 8.314462618  # J/(mol K)
F = 96485.33212  # C/mol
ZERO_C = 273.15  # K

#: valence of each ion vlab knows
VALENCE = {"Na": 1, "K": 1, "Cl": -1, "Ca": 2}


def thermal_voltage(temperature_c: float) -> float:
    """RT/F in volts at ``temperature_c`` degC (25.3 mV at 20 degC)."""
    return R * (temperature_c + ZERO_C) / F


def nernst(ion: str, c_out: float, c_in: float, temperature_c: float) -> float:
    """Equilibrium potential (V) of ``ion`` for the given concentrations (mM) and temperature.

    Raises ``ValueError`` with a plain message for impossible inputs (non-positive or
    non-finite concentrations, temperatures outside liquid water).
    """
    z = VALENCE[ion]
    check_concentration(f"{ion}_out", c_out)
    check_concentration(f"{ion}_in", c_in)
    check_temperature(temperature_c)
    return thermal_voltage(temperature_c) / z * math.log(c_out / c_in)


def ghk_voltage(
    conc: dict[str, float], permeability: dict[str, float], temperature_c: float
) -> float:
    """Goldman-Hodgkin-Katz resting potential (V) for monovalent ions.

    Parameters
    ----------
    conc
        ``{"K_in": .., "K_out": .., "Na_in": .., ...}`` in mM.
    permeability
        Relative permeabilities, e.g. ``{"K": 1, "Na": 0.04, "Cl": 0.45}``; ions not
        listed (or with zero permeability) are ignored.
    """
    check_temperature(temperature_c)
    num = den = 0.0
    for ion, p in permeability.items():
        if p <= 0:
            continue
        c_in, c_out = conc[f"{ion}_in"], conc[f"{ion}_out"]
        if VALENCE[ion] == 1:
            num += p * c_out
            den += p * c_in
        elif VALENCE[ion] == -1:
            num += p * c_in
            den += p * c_out
        else:
            raise ValueError(
                f"the GHK voltage equation here covers monovalent ions only, not {ion}"
            )
    if num <= 0 or den <= 0:
        raise ValueError("the GHK estimate needs at least one permeant ion on both sides")
    return thermal_voltage(temperature_c) * math.log(num / den)


def check_concentration(name: str, value: float) -> None:
    """Refuse concentrations no solution can have (mM)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise ValueError(f"{name} must be a number of mM, not {value!r}")
    if value <= 0:
        raise ValueError(f"{name} = {value:g} mM is impossible: a concentration must be above 0 mM")
    if value > 5000:
        raise ValueError(
            f"{name} = {value:g} mM is far beyond any physiological solution (at most 5000 mM)"
        )


def check_temperature(temperature_c: float) -> None:
    """Refuse temperatures at which a membrane cannot work (degC)."""
    if not (isinstance(temperature_c, (int, float)) and math.isfinite(temperature_c)):
        raise ValueError(f"temperature must be a number of degC, not {temperature_c!r}")
    if not -5.0 <= temperature_c <= 50.0:
        raise ValueError(
            f"temperature {temperature_c:g} degC is outside what a living membrane tolerates "
            "(allowed: -5 to 50 degC)"
        )
