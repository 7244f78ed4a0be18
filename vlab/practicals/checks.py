"""Recording questions ("record a sweep that shows X"): conditions checked on sweeps.

A recording question lists conditions; the question is answered when **one** recorded
sweep meets all of them. Each condition is ``LEFT OP RIGHT`` with ``OP`` one of
``< <= > >= == !=``:

==========================  =================================================  =========
left side                   meaning                                            right side
==========================  =================================================  =========
``max(CH)`` ``min(CH)``     largest / smallest sample of channel CH            quantity
``mean(CH)``                (Vm, Im, INa, IK, m, h, n ...)
``spikes``                  action potentials in the sweep                     number
``drugs``                   how many drugs were in the bath (named or hidden)  number
``drug(NAME)``              drug concentration at the membrane (provenance)    quantity
``param(NAME)``             a membrane parameter (K_out, temperature ...)      quantity
``preparation``             preparation name                                   word
``mode``                    amplifier mode: CC, VC or I=0                       word
``protocol``                protocol name as recorded (its ``name`` field)      text
==========================  =================================================  =========

Example: ``["drug(TTX) >= 10 nM", "max(Vm) < 0 mV", "mode == CC"]``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from vlab.clamp import ClampMode
from vlab.practicals.errors import PracticalError

__all__ = [
    "Condition",
    "SweepCheck",
    "best_sweep",
    "check_sweep",
    "describe_condition",
    "parse_condition",
]

_RE = re.compile(
    r"^\s*(?P<lhs>[A-Za-z_]+(?:\(\s*[-A-Za-z0-9_]+\s*\))?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<rhs>.+?)\s*$"
)
_FUNCS = ("max", "min", "mean", "drug", "param")
_WORDS = ("spikes", "drugs", "preparation", "mode", "protocol")
_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_CHANNEL_DIMS = {"V": "voltage", "A": "current", "S": "conductance", "1": "number"}


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed condition (see module docstring)."""

    text: str
    func: str  # max/min/mean/drug/param or a word
    arg: str
    op: str
    value: float | str
    dimension: str  # of value, "number" or "word"


def _dimension(func: str, arg: str) -> str:
    if func in ("max", "min", "mean"):
        from vlab.recording import channel_unit

        return _CHANNEL_DIMS[channel_unit(arg, ClampMode.VC)]
    if func == "drug":
        from vlab.sim.drugs import get_drug

        return get_drug(arg).dimension
    if func == "param":
        from vlab.sim.cell import PARAMETERS

        if arg not in PARAMETERS:
            raise PracticalError(f"unknown parameter {arg!r}; valid: {', '.join(PARAMETERS)}")
        return PARAMETERS[arg].dimension
    if func in ("spikes", "drugs"):
        return "number"
    return "word"


def parse_condition(text: str) -> Condition:
    """Parse one condition; raises PracticalError saying what is allowed."""
    m = _RE.match(str(text))
    if not m:
        raise PracticalError(
            f"condition {text!r} is not 'LEFT OP VALUE' (e.g. 'max(Vm) < 0 mV'); "
            f"LEFT is one of {', '.join(f + '(..)' for f in _FUNCS)}, {', '.join(_WORDS)}; "
            "OP is one of < <= > >= == !="
        )
    lhs, op, rhs = m.group("lhs"), m.group("op"), m.group("rhs")
    func, _, arg = lhs.partition("(")
    arg = arg.rstrip(")").strip()
    if (func in _FUNCS) != bool(arg) or (func not in _FUNCS and func not in _WORDS):
        raise PracticalError(
            f"condition {text!r}: {lhs!r} is not understood; use "
            f"{', '.join(f + '(..)' for f in _FUNCS)}, {', '.join(_WORDS)}"
        )
    if func in ("max", "min", "mean") and arg == "command":
        raise PracticalError(f"condition {text!r}: the command channel cannot be checked")
    try:
        dim = _dimension(func, arg)
    except ValueError as exc:
        raise PracticalError(f"condition {text!r}: {exc}") from exc
    if dim == "word":
        if op not in ("==", "!="):
            raise PracticalError(f"condition {text!r}: {func} can only be compared with == or !=")
        word = rhs.strip().strip("'\"")
        if func == "mode":
            try:
                word = ClampMode.parse(word).value
            except ValueError as exc:
                raise PracticalError(f"condition {text!r}: {exc}") from None
        return Condition(text, func, arg, op, word, dim)
    if dim == "number":
        try:
            value = float(rhs)
        except ValueError:
            raise PracticalError(f"condition {text!r}: {rhs!r} is not a plain number") from None
    else:
        from vlab.units import UnitError, parse_quantity

        try:
            value = parse_quantity(rhs, dim).value
        except UnitError as exc:
            raise PracticalError(f"condition {text!r}: {exc}") from exc
    return Condition(text, func, arg, op, value, dim)


