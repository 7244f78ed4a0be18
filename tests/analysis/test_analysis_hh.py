"""vlab.analysis on a real Hodgkin–Huxley simulation, checked against NEURON reference values.

The integrator below is a deliberately simple, independent reference. It is
the classic squid axon with NEURON's ``hh`` mechanism (gNa 120, gK 36,
gL 0.3 mS/cm², ENa 50, EK -77, EL -54.3 mV, Cm 1 µF/cm², 6.3 °C, so the
Q10 factor is 1), started at rest from -65 mV and integrated with
classical RK4 in textbook units (mV, ms, µA/cm²). The stimulus is
piecewise constant and sampled at mid-step. Traces are converted to SI for
a patch of 1e-8 m² (1e-4 cm²): Cm = 100 pF, and 1 µA/cm² is 100 pA.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from vlab.analysis import (
    detect_spikes,
    fi_curve,
    firing_rate,
    interspike_intervals,
    refractory_analysis,
)

AREA = 1e-8  # m², i.e. 1e-4 cm²
CM = 1e-2 * AREA  # F (1 µF/cm²)
UA_PER_CM2 = 1e-2 * AREA  # A per µA/cm²


def _vtrap(x: float, y: float) -> float:
    if abs(x / y) < 1e-6:
        return y * (1.0 - x / y / 2.0)
    return x / (math.exp(x / y) - 1.0)


def _rates(v: float) -> tuple[float, float, float, float, float, float]:
    am = 0.1 * _vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (math.exp(-(v + 35.0) / 10.0) + 1.0)
    an = 0.01 * _vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def _hh_rk4(stim, t_stop: float, dt: float, gna: float) -> tuple[np.ndarray, ...]:
    """Integrate HH (mV, ms, µA/cm²). ``stim(t_ms) -> µA/cm²``. Returns t, v, i_inj."""
    gk, gl, ena, ek, el = 36.0, 0.3, 50.0, -77.0, -54.3
    v = -65.0
    am, bm, ah, bh, an, bn = _rates(v)
    m, h, n = am / (am + bm), ah / (ah + bh), an / (an + bn)

    def f(v, m, h, n, i):
        am, bm, ah, bh, an, bn = _rates(v)
        i_ion = gna * m**3 * h * (v - ena) + gk * n**4 * (v - ek) + gl * (v - el)
        return i - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n

    steps = int(round(t_stop / dt))
    vs = np.empty(steps + 1)
    ii = np.empty(steps + 1)
    vs[0] = v
    for k in range(steps):
        i = stim((k + 0.5) * dt)  # current held during [t_k, t_k+1)
        ii[k] = i
        k1 = f(v, m, h, n, i)
        k2 = f(v + dt / 2 * k1[0], m + dt / 2 * k1[1], h + dt / 2 * k1[2], n + dt / 2 * k1[3], i)
        k3 = f(v + dt / 2 * k2[0], m + dt / 2 * k2[1], h + dt / 2 * k2[2], n + dt / 2 * k2[3], i)
        k4 = f(v + dt * k3[0], m + dt * k3[1], h + dt * k3[2], n + dt * k3[3], i)
        v += dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        m += dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        h += dt / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
        n += dt / 6 * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3])
        vs[k + 1] = v
    ii[steps] = stim((steps + 0.5) * dt)
    return np.arange(steps + 1) * dt, vs, ii


@cache
def hh(pulses: tuple[tuple[float, float, float], ...], t_stop: float, dt=0.005, gna=120.0):
    """SI traces (t s, v V, i_inj A) for pulses ``(onset ms, duration ms, µA/cm²)``."""

    def stim(t: float) -> float:
        return sum(a for (t0, d, a) in pulses if t0 <= t < t0 + d)

    t, v, i = _hh_rk4(stim, t_stop, dt, gna)
    return t * 1e-3, v * 1e-3, i * UA_PER_CM2


def test_single_pulse_matches_neuron_reference():
    # 1 ms, 10 µA/cm² at 5 ms. NEURON: one spike, 0-mV crossing 7.262 ms, peak 39.06 mV.
    t, v, i = hh(((5.0, 1.0, 10.0),), 20.0)
    for kwargs in ({}, {"i_inj": i, "cm": CM}):
        spikes = detect_spikes(t, v, stim_onset=5e-3, **kwargs)
        assert len(spikes) == 1
        s = spikes[0]
        assert s.t_cross == pytest.approx(7.262e-3, abs=0.02e-3)
        assert s.v_peak == pytest.approx(39.06e-3, abs=0.5e-3)
        assert s.latency == pytest.approx(s.t_cross - 5e-3)
        # Physiological sanity, not reference numbers: threshold in the usual
        # -60..-50 mV band, and an undershoot between EK and rest.
        assert -60e-3 < s.v_threshold < -50e-3
        assert s.t_threshold < s.t_cross < s.t_peak < s.t_ahp
        assert -77e-3 < s.v_ahp < -65e-3
        assert 0.5e-3 < s.half_width < 3e-3
        assert s.max_dvdt > 100.0 and s.min_dvdt < -20.0


def test_ttx_cell_driven_past_zero_by_huge_step_is_not_a_spike():
    # gNa = 0 (TTX) and 200 µA/cm² for 20 ms: V passes 0 mV only because of the stimulus.
    t, v, i = hh(((5.0, 20.0, 200.0),), 40.0, gna=0.0)
    assert v.max() > 5e-3  # the level really is crossed
    assert detect_spikes(t, v, i_inj=i, cm=CM) == []
    # The shape test also rejects it: the charging curve decelerates from its foot.
    assert detect_spikes(t, v) == []
    # The same stimulus in the intact cell does fire (sodium current is inward).
    t, v, i = hh(((5.0, 20.0, 200.0),), 40.0)
    assert len(detect_spikes(t, v, i_inj=i, cm=CM)) >= 1


def test_physics_test_is_robust_to_recording_noise():
    # 0.3 mV of white noise (as on a real rig) at 5 µs sampling: dV/dt from neighbouring samples
    # has ~40 V/s (1 sigma) of noise, but the 0.1 ms slopes of the physics test are not fooled.
    rng = np.random.default_rng(11)
    t, v, i = hh(((5.0, 20.0, 200.0),), 40.0, gna=0.0)
    t2, v2, i2 = hh(((5.0, 1.0, 10.0),), 20.0)
    for _ in range(5):
        assert detect_spikes(t, v + rng.normal(0, 0.3e-3, v.size), i_inj=i, cm=CM) == []
        noisy = detect_spikes(t2, v2 + rng.normal(0, 0.3e-3, v2.size), i_inj=i2, cm=CM)
        assert len(noisy) == 1
        assert noisy[0].t_cross == pytest.approx(7.262e-3, abs=0.02e-3)


def test_sustained_10uA_fires_at_about_68_hz():
    # Count in the 1 s after the first 100 ms (onset transient excluded). dt = 0.01 ms
    # keeps the run under a second; RK4 changes the ISI by < 0.01 % vs 0.005 ms.
    t, v, i = hh(((0.0, 2000.0, 10.0),), 1100.0, dt=0.01)
    spikes = detect_spikes(t, v, i_inj=i, cm=CM)
    window = (0.1, 1.1)
    rate = firing_rate(spikes, window)
    isi_rate = 1.0 / interspike_intervals(spikes, window).mean()
    assert isi_rate == pytest.approx(68.0, abs=1.0)
    assert rate == pytest.approx(isi_rate, abs=1.0)  # counting is quantised to 1 Hz here
    # Every crossing of 0 mV in this trace is a real spike.
    crossings = np.count_nonzero((v[:-1] < 0) & (v[1:] >= 0))
    assert len(spikes) == crossings


def test_fi_curve_counts_spikes_in_the_step():
    amps = [0.0, 5.0, 10.0, 20.0, 40.0]
    traces = [hh(((20.0, 200.0, a),), 250.0, dt=0.01) for a in amps]
    t = traces[0][0]
    v = np.array([tr[1] for tr in traces])
    i = np.array([tr[2] for tr in traces])
    window = (0.02, 0.22)
    fi = fi_curve(t, v, np.array(amps) * UA_PER_CM2, window, i_inj=i, cm=CM)
    # Independent count: raw upward 0-mV crossings inside the window.
    inside = (t[1:] >= window[0]) & (t[1:] < window[1])
    raw = [np.count_nonzero((vv[:-1] < 0) & (vv[1:] >= 0) & inside) for vv in v]
    assert list(fi.counts) == raw
    assert fi.counts[0] == 0
    assert np.all(np.diff(fi.rates[2:]) > 0)  # above the repetitive-firing onset, f rises with I
    assert fi.rates[2] == pytest.approx(68.0, abs=6.0)  # 200 ms window, includes onset
    assert fi.rheobase == pytest.approx(amps[np.argmax(fi.counts > 0)] * UA_PER_CM2)
    assert np.all(np.diff(fi.latencies[1:]) < 0)  # stronger steps fire sooner


def test_paired_pulse_refractoriness():
    # 0.5 ms, 100 µA/cm² pulses; second pulse 3..20 ms after the first.
    intervals = np.array([3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 14.0, 20.0])
    traces = [hh(((5.0, 0.5, 100.0), (5.0 + d, 0.5, 100.0)), 40.0, dt=0.01) for d in intervals]
    t = traces[0][0]
    v = np.array([tr[1] for tr in traces])
    i = np.array([tr[2] for tr in traces])
    r = refractory_analysis(t, v, intervals * 1e-3, 5e-3, i_inj=i, cm=CM, level=-0.02)
    assert r.first_spike.all()
    assert not r.second_spike[0] and r.second_spike[-1]
    ok = np.flatnonzero(r.second_spike)
    assert np.all(r.second_spike[ok[0] :])  # once the cell recovers it stays recovered
    assert r.absolute == pytest.approx(r.intervals[ok[0] - 1])
    ratios = r.amplitude_ratio[ok]
    assert np.all(np.diff(ratios) > 0)  # recovery is graded
    assert ratios[0] < 0.9 and ratios[-1] > 0.97
    assert r.relative[0] == pytest.approx(r.intervals[ok[0]])
    # A failed second pulse stays far below the level.
    for j in np.flatnonzero(~r.second_spike):
        late = t > (5.0 + intervals[j] + 0.5) * 1e-3
        assert v[j, late].max() < -0.03
