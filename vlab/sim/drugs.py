"""Drugs as data (``resources/drugs/*.toml``) and the chamber that delivers them.

A drug acts through *actions*: each names the preparations, the channel (``target``:
``Na``, ``K`` or ``M``) and the side of the membrane (``outside`` = bath, ``inside`` =
internal perfusion or pipette) where it acts, with its own cited potency. A drug applied
on a side where it has no action on the present preparation does nothing (external TEA
on the squid axon, internal TTX).

Two processes separate the perfusate from the block (both first order, both exact over
a step):

bath exchange
    The concentration next to the membrane relaxes towards the perfusate's with the
    preparation's exchange time constant ``tau = V / Q`` (a well-stirred chamber of
    volume ``V`` perfused at flow ``Q``; ``[perfusion]`` in the preparation file).
receptor binding
    Fraction bound ``B`` of the target's channels: ``dB/dt = k_on c (1 - B) - k_off B``
    with ``k_off = 1 / unbinding_time`` and ``k_on = k_off / Kd`` from the action. At
    equilibrium ``B = c / (c + Kd)`` (one drug molecule per channel, Hill coefficient 1).

Mechanisms:

``block``
    A pore blocker: the bound fraction of the target conductance does not conduct; the
    driving force ``V - E`` is untouched.
``use-dependent``
    A local anaesthetic (modulated receptor: Hille 1977; Hondeghem & Katzung 1977): it
    binds resting, open and inactivated Na+ channels with different affinities
    (``kd_rest``, ``kd_open``, ``kd_inactivated``) and leaves all of them with the same
    ``recovery`` time constant. Binding is a membrane state variable integrated with the
    gates (kernel), so block builds up with each action potential and, at rest, relaxes
    to the tonic (resting-state) block.
``remove-inactivation``
    An irreversible enzyme (pronase) that removes Na+ inactivation from a growing
    fraction of channels at a rate that saturates with concentration.

Concentrations are SI (mol/m^3, numerically mM) except pronase (kg/m^3 = mg/ml).
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
    "Action",
    "Drug",
    "DrugError",
    "Bath",
    "SIDES",
    "load_drugs",
    "get_drug",
    "parse_drug_spec",
    "parse_drug_application",
    "drug_provenance",
    "bind_step",
    "exchange_time",
]

MECHANISMS = ("block", "use-dependent", "remove-inactivation")
TARGETS = ("Na", "K", "M")
SIDES = ("outside", "inside")
_SIDE_WORDS = {"outside": "outside", "out": "outside", "inside": "inside", "in": "inside"}


class DrugError(ValueError):
    """Unknown drug, bad concentration or a malformed drug file."""


@dataclass(frozen=True)
class Action:
    """Where and how strongly a drug acts. Concentrations SI, times s.

    ``kd`` is ``inf`` for a documented absence of effect. ``side`` ``"either"`` means the
    drug crosses the membrane (uncharged form) and acts from whichever side it is given.
    """

    preparations: tuple[str, ...]
    target: str
    side: str
    source: str
    kd: float = math.inf
    unbinding_time: float = math.nan
    kd_open: float = math.nan
    kd_inactivated: float = math.nan
    half_rate: float = math.nan
    time_constant: float = math.nan

    def applies(self, preparation: str, side: str) -> bool:
        return (preparation in self.preparations or "*" in self.preparations) and (
            self.side in (side, "either")
        )

    @property
    def effective(self) -> bool:
        return math.isfinite(self.kd) or math.isfinite(self.time_constant)

    @property
    def k_off(self) -> float:
        """Unbinding rate (1/s)."""
        return 1.0 / self.unbinding_time

    @property
    def k_on(self) -> float:
        """Binding rate constant (1/(s * mol/m^3)) = k_off / Kd."""
        return self.k_off / self.kd

    def occupancy(self, c: float) -> float:
        """Equilibrium fraction bound at concentration ``c`` (resting state for a local
        anaesthetic)."""
        if c <= 0 or not math.isfinite(self.kd):
            return 0.0
        return c / (c + self.kd)


@dataclass(frozen=True)
class Drug:
    """One drug: identity, allowed concentrations and its actions (SI)."""

    name: str
    title: str
    summary: str
    mechanism: str
    dimension: str  # "concentration" or "mass_concentration"
    default: float
    maximum: float
    display_unit: str
    actions: tuple[Action, ...]
    sources: tuple[str, ...] = field(default=())

    @property
    def target(self) -> str:
        """The channel the drug's actions act on (the first action's)."""
        return self.actions[0].target

    def actions_on(self, preparation: str, side: str) -> list[Action]:
        """Effective actions on ``preparation`` from ``side``."""
        return [a for a in self.actions if a.applies(preparation, side) and a.effective]

    def default_side(self, preparation: str) -> str:
        """The side the drug is usually given on ``preparation``: outside if it acts there,
        else the side where it acts (TEA on the squid axon: internal perfusion)."""
        if self.actions_on(preparation, "outside"):
            return "outside"
        if self.actions_on(preparation, "inside"):
            return "inside"
        return "outside"

    def resolve_side(self, preparation: str, side: str | None) -> str:
        if side is None:
            return self.default_side(preparation)
        if side not in SIDES:
            raise DrugError(f"{self.name}: side {side!r}; allowed: outside, inside")
        return side

    def fraction_blocked(
        self, c: float, preparation: str = "squid", side: str | None = None
    ) -> float:
        """Equilibrium fraction of the target conductance removed at ``c``.

        For a local anaesthetic it is the tonic block of resting channels (use-dependent
        block on top depends on firing, see the engine's ``lido_bound``); for pronase the
        fraction without inactivation after long exposure (1 for any c > 0 where it acts).
        """
        if c <= 0:
            return 0.0
        acts = self.actions_on(preparation, self.resolve_side(preparation, side))
        if not acts:
            return 0.0
        if self.mechanism == "remove-inactivation":
            return 1.0
        keep = 1.0
        for a in acts:
            keep *= 1.0 - a.occupancy(c)
        return 1.0 - keep

    def removal_rate(self, c: float, action: Action) -> float:
        """Pronase: rate (1/s) at which inactivation is removed from remaining channels."""
        if c <= 0 or self.mechanism != "remove-inactivation":
            return 0.0
        return (1.0 / action.time_constant) * c / (c + action.half_rate)

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


_ACTION_KEYS = {
    "block": ("kd", "unbinding_time"),
    "use-dependent": ("kd", "kd_open", "kd_inactivated", "unbinding_time"),
    "remove-inactivation": ("half_rate", "time_constant"),
}


def _load(path: Path) -> Drug:
    try:
        d = loads_toml(read_text(path), path.name, path=path)
    except BadFileError as exc:  # unreadable, not UTF-8, not TOML, nested too deeply
        raise DrugError(f"cannot read drug file {exc}") from exc
    mech = d.get("mechanism")
    if mech not in MECHANISMS:
        raise DrugError(f"{path.name}: mechanism {mech!r}; allowed: {MECHANISMS}")
    dim = "mass_concentration" if mech == "remove-inactivation" else "concentration"

    def q(table, key, dims, where):
        if key not in table:
            raise DrugError(f"{path.name}: {where}missing key {key!r}")
        try:
            return parse_quantity(table[key], dims).value
        except UnitError as exc:
            raise DrugError(f"{path.name}: {where}{key}: {exc}") from exc

    actions = []
    for i, a in enumerate(d.get("action", ())):
        where = f"action {i + 1}: "
        if a.get("target") not in TARGETS:
            raise DrugError(f"{path.name}: {where}target {a.get('target')!r}; allowed: {TARGETS}")
        if a.get("side") not in (*SIDES, "either"):
            raise DrugError(f"{path.name}: {where}side {a.get('side')!r}; allowed: {SIDES}")
        if not a.get("source"):
            raise DrugError(f"{path.name}: {where}every action needs a source")
        preps = a.get("preparations")
        if not isinstance(preps, list) or not preps:
            raise DrugError(f"{path.name}: {where}preparations must be a list of names")
        kw = {}
        if a.get("kd") == "none":
            kw["kd"] = math.inf
        else:
            for key in _ACTION_KEYS[mech]:
                dims = "time" if key in ("unbinding_time", "time_constant") else dim
                kw[key] = q(a, key, dims, where)
        actions.append(
            Action(
                preparations=tuple(preps),
                target=a["target"],
                side=a["side"],
                source=a["source"],
                **kw,
            )
        )
    if not actions:
        raise DrugError(f"{path.name}: a drug needs at least one [[action]]")
    return Drug(
        name=d["name"],
        title=d.get("title", d["name"]),
        summary=d.get("summary", ""),
        mechanism=mech,
        dimension=dim,
        default=q(d, "default", dim, ""),
        maximum=q(d, "maximum", dim, ""),
        display_unit=d.get("display_unit", "mM"),
        actions=tuple(actions),
        sources=tuple(d.get("sources", ())),
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


def drug_provenance(
    drugs: dict[str, float],
    hide_names: bool = False,
    preparation: str = "squid",
    sides: dict[str, str] | None = None,
) -> dict[str, dict]:
    """Drugs at the cell as a recording's provenance records them.

    ``drugs`` maps name -> concentration at the cell in mM (the engine's unit). Returns
    ``{name: {"concentration_M": mol/L, "side": .., "fraction_blocked": 0..1}}`` (the
    equilibrium fraction). With ``hide_names`` (a practical's mystery drug) the entries
    are ``"unknown drug 1"``, ... with ``{"hidden": True}`` only, so an exported file
    does not give the answer away.
    """
    items = sorted(drugs.items())
    if hide_names:
        return {f"unknown drug {k}": {"hidden": True} for k in range(1, len(items) + 1)}
    sides = sides or {}
    out = {}
    for n, c in items:
        d = get_drug(n)
        side = d.resolve_side(preparation, sides.get(n))
        out[n] = {
            "concentration_M": c * 1e-3,
            "side": side,
            "fraction_blocked": d.fraction_blocked(c, preparation, side),
        }
    return out


def parse_drug_application(spec: str) -> tuple[Drug, float, str | None]:
    """Parse ``"TTX=100nM"``, ``"TEA:inside=20mM"`` (or ``"TTX"`` for its default) into
    ``(drug, concentration, side)``; ``side`` is None when not given (the drug's usual
    side on the preparation)."""
    name, sep, value = spec.partition("=")
    name, colon, side_word = name.partition(":")
    side = None
    if colon:
        side = _SIDE_WORDS.get(side_word.strip().lower())
        if side is None:
            raise DrugError(
                f"{spec!r}: side {side_word!r} unknown; write NAME:inside=C or NAME:outside=C"
            )
    drug = get_drug(name)
    if not sep:
        return drug, drug.default, side
    try:
        c = parse_quantity(value, drug.dimension).value
    except UnitError as exc:
        raise DrugError(f"{drug.name}: {exc}") from exc
    drug.check_concentration(c)
    return drug, c, side


def parse_drug_spec(spec: str) -> tuple[Drug, float]:
    """Parse ``"TTX=100nM"`` (or ``"TTX"`` for its default) into ``(drug, concentration)``."""
    drug, c, _ = parse_drug_application(spec)
    return drug, c


def bind_step(b: float, c: float, k_on: float, k_off: float, dt: float) -> float:
    """Fraction bound after ``dt`` s at constant concentration ``c`` (exact solution of
    ``dB/dt = k_on c (1 - B) - k_off B``)."""
    rate = k_on * c + k_off
    b_inf = k_on * c / rate
    return b_inf + (b - b_inf) * math.exp(-rate * dt)


def exchange_time(preparation, side: str) -> float:
    """First-order exchange time constant (s) of ``side`` of ``preparation``: V / Q."""
    tau = preparation.exchange.get(side)
    if tau is None:
        raise DrugError(
            f"{preparation.name} has no {'internal' if side == 'inside' else 'bath'} perfusion; "
            f"apply the drug from the {'outside' if side == 'inside' else 'inside'}"
        )
    return tau


@dataclass
class _BathEntry:
    drug: Drug
    side: str
    applied: float  # concentration in the perfusate
    current: float  # concentration at the membrane
    bound: dict[int, float] = field(default_factory=dict)  # action index -> fraction bound


class Bath:
    """The chamber (and internal perfusion): which drugs are applied, what the membrane
    sees and how much of each target is bound.

    ``advance(dt)`` moves concentrations along the exchange time course and binding along
    its kinetics; ``pronase_removed`` accumulates irreversibly.
    """

    def __init__(self, preparation="squid") -> None:
        self._entries: dict[str, _BathEntry] = {}
        self.pronase_removed = 0.0
        self.preparation = preparation

    @property
    def preparation(self):
        return self._prep

    @preparation.setter
    def preparation(self, prep) -> None:
        """Another preparation in the chamber: a drug given on a side it has no perfusion
        for is gone, binding starts afresh and no channel has been cut by pronase yet."""
        from vlab.sim.preparation import load_preparation

        new = load_preparation(prep) if isinstance(prep, str) else prep
        old = getattr(self, "_prep", None)
        self._prep = new
        if old is None or old.name == new.name:
            return
        self.pronase_removed = 0.0
        for name, e in list(self._entries.items()):
            if e.side not in new.exchange:
                del self._entries[name]
            else:
                e.bound.clear()

    def _actions(self, e: _BathEntry) -> list[tuple[int, Action]]:
        return [
            (i, a)
            for i, a in enumerate(e.drug.actions)
            if a.applies(self._prep.name, e.side) and a.effective
        ]

    def apply(
        self,
        name: str,
        concentration: float,
        *,
        side: str | None = None,
        equilibrated: bool = False,
    ) -> None:
        """Perfuse ``concentration`` of a drug (0 = wash out) on ``side`` (None: the drug's
        usual side on this preparation)."""
        drug = get_drug(name)
        drug.check_concentration(concentration)
        e = self._entries.get(drug.name)
        if side is None and e is not None and (e.current > 0 or e.applied > 0):
            side = e.side  # washing (or changing) keeps the side it was given on
        side = drug.resolve_side(self._prep.name, side)
        if concentration > 0:
            exchange_time(self._prep, side)
        if e is None or e.side != side:
            e = self._entries[drug.name] = _BathEntry(drug, side, 0.0, 0.0)
        e.applied = concentration
        if equilibrated:
            e.current = concentration
            for i, a in self._actions(e):
                if drug.mechanism == "block":
                    e.bound[i] = a.occupancy(concentration)
            if drug.mechanism == "remove-inactivation" and concentration > 0 and self._actions(e):
                self.pronase_removed = 1.0

    def wash(self, name: str) -> None:
        self.apply(name, 0.0)

    def wash_all(self) -> None:
        for n in list(self._entries):
            self.apply(n, 0.0)

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds of perfusion pass."""
        for e in self._entries.values():
            if e.current == e.applied and all(
                abs(b - a.occupancy(e.current)) < 1e-12
                for (i, a) in self._actions(e)
                for b in (e.bound.get(i, 0.0),)
            ):
                if e.drug.mechanism != "remove-inactivation" or e.current == 0:
                    continue
            tau = exchange_time(self._prep, e.side) if e.current != e.applied else math.inf
            # substeps short against exchange and binding keep the midpoint concentration exact
            n = max(1, math.ceil(dt / (0.05 * tau))) if math.isfinite(tau) else 1
            n = min(n, 10000)
            h = dt / n
            for _ in range(n):
                c0 = e.current
                c1 = e.applied + (c0 - e.applied) * math.exp(-h / tau)
                c_mid = 0.5 * (c0 + c1)
                e.current = c1
                for i, a in self._actions(e):
                    if e.drug.mechanism == "block":
                        e.bound[i] = bind_step(e.bound.get(i, 0.0), c_mid, a.k_on, a.k_off, h)
                    elif e.drug.mechanism == "remove-inactivation":
                        k = e.drug.removal_rate(c_mid, a)
                        self.pronase_removed = 1.0 - (1.0 - self.pronase_removed) * math.exp(-k * h)
            if abs(e.current - e.applied) < 1e-9 * max(e.applied, 1e-30):
                e.current = e.applied

    def concentrations(self) -> dict[str, float]:
        """Concentration at the membrane now, for drugs present, washing out or still bound."""
        return {
            n: e.current
            for n, e in self._entries.items()
            if e.current > 0 or e.applied > 0 or any(b > 1e-6 for b in e.bound.values())
        }

    def sides(self) -> dict[str, str]:
        return {n: e.side for n, e in self._entries.items()}

    def occupancy(self) -> dict[str, dict[str, float]]:
        """Fraction of each target bound by each pore blocker now: ``{drug: {target: B}}``."""
        out: dict[str, dict[str, float]] = {}
        for n, e in self._entries.items():
            if e.drug.mechanism != "block":
                continue
            for i, a in self._actions(e):
                b = e.bound.get(i, 0.0)
                keep = 1.0 - out.setdefault(n, {}).get(a.target, 0.0)
                out[n][a.target] = 1.0 - keep * (1.0 - b)
        return out

    def applied(self) -> dict[str, float]:
        return {n: e.applied for n, e in self._entries.items() if e.applied > 0}

    def state(self) -> dict:
        """Everything needed to resume perfusion exactly (for experiment files): per drug
        its side, perfusate and membrane concentrations (mM) and the fraction bound of
        each action, plus the pronase damage."""
        return {
            "drugs": {
                n: {
                    "side": e.side,
                    "applied": e.applied,
                    "current": e.current,
                    "bound": {str(i): b for i, b in e.bound.items()},
                }
                for n, e in self._entries.items()
            },
            "pronase_removed": self.pronase_removed,
        }

    def restore(self, state: dict) -> None:
        """Resume from :meth:`state` (validated first; on error the bath is unchanged).

        Raises
        ------
        DrugError
            Unknown drug, side not available, a concentration or fraction out of range.
        """
        entries: dict[str, _BathEntry] = {}
        items = state.get("drugs", {}) if isinstance(state, dict) else None
        if not isinstance(items, dict):
            raise DrugError("the saved perfusion is not a table of drugs")
        for name, raw in items.items():
            drug = get_drug(name)
            if not isinstance(raw, dict):
                raise DrugError(f"the saved state of {name} is not a table")
            side = drug.resolve_side(self._prep.name, raw.get("side"))
            applied, current = float(raw.get("applied", 0.0)), float(raw.get("current", 0.0))
            for c in (applied, current):
                if c:
                    drug.check_concentration(c)
            if applied > 0:
                exchange_time(self._prep, side)
            bound = {int(i): float(b) for i, b in dict(raw.get("bound", {})).items()}
            if any(not 0.0 <= b <= 1.0 or not 0 <= i < len(drug.actions) for i, b in bound.items()):
                raise DrugError(f"the saved binding of {name} is out of range")
            entries[drug.name] = _BathEntry(drug, side, applied, current, bound)
        removed = float(state.get("pronase_removed", 0.0))
        if not 0.0 <= removed <= 1.0:
            raise DrugError("the saved pronase damage is not a fraction")
        self._entries = entries
        self.pronase_removed = removed

    def into_cell(self, cell) -> None:
        """Put what reaches the membrane now into ``cell`` (a :class:`vlab.sim.cell.Cell`):
        concentrations at the cell, sides, binding, pronase damage."""
        conc = self.concentrations()
        cell.drugs = {n: c for n, c in conc.items() if c > 0}
        cell.pronase_removed = self.pronase_removed
        cell.drug_sides = {n: s for n, s in self.sides().items() if n in cell.drugs}
        cell.occupancy = self.occupancy()

    def follow(self, state: dict) -> None:
        """Take the progress of another bath's :meth:`state` (concentrations at the cell,
        binding, pronase damage) keeping this bath's targets: the GUI's copy of the
        perfusion follows the simulation's. Drugs this bath does not know, or whose
        side differs, are left out (they were set since)."""
        items = state.get("drugs", {})
        for name, e in self._entries.items():
            raw = items.get(name)
            if raw is None or raw.get("side") != e.side:
                continue
            e.current = float(raw.get("current", 0.0))
            e.bound = {int(i): float(b) for i, b in dict(raw.get("bound", {})).items()}
        self.pronase_removed = float(state.get("pronase_removed", self.pronase_removed))

    def snapshot(self) -> dict:
        return {
            "applied": {n: e.applied for n, e in self._entries.items()},
            "current": {n: e.current for n, e in self._entries.items()},
            "sides": self.sides(),
            "bound": self.occupancy(),
            "pronase_removed": self.pronase_removed,
        }