def _spike_count(sweep) -> int:
    from vlab.analysis import detect_spikes

    v = sweep.channels.get("Vm")
    mode = sweep.mode
    if v is None or mode is ClampMode.VC:
        return 0  # a clamped membrane cannot fire
    t = np.arange(v.size) * sweep.dt
    kw = {}
    prm = sweep.provenance.get("parameters", {})
    if "command" in sweep.channels and "Cm" in prm and "area" in prm:
        kw = {"i_inj": sweep.channels["command"], "cm": prm["Cm"] * prm["area"]}
    return len(detect_spikes(t, v, **kw))


def measure(cond: Condition, sweep) -> float | str | None:
    """The sweep's value of the condition's left side (SI), or None if not available."""
    prov = sweep.provenance
    f = cond.func
    if f in ("max", "min", "mean"):
        x = sweep.channels.get(cond.arg)
        if x is None:
            return None
        x = np.asarray(x, dtype=float)
        return float(x.max() if f == "max" else x.min() if f == "min" else x.mean())
    if f == "drug":
        from vlab.sim.drugs import get_drug

        name = get_drug(cond.arg).name
        entry = prov.get("drugs", {}).get(name)
        if not entry:
            return 0.0
        return float(entry.get("concentration_M", 0.0)) * 1e3
    if f == "param":
        v = prov.get("parameters", {}).get(cond.arg)
        return None if v is None else float(v)
    if f == "spikes":
        return float(_spike_count(sweep))
    if f == "drugs":
        return float(len(prov.get("drugs", {}) or {}))
    if f == "preparation":
        return str(prov.get("preparation", ""))
    if f == "mode":
        mode = sweep.mode
        return "" if mode is None else mode.value
    if f == "protocol":
        return str(prov.get("protocol_name", ""))
    return None


def _show(cond: Condition, value) -> str:
    if value is None:
        return "not recorded"
    if cond.dimension in ("word", "number"):
        return f"{value:g}" if isinstance(value, float) else str(value)
    from vlab.units import format_si

    unit = {
        "voltage": "V",
        "current": "A",
        "conductance": "S",
        "concentration": "M",
        "temperature": "degC",
        "mass_concentration": "g/l",
    }.get(cond.dimension, "")
    if cond.dimension == "concentration":
        return format_si(value * 1e-3, "M")
    if cond.dimension == "temperature":
        return f"{value:.3g} degC"
    return format_si(value, unit)


@dataclass(frozen=True, slots=True)
class SweepCheck:
    """How one sweep fared: ``results`` is ``(condition text, met, measured text)``."""

    sweep_index: int
    results: tuple[tuple[str, bool, str], ...]

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.results)

    @property
    def n_met(self) -> int:
        return sum(ok for _, ok, _ in self.results)


def check_sweep(conditions: list[Condition], sweep) -> SweepCheck:
    """Evaluate every condition on one sweep."""
    out = []
    for c in conditions:
        value = measure(c, sweep)
        if value is None:
            ok = False
        elif c.dimension == "word":
            ok = _OPS[c.op](str(value).lower(), str(c.value).lower())
        else:
            ok = isinstance(value, float) and math.isfinite(value) and _OPS[c.op](value, c.value)
        out.append((c.text, bool(ok), _show(c, value)))
    return SweepCheck(sweep.index, tuple(out))


def best_sweep(conditions: list[Condition], sweeps) -> tuple[int, SweepCheck]:
    """``(position in sweeps, check)`` of the first passing sweep, else of the closest one.

    Raises ValueError when there is no sweep at all."""
    best: tuple[int, SweepCheck] | None = None
    for pos, sw in enumerate(sweeps):
        chk = check_sweep(conditions, sw)
        if chk.passed:
            return pos, chk
        if best is None or chk.n_met > best[1].n_met:
            best = (pos, chk)
    if best is None:
        raise ValueError("there is no sweep to check")
    return best


_OP_WORDS = {
    "<": "below",
    "<=": "at most",
    ">": "above",
    ">=": "at least",
    "==": "exactly",
    "!=": "not",
}


def describe_condition(text: str) -> str:
    """A condition in plain words for students: ``"max(Vm) < 0 mV"`` -> ``"Vm peak below 0 mV"``."""
    try:
        c = parse_condition(text)
    except PracticalError:
        return str(text)
    rhs = str(text).split(c.op, 1)[1].strip()
    op = _OP_WORDS[c.op]
    if c.func == "mode":
        word = ClampMode.parse(c.value).words
        return word if c.op == "==" else f"not {word}"
    if c.func in ("preparation", "protocol"):
        return f'{c.func} {"" if c.op == "==" else "not "}"{c.value}"'
    if c.func == "drugs":
        if c.op == "==" and c.value == 0:
            return "no drug in the bath"
        return f"{op} {rhs} drug{'s' if c.value != 1 else ''} in the bath"
    if c.func == "spikes":
        if c.op == "==" and c.value == 0:
            return "no spike"
        return f"{op} {rhs} spike{'s' if c.value != 1 else ''}"
    if c.func == "drug":
        if c.op == "==" and c.value == 0:
            return f"no {c.arg} in the bath"
        return f"{c.arg} {op} {rhs}"
    if c.func == "param":
        return f"{c.arg} {op} {rhs}"
    what = {"max": "highest", "min": "lowest", "mean": "mean"}[c.func]
    return f"{what} {c.arg} {op} {rhs}"
