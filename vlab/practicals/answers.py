"""Named answer functions: correct answers computed from the simulation itself.

A question names its answer as ``"function:arg1,arg2"`` (``"nernst:K"``,
``"threshold:single_pulse"``, ``"iv_reversal:Iion,steady"``). At check time the
function runs against the step's rig preset with the student's unknowns filled in,
usually through the engine (:func:`vlab.sim.engine.run_protocol`), so answers stay
right when the model changes. Nobody types a correct number into a practical file.

Numeric functions return SI floats (V, A, A/m^2, S, s, dimensionless); choice
functions return one of the question's choice keys. Arguments are text: voltages and
other quantities carry units (``"-65 mV"``) and may name unknowns (``"{K_out}"``).

Add a function with the :func:`answer_function` decorator; ``vlab practical answers``
and the documentation list the registry (:data:`REGISTRY`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vlab.analysis.clamp import IVKind
from vlab.clamp import ClampMode
from vlab.practicals.errors import PracticalError
from vlab.practicals.model import Practical, Preset, Step
from vlab.practicals.rigsetup import build_cell, load_step_protocol, resolved
from vlab.practicals.unknowns import substitute

__all__ = [
    "REGISTRY",
    "AnswerContext",
    "AnswerFunction",
    "answer_function",
    "evaluate",
    "parse_call",
]


@dataclass(frozen=True)
class AnswerFunction:
    """A registered answer function.

    Attributes
    ----------
    name
        Name used in practical files.
    func
        ``func(ctx, *args) -> float | str``.
    returns
        ``"number"`` (SI float) or ``"choice"`` (a choice key).
    signature
        Arguments as documented for instructors, e.g. ``"ION"``.
    doc
        One-line description.
    min_args, max_args
        Allowed number of arguments.
    """

    name: str
    func: Callable
    returns: str
    signature: str
    doc: str
    min_args: int
    max_args: int


REGISTRY: dict[str, AnswerFunction] = {}


def answer_function(
    name: str,
    returns: str,
    signature: str,
    doc: str,
    min_args: int = 0,
    max_args: int | None = None,
):
    """Register ``func`` as answer function ``name`` (decorator)."""

    def deco(func: Callable) -> Callable:
        hi = max_args if max_args is not None else min_args
        REGISTRY[name] = AnswerFunction(name, func, returns, signature, doc, min_args, hi)
        return func

    return deco


def parse_call(text: str) -> tuple[str, list[str]]:
    """``"name:a,b"`` -> ``("name", ["a", "b"])``; raises PracticalError if unknown."""
    name, _, rest = str(text).strip().partition(":")
    name = name.strip()
    args = [a.strip() for a in rest.split(",")] if rest.strip() else []
    f = REGISTRY.get(name)
    if f is None:
        raise PracticalError(
            f"unknown answer function {name!r}; available: {', '.join(sorted(REGISTRY))}"
        )
    if not f.min_args <= len(args) <= f.max_args:
        raise PracticalError(
            f"answer function {name!r} takes {f.signature or 'no arguments'} "
            f"({f.min_args}..{f.max_args} arguments), got {len(args)}: {text!r}"
        )
    return name, args


@dataclass
class AnswerContext:
    """What an answer function may use: the step's resolved preset and the unknowns.

    Simulations are cached per (preset, protocol), so one key computation runs each
    protocol once.
    """

    practical: Practical
    step: Step
    unknowns: dict
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def preset(self) -> Preset:
        return resolved(self.step.preset, self.practical, self.unknowns)

    def cell(self, preset: Preset | None = None):
        return build_cell(preset or self.preset)

    def protocol(self, name: str = ""):
        name = name or self.preset.protocol
        if not name:
            raise PracticalError(
                f"step {self.step.id!r}: the answer needs a protocol but the preset has none"
            )
        return load_step_protocol(name)

    def run(self, protocol=None, preset: Preset | None = None):
        """Run ``protocol`` (default: the preset's) on the preset's cell; cached."""
        from vlab.sim.engine import run_protocol

        preset = preset or self.preset
        protocol = protocol if protocol is not None else self.protocol(preset.protocol)
        key = (preset, protocol)
        if key not in self._cache:
            self._cache[key] = (run_protocol(build_cell(preset), protocol), protocol)
        return self._cache[key][0]


def evaluate(call: str, ctx: AnswerContext) -> float | str:
    """Evaluate an answer call for one step and student (unknowns substituted)."""
    name, args = parse_call(call)
    args = [substitute(a, ctx.practical, ctx.unknowns) for a in args]
    try:
        return REGISTRY[name].func(ctx, *args)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise PracticalError(f"answer {call!r} in step {ctx.step.id!r} failed: {exc}") from exc


# ---------------------------------------------------------------------------- helpers
def _q(text: str, dim: str) -> float:
    from vlab.units import parse_quantity

    return parse_quantity(text, dim).value


def _ion(text: str) -> str:
    from vlab.sim.ions import VALENCE

    ion = text.strip()
    if ion not in VALENCE and ion != "L":
        raise PracticalError(f"unknown ion {ion!r}; allowed: {', '.join(VALENCE)}, L (leak)")
    return ion


def _stimulus_epoch(protocol) -> int:
    """Index of the epoch a protocol varies (level increment), else the first non-zero one."""
    for i, ep in enumerate(protocol.epochs):
        if ep.level_increment is not None:
            return i
    for i, ep in enumerate(protocol.epochs):
        if ep.level.value != protocol.holding.value:
            return i
    raise PracticalError(f"protocol {protocol.name!r} has no stimulus epoch")


def _epoch_window(protocol, index: int, sweep: int = 0) -> tuple[float, float]:
    t0 = sum(ep.duration_at(sweep) for ep in protocol.epochs[:index])
    return t0, t0 + protocol.epochs[index].duration_at(sweep)


def _spike_counts(res, protocol, cell, t_from: float = 0.0) -> np.ndarray:
    from vlab.analysis.spikes import detect_spikes_per_sweep

    v = res.data["Vm"]
    kw = {}
    if res.mode is not ClampMode.VC:
        kw = {"i_inj": res.command, "cm": cell.values["Cm"] * cell.values["area"]}
    spikes = detect_spikes_per_sweep(res.t, v, **kw)
    return np.array([len([s for s in ss if s.t_cross >= t_from]) for ss in spikes])


def _spikes(res, cell):
    from vlab.analysis import detect_spikes

    kw = {"i_inj": res.command, "cm": cell.values["Cm"] * cell.values["area"]}
    return detect_spikes(res.t, res.data["Vm"], **kw)


def _iv(ctx: AnswerContext, channel: str, kind: IVKind, protocol_name: str = ""):
    from vlab.analysis.family import iv_family

    p = ctx.protocol(protocol_name)
    if p.mode is not ClampMode.VC:
        raise PracticalError(f"an I-V needs a voltage-clamp protocol, {p.name!r} is not one")
    res = ctx.run(p)
    k = _stimulus_epoch(p)
    a, b = _epoch_window(p, k)
    v = np.array([p.epochs[k].level_at(s).value for s in range(p.sweeps)])
    if channel not in res.data:
        raise PracticalError(f"unknown channel {channel!r}; use Iion, INa, IK, ICl or IL")
    # the same pipeline (windows, transient skip) as the analysis the student uses
    iv = iv_family(
        res.t, res.data[channel], window=(a, b), levels=v, kind="peak" if kind == "steady" else kind
    )
    return iv.v, iv.steady if kind == "steady" else iv.peak


# ---------------------------------------------------------------------------- ions
@answer_function(
    "nernst",
    "number",
    "ION",
    "Nernst potential of ION from the preset's solutions and temperature (V)",
    1,
)
def _nernst(ctx, ion):
    return ctx.cell().nernst_potentials()[_ion(ion)]


@answer_function(
    "reversal", "number", "ION", "reversal potential the model uses for ION (Na, K, Cl, L) (V)", 1
)
def _reversal(ctx, ion):
    return ctx.cell().reversals()[_ion(ion)]


@answer_function("ghk", "number", "", "Goldman-Hodgkin-Katz estimate of the resting potential (V)")
def _ghk(ctx):
    return ctx.cell().ghk_estimate()


@answer_function("rest", "number", "", "resting potential of the simulated membrane (V)")
def _rest(ctx):
    return ctx.cell().resting_potential()


@answer_function(
    "closer",
    "choice",
    "ION_A,ION_B",
    "which of two ions (its key, e.g. 'K') has the reversal potential nearer to rest",
    2,
)
def _closer(ctx, a, b):
    cell = ctx.cell()
    rest, rev = cell.resting_potential(), cell.reversals()
    return a if abs(rest - rev[_ion(a)]) <= abs(rest - rev[_ion(b)]) else b


@answer_function(
    "driving_force",
    "number",
    "ION[,VOLTAGE]",
    "V - E_ion at VOLTAGE (default: the resting potential; 'peak' or 'threshold': that "
    "point of the first spike) (V)",
    1,
    2,
)
def _driving_force(ctx, ion, voltage=""):
    cell = ctx.cell()
    if voltage in _SPIKE_POINTS:  # V at that point of the first spike
        res, k = _point(ctx, voltage)
        v = float(res.data["Vm"][0, k])
    else:
        v = _q(voltage, "voltage") if voltage else cell.resting_potential()
    return v - cell.reversals()[_ion(ion)]


@answer_function(
    "current_direction",
    "choice",
    "ION[,VOLTAGE]",
    "'inward' or 'outward': direction of ION's membrane current at VOLTAGE (default rest)",
    1,
    2,
)
def _current_direction(ctx, ion, voltage=""):
    df = _driving_force(ctx, ion, voltage)
    return "outward" if df > 0 else "inward"


@answer_function(
    "ion_flow",
    "choice",
    "ION[,VOLTAGE]",
    "'in' or 'out': which way the ions themselves move at VOLTAGE (default rest)",
    1,
    2,
)
def _ion_flow(ctx, ion, voltage=""):
    from vlab.sim.ions import VALENCE

    outward_current = _driving_force(ctx, ion, voltage) > 0
    cation = VALENCE[_ion(ion)] > 0
    return "out" if outward_current == cation else "in"


@answer_function(
    "vc_current",
    "number",
    "CHANNEL,VOLTAGE",
    "steady current of CHANNEL (Iion, INa, IK, ICl, IL) with the membrane clamped at VOLTAGE (A)",
    2,
)
def _vc_current(ctx, channel, voltage):
    from vlab.protocols import parse_protocol

    v = _q(voltage, "voltage")
    p = parse_protocol(
        f'name = "hold"\nmode = "VC"\nholding = "{v * 1e3:.6g} mV"\nsweeps = 1\n'
        'sweep_duration = "50 ms"\nsample_interval = "50 us"\n',
        source="answer",
    )
    res = ctx.run(p)
    return float(res.data[channel][0, -1])


# ---------------------------------------------------------------------------- current clamp
@answer_function(
    "threshold",
    "number",
    "[PROTOCOL[,SPIKES]]",
    "smallest stimulus level of the protocol's varied epoch that fires SPIKES (default 1) spikes "
    "(A/m^2 or A, as the protocol writes it); found by bisection to 0.1 %",
    0,
    2,
)
def _threshold(ctx, protocol_name="", spikes="1"):
    from vlab.protocols.model import Quantity

    base = ctx.protocol(protocol_name)
    need = int(spikes)
    k = _stimulus_epoch(base)
    ep = base.epochs[k]
    dim = ep.level.dimension
    lo, hi = 0.0, ep.level_at(base.sweeps - 1).value * 2.0
    cell = ctx.cell()
    t_from = _epoch_window(base, k)[0] if need == 1 else 0.0
    n = 25
    for _ in range(4):
        levels = np.linspace(lo, hi, n)
        step = levels[1] - levels[0]
        e2 = ep.with_changes(level=Quantity(lo, dim), level_increment=Quantity(step, dim))
        p = base.with_changes(sweeps=n, epochs=base.epochs[:k] + (e2,) + base.epochs[k + 1 :])
        counts = _spike_counts(ctx.run(p), p, cell, t_from)
        fire = np.nonzero(counts >= need)[0]
        if fire.size == 0:
            raise PracticalError(f"no stimulus up to {hi:g} {dim} fires {need} spike(s)")
        j = int(fire[0])
        if j == 0:
            return float(levels[0])
        lo, hi = float(levels[j - 1]), float(levels[j])
        if (hi - lo) < 1e-3 * hi:
            break
    return 0.5 * (lo + hi)


@answer_function(
    "fires",
    "choice",
    "[PROTOCOL]",
    "'yes' if any sweep of the protocol fires a spike, else 'no'",
    0,
    1,
)
def _fires(ctx, protocol_name=""):
    p = ctx.protocol(protocol_name)
    return "yes" if _spike_counts(ctx.run(p), p, ctx.cell()).sum() > 0 else "no"


@answer_function(
    "spike_count", "number", "[SWEEP]", "number of spikes in sweep SWEEP (1-based, default 1)", 0, 1
)
def _spike_count(ctx, sweep="1"):
    p = ctx.protocol()
    return float(_spike_counts(ctx.run(p), p, ctx.cell())[int(sweep) - 1])


_FEATURES = {
    "peak": "v_peak",
    "threshold": "v_threshold",
    "ahp": "v_ahp",
    "half_width": "half_width",
    "max_dvdt": "max_dvdt",
    "min_dvdt": "min_dvdt",
    "amplitude": None,
}


@answer_function(
    "spike",
    "number",
    "FEATURE[,SWEEP]",
    f"feature of the first spike of sweep SWEEP (1-based, default 1): {', '.join(_FEATURES)}",
    1,
    2,
)
def _spike(ctx, feature, sweep="1"):
    if feature not in _FEATURES:
        raise PracticalError(f"unknown spike feature {feature!r}; allowed: {', '.join(_FEATURES)}")
    res = ctx.run()
    spikes = _spikes(res, ctx.cell())[int(sweep) - 1]
    if not spikes:
        raise PracticalError(f"sweep {sweep} of step {ctx.step.id!r} has no spike")
    s = spikes[0]
    return s.amplitude if feature == "amplitude" else float(getattr(s, _FEATURES[feature]))


def _crossing(res, voltage: float, phase: str) -> int:
    v = res.data["Vm"][0]
    k_peak = int(np.argmax(v))
    if phase == "rising":
        idx = np.nonzero((v[:k_peak] < voltage) & (v[1 : k_peak + 1] >= voltage))[0]
        if idx.size == 0:
            raise PracticalError(f"the spike never rises through {voltage * 1e3:g} mV")
        return int(idx[-1] + 1)
    if phase == "falling":
        idx = np.nonzero((v[k_peak:-1] > voltage) & (v[k_peak + 1 :] <= voltage))[0]
        if idx.size == 0:
            raise PracticalError(f"the spike never falls through {voltage * 1e3:g} mV")
        return int(k_peak + idx[0] + 1)
    if phase == "peak":
        return k_peak
    raise PracticalError(f"phase {phase!r}; allowed: rising, falling, peak")


#: points of a spike an answer may name instead of a voltage crossing
_SPIKE_POINTS = ("peak", "threshold")


def _point(ctx, phase: str, voltage: str = "0 mV"):
    """``(result, sample index)`` of a point on the first sweep's first spike: where it
    passes VOLTAGE on the 'rising' or 'falling' phase, its 'peak', or its 'threshold'
    (the spike detector's dV/dt criterion, as the analysis window shows it)."""
    res = ctx.run()
    if phase == "threshold":
        spikes = _spikes(res, ctx.cell())[0]
        if not spikes:
            raise PracticalError(f"step {ctx.step.id!r}: the first sweep has no spike")
        return res, int(np.searchsorted(res.t, spikes[0].t_threshold - 1e-12))
    return res, _crossing(res, _q(voltage, "voltage"), phase)


@answer_function(
    "net_current",
    "number",
    "PHASE[,VOLTAGE]",
    "net ionic current (A, outward positive) when the spike passes VOLTAGE on the "
    "'rising' or 'falling' phase, or at its 'peak' or 'threshold'",
    1,
    2,
)
def _net_current(ctx, phase, voltage="0 mV"):
    res, k = _point(ctx, phase, voltage)
    return float(res.data["Iion"][0, k])


@answer_function(
    "net_current_direction",
    "choice",
    "PHASE[,VOLTAGE]",
    "'inward' or 'outward': sign of net ionic current at that point of the spike",
    1,
    2,
)
def _net_current_direction(ctx, phase, voltage="0 mV"):
    return "outward" if _net_current(ctx, phase, voltage) > 0 else "inward"


@answer_function(
    "gate",
    "number",
    "GATE,PHASE[,VOLTAGE]",
    "value of gate m, h or n when the spike passes VOLTAGE ('rising'/'falling') or at its 'peak'",
    2,
    3,
)
def _gate(ctx, gate, phase, voltage="0 mV"):
    if gate not in ("m", "h", "n"):
        raise PracticalError(f"gate {gate!r}; allowed: m, h, n")
    res, k = _point(ctx, phase, voltage)
    return float(res.data[gate][0, k])


@answer_function(
    "larger_conductance",
    "choice",
    "PHASE[,VOLTAGE]",
    "'gNa' or 'gK': the larger conductance at that point of the spike",
    1,
    2,
)
def _larger_conductance(ctx, phase, voltage="0 mV"):
    res, k = _point(ctx, phase, voltage)
    return "gNa" if res.data["gNa"][0, k] > res.data["gK"][0, k] else "gK"


@answer_function(
    "larger_current",
    "choice",
    "PHASE[,VOLTAGE]",
    "'INa' or 'IK': the current of larger size at that point of the spike",
    1,
    2,
)
def _larger_current(ctx, phase, voltage="0 mV"):
    res, k = _point(ctx, phase, voltage)
    return "INa" if abs(res.data["INa"][0, k]) > abs(res.data["IK"][0, k]) else "IK"


@answer_function(
    "channel_current",
    "number",
    "CHANNELS,PHASE[,VOLTAGE]",
    "sum of the currents CHANNELS (e.g. 'INa' or 'IK+IL'; A, outward positive) at a point "
    "of the spike: passing VOLTAGE 'rising'/'falling', its 'peak' or its 'threshold'",
    2,
    3,
)
def _channel_current(ctx, channels, phase, voltage="0 mV"):
    res, k = _point(ctx, phase, voltage)
    names = [c.strip() for c in channels.split("+")]
    bad = [c for c in names if c not in res.data or not c.startswith("I")]
    if bad:
        raise PracticalError(f"no current channel {bad[0]!r}; e.g. INa, IK, IL, ICl")
    return float(sum(res.data[c][0, k] for c in names))


@answer_function(
    "conductance",
    "number",
    "CHANNEL,PHASE[,VOLTAGE]",
    "conductance gNa or gK (S) at a point of the spike (as for channel_current)",
    2,
    3,
)
def _conductance(ctx, channel, phase, voltage="0 mV"):
    if channel not in ("gNa", "gK"):
        raise PracticalError(f"conductance {channel!r}; allowed: gNa, gK")
    res, k = _point(ctx, phase, voltage)
    return float(res.data[channel][0, k])


@answer_function(
    "chord_potential",
    "number",
    "PHASE[,VOLTAGE]",
    "conductance-weighted average of the reversal potentials, (gNa E_Na + gK E_K + gL E_L "
    "+ ...) / (gNa + gK + gL + ...), at a point of the spike (V): where V would settle "
    "if the conductances stayed as they are",
    1,
    2,
)
def _chord_potential(ctx, phase, voltage="0 mV"):
    res, k = _point(ctx, phase, voltage)
    cell = ctx.cell()
    e = cell.reversals()
    g = {
        "Na": float(res.data["gNa"][0, k]),
        "K": float(res.data["gK"][0, k]) + float(res.data.get("gM", np.zeros((1, k + 1)))[0, k]),
        "Cl": float(res.data.get("gCl", np.zeros((1, k + 1)))[0, k]),
        "L": cell.values["gL"] * cell.values["area"],
    }
    return sum(g[i] * e[i] for i in g) / sum(g.values())


@answer_function(
    "below_reversal",
    "number",
    "ION",
    "E_ion minus the peak of the first spike (V): how far the peak stays below E_ion",
    1,
)
def _below_reversal(ctx, ion):
    return ctx.cell().reversals()[_ion(ion)] - _spike(ctx, "peak")


@answer_function("undershoot", "number", "", "most negative potential after the spike (V)")
def _undershoot(ctx):
    res = ctx.run()
    v = res.data["Vm"][0]
    return float(v[int(np.argmax(v)) :].min())


# ---------------------------------------------------------------------------- voltage clamp
@answer_function(
    "iv_reversal",
    "number",
    "CHANNEL,KIND[,PROTOCOL]",
    "zero crossing of the I-V (KIND peak, inward, outward or steady) of CHANNEL (V)",
    2,
    3,
)
def _iv_reversal(ctx, channel, kind, protocol_name=""):
    from vlab.analysis import reversal_potential

    v, i = _iv(ctx, channel, kind, protocol_name)
    r = reversal_potential(v, i)
    if not math.isfinite(r.e_rev):
        raise PracticalError(r.reason)
    return r.e_rev


def _line(ctx, channel, kind, protocol_name="", vmin="", vmax=""):
    """Straight-line fit ``(slope, intercept)`` to the I-V points with VMIN <= V <= VMAX."""
    v, i = _iv(ctx, channel, kind, protocol_name)
    lo = _q(vmin, "voltage") if vmin else -np.inf
    hi = _q(vmax, "voltage") if vmax else np.inf
    keep = (v >= lo - 1e-9) & (v <= hi + 1e-9)
    if keep.sum() < 2:
        raise PracticalError(
            f"fewer than 2 I-V points between {vmin or '-inf'} and {vmax or 'inf'}"
        )
    slope, icpt = np.polyfit(v[keep], i[keep], 1)
    return float(slope), float(icpt)


@answer_function(
    "iv_slope",
    "number",
    "CHANNEL,KIND[,PROTOCOL[,VMIN,VMAX]]",
    "slope conductance dI/dV of a straight-line fit to the I-V points from VMIN to VMAX "
    "(default: all) (S)",
    2,
    5,
)
def _iv_slope(ctx, channel, kind, protocol_name="", vmin="", vmax=""):
    return _line(ctx, channel, kind, protocol_name, vmin, vmax)[0]


@answer_function(
    "iv_line_reversal",
    "number",
    "CHANNEL,KIND,VMIN,VMAX",
    "where the straight line fitted to the I-V points from VMIN to VMAX crosses zero "
    "current (V), extrapolated if need be",
    4,
)
def _iv_line_reversal(ctx, channel, kind, vmin, vmax):
    slope, icpt = _line(ctx, channel, kind, "", vmin, vmax)
    return -icpt / slope


@answer_function(
    "iv_min_voltage",
    "number",
    "CHANNEL[,PROTOCOL]",
    "step potential with the largest inward peak current (V)",
    1,
    2,
)
def _iv_min_voltage(ctx, channel, protocol_name=""):
    v, i = _iv(ctx, channel, "inward", protocol_name)
    return float(v[int(np.argmin(i))])


@answer_function(
    "iv_peak",
    "number",
    "CHANNEL,KIND,VOLTAGE",
    "current of the I-V (KIND peak, inward, outward, steady) at step potential VOLTAGE "
    "(A); VOLTAGE 'min' or 'max' gives the most negative or positive current",
    3,
)
def _iv_peak(ctx, channel, kind, voltage):
    v, i = _iv(ctx, channel, kind)
    if voltage in ("min", "max"):
        return float(i.min() if voltage == "min" else i.max())
    j = int(np.argmin(np.abs(v - _q(voltage, "voltage"))))
    return float(i[j])


@answer_function(
    "slope_sign",
    "choice",
    "VOLTAGE[,CHANNEL]",
    "'negative' or 'positive': slope of the peak I-V (default Iion) between the steps around VOLTAGE",
    1,
    2,
)
def _slope_sign(ctx, voltage, channel="Iion"):
    v, i = _iv(ctx, channel, "inward")
    x = _q(voltage, "voltage")
    j = int(np.searchsorted(v, x))
    j = min(max(j, 1), v.size - 1)
    return "negative" if (i[j] - i[j - 1]) / (v[j] - v[j - 1]) < 0 else "positive"


@answer_function(
    "remaining",
    "number",
    "CHANNEL,VOLTAGE[,DRUG]",
    "peak inward CHANNEL current at step VOLTAGE with the preset's drugs over that without DRUG, the others kept (default: without any drug) (fraction)",
    2,
    3,
)
def _remaining(ctx, channel, voltage, drug=""):
    from dataclasses import replace

    saved = ctx.step
    names = [name for name, _ in saved.preset.drugs]
    if drug and drug not in names:
        raise PracticalError(
            f"remaining: {drug!r} is not among the step's drugs ({', '.join(names) or 'none'})"
        )
    control_drugs = tuple(d for d in saved.preset.drugs if drug and d[0] != drug)
    with_drug = _iv_peak(ctx, channel, "inward", voltage)
    ctx.step = replace(saved, preset=replace(saved.preset, drugs=control_drugs))
    try:
        control = _iv_peak(ctx, channel, "inward", voltage)
    finally:
        ctx.step = saved
    return with_drug / control


@answer_function(
    "h_inf",
    "number",
    "[VOLTAGE]",
    "steady-state availability h (inactivation gate) at VOLTAGE (default: rest)",
    0,
    1,
)
def _h_inf(ctx, voltage=""):
    cell = ctx.cell()
    v = _q(voltage, "voltage") if voltage else cell.resting_potential()
    return float(cell.steady_state_gates(v)[1])


@answer_function(
    "inactivation_half",
    "number",
    "[PROTOCOL]",
    "V1/2 of a Boltzmann fit to peak INa after each pre-pulse (V)",
    0,
    1,
)
def _inactivation_half(ctx, protocol_name=""):
    from vlab.analysis import fit_inactivation, peak_current

    p = ctx.protocol(protocol_name)
    res = ctx.run(p)
    k = _stimulus_epoch(p)
    a, b = _epoch_window(p, k + 1)
    v = np.array([p.epochs[k].level_at(s).value for s in range(p.sweeps)])
    pk = peak_current(res.t, res.data["INa"], (a + 0.02e-3, b), kind="inward")[0]
    return float(fit_inactivation(v, pk)[0])


@answer_function(
    "recovery_half",
    "number",
    "[PROTOCOL]",
    "recovery interval at which the test INa is back to half its first (conditioning) size (s)",
    0,
    1,
)
def _recovery_half(ctx, protocol_name=""):
    from vlab.analysis import peak_current

    p = ctx.protocol(protocol_name)
    res = ctx.run(p)
    gaps, frac = [], []
    for s in range(p.sweeps):
        bounds = []
        t = 0.0
        for ep in p.epochs:
            bounds.append((t, t + ep.duration_at(s)))
            t += ep.duration_at(s)
        cond = peak_current(
            res.t, res.data["INa"][s], (bounds[1][0] + 2e-5, bounds[1][1]), kind="inward"
        )[0]
        test = peak_current(
            res.t, res.data["INa"][s], (bounds[3][0] + 2e-5, bounds[3][1]), kind="inward"
        )[0]
        gaps.append(p.epochs[2].duration_at(s))
        frac.append(test / cond)
    gaps, frac = np.array(gaps), np.array(frac)
    j = np.nonzero(frac >= 0.5)[0]
    if j.size == 0 or j[0] == 0:
        raise PracticalError("recovery does not cross one half within the tested intervals")
    j = int(j[0])
    return float(np.interp(0.5, frac[j - 1 : j + 1], gaps[j - 1 : j + 1]))


@answer_function(
    "refractory_absolute",
    "number",
    "[PROTOCOL]",
    "longest pulse interval at which the second pulse fails to fire (s)",
    0,
    1,
)
def _refractory_absolute(ctx, protocol_name=""):
    from vlab.analysis import refractory_analysis

    p = ctx.protocol(protocol_name)
    res = ctx.run(p)
    k = next(i for i, ep in enumerate(p.epochs) if ep.type == "train")
    onset = _epoch_window(p, k)[0]
    intervals = [p.epochs[k].period_at(s) for s in range(p.sweeps)]
    cell = ctx.cell()
    r = refractory_analysis(
        res.t,
        res.data["Vm"],
        intervals,
        onset,
        i_inj=res.command,
        cm=cell.values["Cm"] * cell.values["area"],
    )
    if not math.isfinite(r.absolute):
        raise PracticalError("every tested interval gave a second spike")
    return r.absolute


# ---------------------------------------------------------------------------- unknowns, calculators
@answer_function(
    "unknown",
    "choice",
    "NAME",
    "the student's value of a choice unknown (e.g. the mystery drug)",
    1,
)
def _unknown(ctx, name):
    # arguments have already been substituted, so NAME arrives as the value itself
    # when written "{drug}"; written bare it is looked up here
    return str(ctx.unknowns.get(name, name))


@answer_function(
    "nernst_of",
    "number",
    "ION,OUT,IN,TEMPERATURE",
    "Nernst potential for given concentrations and temperature (V) - calculator steps",
    4,
)
def _nernst_of(ctx, ion, c_out, c_in, temp):
    from vlab.sim.ions import nernst

    return nernst(
        _ion(ion), _q(c_out, "concentration"), _q(c_in, "concentration"), _q(temp, "temperature")
    )


@answer_function("difference", "number", "A,B", "A - B for two quantities with units (SI)", 2)
def _difference(ctx, a, b):
    from vlab.units import parse_quantity

    qa, qb = parse_quantity(a), parse_quantity(b)
    if qa.dimension != qb.dimension:
        raise PracticalError(f"cannot subtract {b!r} from {a!r}: different dimensions")
    return qa.value - qb.value


@answer_function(
    "apical_driving_force",
    "number",
    "V_CELL,EP,K_ENDO,K_CELL,TEMPERATURE",
    "hair cell: (V_cell - EP) - E_K across the apical membrane (V); V_cell and EP "
    "are measured against perilymph, E_K from endolymph and cell K+",
    5,
)
def _apical_driving_force(ctx, v_cell, ep, k_endo, k_cell, temp):
    v_apical = _q(v_cell, "voltage") - _q(ep, "voltage")
    return v_apical - _nernst_of(ctx, "K", k_endo, k_cell, temp)


# ---------------------------------------------------------------------------- passive
def _passive_step(ctx: AnswerContext, protocol_name: str = ""):
    """Run a current-clamp step; its recording and the step's and baseline's windows (s)."""
    p = ctx.protocol(protocol_name)
    if p.mode is not ClampMode.CC:
        raise PracticalError(
            f"a passive step needs a current-clamp protocol, {p.name!r} is not one"
        )
    k = _stimulus_epoch(p)
    if k == 0:
        raise PracticalError(f"protocol {p.name!r} needs a baseline epoch before its step")
    a, b = _epoch_window(p, k)
    return ctx.run(p), (0.8 * a, a), (a, b)


@answer_function(
    "input_resistance",
    "number",
    "[PROTOCOL]",
    "R_in = ΔV/ΔI (Ω): voltage in the last fifth of the first sweep's current step minus "
    "that in the last fifth of the epoch before it, over the step's current",
    0,
    1,
)
def _input_resistance(ctx, protocol_name=""):
    from vlab.analysis.passive import input_resistance

    res, base, (a, b) = _passive_step(ctx, protocol_name)
    steady = (b - 0.2 * (b - a), b)
    return float(
        input_resistance(res.t, res.data["Vm"][0], res.command[0], baseline=base, steady=steady)
    )


@answer_function(
    "time_constant",
    "number",
    "[PROTOCOL]",
    "membrane time constant τ (s): single-exponential fit of the voltage from the onset "
    "of the first sweep's current step to its end",
    0,
    1,
)
def _time_constant(ctx, protocol_name=""):
    from vlab.analysis.passive import membrane_time_constant

    res, _, window = _passive_step(ctx, protocol_name)
    return float(membrane_time_constant(res.t, res.data["Vm"][0], window)[0])


@answer_function(
    "capacitance",
    "number",
    "[PROTOCOL]",
    "membrane capacitance C = τ / R_in (F) from the time constant and input resistance",
    0,
    1,
)
def _capacitance(ctx, protocol_name=""):
    return _time_constant(ctx, protocol_name) / _input_resistance(ctx, protocol_name)


# ---------------------------------------------------------------------------- gate kinetics
def _gate_fit(ctx, gate: str, voltage: str, protocol_name: str = "") -> float:
    """Time constant (s) of a single exponential fitted to gate ``gate`` during the step
    of the preset's voltage-clamp family to ``voltage``."""
    from vlab.analysis.passive import fit_exponential

    if gate not in ("m", "h", "n"):
        raise PracticalError(f"gate {gate!r}; allowed: m, h, n")
    p = ctx.protocol(protocol_name)
    if p.mode is not ClampMode.VC:
        raise PracticalError(f"gate time constants need a voltage-clamp protocol, not {p.name!r}")
    k = _stimulus_epoch(p)
    target = _q(voltage, "voltage")
    levels = np.array([p.epochs[k].level_at(s).value for s in range(p.sweeps)])
    j = int(np.argmin(np.abs(levels - target)))
    if abs(levels[j] - target) > 0.5e-3:
        raise PracticalError(f"protocol {p.name!r} has no step to {target * 1e3:g} mV")
    res = ctx.run(p)
    a, b = _epoch_window(p, k, j)
    return float(fit_exponential(res.t, res.data[gate][j], (a, b))[0])


@answer_function(
    "gate_tau",
    "number",
    "GATE,VOLTAGE[,PROTOCOL]",
    "time constant τ (s) of gate m, h or n after a voltage-clamp step to VOLTAGE: a single "
    "exponential fitted to the gate from the step's start to its end",
    2,
    3,
)
def _gate_tau(ctx, gate, voltage, protocol_name=""):
    return _gate_fit(ctx, gate, voltage, protocol_name)


@answer_function(
    "fastest_gate",
    "choice",
    "VOLTAGE[,PROTOCOL]",
    "'m', 'h' or 'n': the gate with the smallest time constant after a step to VOLTAGE",
    1,
    2,
)
def _fastest_gate(ctx, voltage, protocol_name=""):
    taus = {g: _gate_fit(ctx, g, voltage, protocol_name) for g in ("m", "h", "n")}
    return min(taus, key=taus.__getitem__)


# the axon bench's answers register themselves (a module of their own: a different model)
from vlab.practicals import answers_axon  # noqa: E402, F401
