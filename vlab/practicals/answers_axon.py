"""Answer functions for the axon bench (:mod:`vlab.rig.axon_bench`).

The bench is a window of its own, not the rig a step's preset sets up, so these answers
take the bench's settings as arguments (diameter, stimulus sites S1 and S2, recording
sites; lengths with units, unknowns allowed) and run the same Qt-free model the bench
runs: :class:`~vlab.rig.axon_bench.AxonSetup`, the bench's default pulse of the squid
axon, :func:`~vlab.rig.axon_bench.run_pulse` and :func:`~vlab.rig.axon_bench.readout`.
Registered in :data:`vlab.practicals.answers.REGISTRY` on import.
"""

from __future__ import annotations

import math

import numpy as np

from vlab.practicals.answers import answer_function
from vlab.practicals.errors import PracticalError

_PREPARATION = "squid_axon"
_RUNS: dict[tuple, object] = {}  # (diameter, S1, S2) -> BenchSweep; a key runs each once


def _length(text: str) -> float:
    from vlab.units import parse_quantity

    return parse_quantity(text, "length").value


def _bench(diameter: str, s1: str, s2: str = ""):
    """The bench sweep for the squid axon of ``diameter`` stimulated at S1 (and S2)."""
    from vlab.rig.axon_bench import (
        PREPARATION_DEFAULTS,
        AxonSetup,
        BenchError,
        PulseStimulus,
        run_pulse,
    )
    from vlab.units import parse_quantity

    key = (diameter, s1, s2)
    if key not in _RUNS:
        d = PREPARATION_DEFAULTS[_PREPARATION]
        setup = AxonSetup(_PREPARATION, parameters={"diameter": diameter, "stim_x": s1})
        try:
            axon = setup.build()
            stim = PulseStimulus(
                parse_quantity(str(d["amplitude"]), "current").value,
                parse_quantity(str(d["duration"]), "time").value,
                parse_quantity(str(d["sweep"]), "time").value,
                second_site=_length(s2) if s2 else None,
            )
            _RUNS.clear()  # keep one sweep: they hold every compartment at every sample
            _RUNS[key] = run_pulse(axon, stim)
        except BenchError as exc:
            raise PracticalError(f"axon bench: {exc}") from exc
    return _RUNS[key]


def _passages(sweep, x: float) -> tuple[int, float]:
    """(number of action potentials passing site ``x`` (m), time of the first passage, s):
    upward crossings of half the height of the first one above rest."""
    from vlab.sim.cable import spike_times

    v, _ = sweep.trace_at(x)
    t_first = spike_times(sweep.t, [v], sweep.stim_onset)[0]
    if not math.isfinite(t_first):
        return 0, math.nan
    rest = float(v[0])
    half = rest + 0.5 * (float(v.max()) - rest)
    above = v > half
    return int(np.count_nonzero(above[1:] & ~above[:-1])), float(t_first)


@answer_function(
    "axon_velocity",
    "number",
    "DIAMETER,S1,R1,R2",
    "conduction velocity (m/s) on the axon bench's squid axon of DIAMETER stimulated at S1, "
    "from the passage times at the recording sites R1 and R2 (the bench's readout)",
    4,
)
def _axon_velocity(ctx, diameter, s1, r1, r2):
    from vlab.rig.axon_bench import readout

    sweep = _bench(diameter, s1)
    sites = [_length(r1), _length(r2)]
    r = readout(sweep.t, [sweep.trace_at(x)[0] for x in sites], sites, sweep.stim_onset)
    if not math.isfinite(r.velocity):
        raise PracticalError("no action potential reaches both recording sites")
    return float(r.velocity)


@answer_function(
    "axon_latency",
    "number",
    "DIAMETER,S1,SITE[,S2]",
    "time (s) from the stimulus to the first action potential passing SITE on the axon "
    "bench (S2: a second stimulus at the same time)",
    3,
    4,
)
def _axon_latency(ctx, diameter, s1, site, s2=""):
    sweep = _bench(diameter, s1, s2)
    n, t = _passages(sweep, _length(site))
    if n == 0:
        raise PracticalError(f"no action potential passes {site}")
    return t - sweep.stim_onset


@answer_function(
    "axon_delay",
    "number",
    "DIAMETER,S1,SITE_A,SITE_B",
    "time (s) the action potential started at S1 passes SITE_B minus the time it passes "
    "SITE_A (negative when it reaches SITE_B first)",
    4,
)
def _axon_delay(ctx, diameter, s1, site_a, site_b):
    return _axon_latency(ctx, diameter, s1, site_b) - _axon_latency(ctx, diameter, s1, site_a)


@answer_function(
    "axon_passages",
    "number",
    "DIAMETER,S1,SITE[,S2]",
    "how many action potentials pass SITE during the bench's sweep (S2: a second stimulus "
    "at the same time)",
    3,
    4,
)
def _axon_passages(ctx, diameter, s1, site, s2=""):
    return float(_passages(_bench(diameter, s1, s2), _length(site))[0])


@answer_function(
    "axon_meeting_point",
    "number",
    "DIAMETER,S1,S2",
    "where (m) the action potentials started at S1 and S2 at the same time meet: the site "
    "between them that they reach last",
    3,
)
def _axon_meeting_point(ctx, diameter, s1, s2):
    from vlab.sim.cable import spike_times

    sweep = _bench(diameter, s1, s2)
    a, b = sorted((_length(s1), _length(s2)))
    xs = sweep.comp["x"]
    inside = np.nonzero((xs >= a) & (xs <= b))[0]
    if inside.size == 0:
        raise PracticalError("S1 and S2 are too close together")
    times = spike_times(sweep.t, [sweep.v[:, i] for i in inside], sweep.stim_onset)
    times = np.where(np.isfinite(times), times, -np.inf)
    return float(xs[inside[int(np.argmax(times))]])
