"""Drugs as data (``resources/drugs/*.toml``) and the bath that delivers them.

Three mechanisms:

``block``
    A pore blocker: fraction of the target conductance blocked at equilibrium is the
    Hill equation ``c^n / (c^n + IC50^n)``. Only the conductance changes; the driving
    force ``V - E`` of the ion is untouched.
``use-dependent``
    Local anaesthetic reaching its site through open Na+ channels (guarded receptor):
    binding rate ``k_on * c * m^3 h``, unbinding ``1/recovery``. Block is a state
    variable integrated with the gates, so it builds up with each action potential and
    decays between them; there is almost no block in a silent cell.
``remove-inactivation``
    An irreversible enzyme (pronase) that removes Na+ inactivation from a growing
    fraction of channels at a rate that saturates with concentration.

Concentrations are SI (mol/m^3, numerically mM) except pronase (kg/m^3 = mg/ml).
Bath exchange: the concentration the membrane sees relaxes exponentially towards the
applied one with the drug's ``wash_in`` time constant, and towards zero with
``wash_out``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from vlab.resources import list_resources
from vlab.safe_read import BadFileError, loads_toml, read_text
from vlab.units import UnitError, parse_quantity

__all__ = [
    "Drug",
    "DrugError",
    "Bath",
    "load_drugs",
    "get_drug",
    "parse_drug_spec",
    "drug_provenance",
]

MECHANISMS = ("block", "use-dependent", "remove-inactivation")
TARGETS = ("Na", "K", "M")


class DrugError(ValueError):
    """Unknown drug, bad concentration or a malformed drug file."""


@dataclass(frozen=True)
class Drug:
    """One drug. Times in s, concentrations SI (see module docstring)."""

    name: str
    title: str
    summary: str
    mechanism: str
    target: str
    dimension: str  # "concentration" or "mass_concentration"
    default: float
    maximum: float
    display_unit: str
    wash_in: float
    wash_out: float
    ic50: float = math.nan
    hill: float = 1.0
    kd_open: float = math.nan
    recovery: float = math.nan
    half_rate: float = math.nan
    time_constant: float = math.nan
    sources: tuple[str, ...] = field(default=())

    def fraction_blocked(self, c: float) -> float:
        """Equilibrium fraction of the target conductance removed at concentration ``c``.

        For a use-dependent blocker it is the block of channels held open (the upper
        bound; real block depends on how often channels open, see the engine's
        ``lido_bound``); for pronase it is the fraction without inactivation after long
        exposure (1 for any c > 0).
        """
        if c <= 0:
            return 0.0
        if self.mechanism == "block":
            x = (c / self.ic50) ** self.hill
            return x / (1.0 + x)
        if self.mechanism == "use-dependent":
            return c / (c + self.kd_open)
        return 1.0

    def removal_rate(self, c: float) -> float:
        """Pronase: rate (1/s) at which inactivation is removed from remaining channels."""
        if c <= 0 or self.mechanism != "remove-inactivation":
            return 0.0
        return (1.0 / self.time_constant) * c / (c + self.half_rate)

    def check_concentration(self, c: float) -> None:
        if not math.isfinite(c):
            raise DrugError(f"{self.name}: the concentration must be a number, not {c!r}")
        if c < 0:
            raise DrugError(
                f"{self.name}: a concentration cannot be negative ({self.format(c)}); "
                f"use 0 to {self.format(self.maximum)}, or wash the drug out"
            )
        if c > self.maximum * (1 + 1e-9):
            raise DrugError(
                f"{self.name}: {self.format(c)} is above the largest allowed "
                f"{self.format(self.maximum)} (no bath solution holds that much)"
            )

    def format(self, c: float) -> str:
        """``c`` (SI) as text in the drug's display unit: 4 significant digits, no
        exponent below ten million (``10000 nM``, not ``1e+04 nM``)."""
        v = c / parse_quantity(f"1 {self.display_unit}", self.dimension).value
        text = f"{v:.4g}"
        if "e+" in text and abs(v) < 1e7:
            text = f"{v:.0f}"
        return f"{text} {self.display_unit}"


def _load(path: Path) -> Drug:
    try:
        d = loads_toml(read_text(path), path.name, path=path)
    except BadFileError as exc:  # unreadable, not UTF-8, not TOML, nested too deeply
        raise DrugError(f"cannot read drug file {exc}") from exc
    mech = d.get("mechanism")
    if mech not in MECHANISMS:
        raise DrugError(f"{path.name}: mechanism {mech!r}; allowed: {MECHANISMS}")
    if d.get("target") not in TARGETS:
        raise DrugError(f"{path.name}: target {d.get('target')!r}; allowed: {TARGETS}")
    dim = "mass_concentration" if mech == "remove-inactivation" else "concentration"

    def q(key, dims=dim, default=None):
        if key not in d:
            if default is None:
                raise DrugError(f"{path.name}: missing key {key!r}")
            return default
        try:
            return parse_quantity(d[key], dims).value
        except UnitError as exc:
            raise DrugError(f"{path.name}: {key}: {exc}") from exc

    kw = {}
    if mech == "block":
        kw = dict(ic50=q("ic50"), hill=float(d.get("hill", 1.0)))
    elif mech == "use-dependent":
        kw = dict(kd_open=q("kd_open"), recovery=q("recovery", "time"))
    else:
        kw = dict(half_rate=q("half_rate"), time_constant=q("time_constant", "time"))
    return Drug(
        name=d["name"],
        title=d.get("title", d["name"]),
        summary=d.get("summary", ""),
        mechanism=mech,
        target=d["target"],
        dimension=dim,
        default=q("default"),
        maximum=q("maximum"),
        display_unit=d.get("display_unit", "mM"),
        wash_in=q("wash_in", "time"),
        wash_out=q("wash_out", "time"),
        sources=tuple(d.get("sources", ())),
        **kw,
    )


@cache
def load_drugs() -> dict[str, Drug]:
    """All drugs in ``resources/drugs``, keyed by name (as written in the file)."""
    drugs = [_load(p) for p in list_resources("drugs", ".toml")]
    return {dr.name: dr for dr in drugs}


def get_drug(name: str) -> Drug:
    """A drug by name, case-insensitive (``ttx``, ``TTX``, ``4ap`` and ``4-AP`` all work)."""
    drugs = load_drugs()
    key = name.strip().lower().replace("-", "")
    for n, dr in drugs.items():
        if n.lower().replace("-", "") == key:
            return dr
    raise DrugError(f"unknown drug {name!r} (available: {', '.join(drugs)})")


def drug_provenance(drugs: dict[str, float], hide_names: bool = False) -> dict[str, dict]:
    """Drugs at the cell as a recording's provenance records them.

    ``drugs`` maps name -> concentration at the cell in mM (the engine's unit). Returns
    ``{name: {"concentration_M": mol/L, "fraction_blocked": 0..1}}``. With ``hide_names``
    (a practical's mystery drug) the entries are ``"unknown drug 1"``, ... with
    ``{"hidden": True}`` only, so an exported file does not give the answer away.
    """
    items = sorted(drugs.items())
    if hide_names:
        return {f"unknown drug {k}": {"hidden": True} for k in range(1, len(items) + 1)}
    return {
        n: {"concentration_M": c * 1e-3, "fraction_blocked": get_drug(n).fraction_blocked(c)}
        for n, c in items
    }


def parse_drug_spec(spec: str) -> tuple[Drug, float]:
    """Parse ``"TTX=100nM"`` (or ``"TTX"`` for its default) into ``(drug, concentration)``."""
    name, sep, value = spec.partition("=")
    drug = get_drug(name)
    if not sep:
        return drug, drug.default
    try:
        c = parse_quantity(value, drug.dimension).value
    except UnitError as exc:
        raise DrugError(f"{drug.name}: {exc}") from exc
    drug.check_concentration(c)
    return drug, c


@dataclass
class _BathEntry:
    drug: Drug
    applied: float  # concentration in the perfusate
    current: float  # concentration at the membrane


class Bath:
    """The recording chamber: which drugs are applied and what the membrane sees now.

    ``advance(dt)`` moves concentrations along their exchange time courses;
    ``pronase_removed`` accumulates irreversibly.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _BathEntry] = {}
        self.pronase_removed = 0.0

    def apply(self, name: str, concentration: float, *, equilibrated: bool = False) -> None:
        """Perfuse ``concentration`` of a drug (0 = wash out)."""
        drug = get_drug(name)
        drug.check_concentration(concentration)
        e = self._entries.get(drug.name)
        if e is None:
            e = self._entries[drug.name] = _BathEntry(drug, 0.0, 0.0)
        e.applied = concentration
        if equilibrated:
            e.current = concentration
            if drug.mechanism == "remove-inactivation" and concentration > 0:
                self.pronase_removed = 1.0

    def wash(self, name: str) -> None:
        self.apply(name, 0.0)

    def wash_all(self) -> None:
        for n in list(self._entries):
            self.apply(n, 0.0)

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds of perfusion pass."""
        for e in self._entries.values():
            tau = e.drug.wash_in if e.applied >= e.current else e.drug.wash_out
            e.current = e.applied + (e.current - e.applied) * math.exp(-dt / tau)
            if abs(e.current - e.applied) < 1e-6 * max(e.applied, 1e-30):
                e.current = e.applied
            if e.drug.mechanism == "remove-inactivation":
                k = e.drug.removal_rate(e.current)
                self.pronase_removed = 1.0 - (1.0 - self.pronase_removed) * math.exp(-k * dt)

    def concentrations(self) -> dict[str, float]:
        """Concentration at the membrane now, for drugs present or still washing out."""
        return {n: e.current for n, e in self._entries.items() if e.current > 0 or e.applied > 0}

    def applied(self) -> dict[str, float]:
        return {n: e.applied for n, e in self._entries.items() if e.applied > 0}

    def snapshot(self) -> dict:
        return {
            "applied": {n: e.applied for n, e in self._entries.items()},
            "current": {n: e.current for n, e in self._entries.items()},
            "pronase_removed": self.pronase_removed,
        }
