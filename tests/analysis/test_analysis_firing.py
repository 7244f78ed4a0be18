"""Firing measures on synthetic spike trains with known spike times."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.analysis import (
    detect_spikes,
    fi_curve,
    firing_rate,
    first_spike_latency,
    interspike_intervals,
    refractory_analysis,
    spike_count,
    spike_times,
)

DT = 10e-6
T = np.arange(0, 0.5, DT)
V_REST, SIGMA = -0.065, 0.2e-3


def train(peaks, heights=None) -> np.ndarray:
    """Gaussian spikes (σ = 0.2 ms) peaking at ``peaks`` (s), 100 mV high unless given."""
    v = np.full_like(T, V_REST)
    for k, tp in enumerate(peaks):
        a = 0.1 if heights is None else heights[k]
        v += a * np.exp(-0.5 * ((T - tp) / SIGMA) ** 2)
    return v


def crossing(tp: float, a: float = 0.1) -> float:
    """Exact 0-V crossing time of a spike peaking at tp."""
    return tp - SIGMA * math.sqrt(2 * math.log(a / -V_REST))


def test_counts_rates_intervals_and_latency():
    peaks = [0.1 + 0.025 * k for k in range(9)]  # 40 Hz, first at 100 ms
    spikes = detect_spikes(T, train(peaks))
    times = spike_times(spikes)
    np.testing.assert_allclose(times, [crossing(p) for p in peaks], atol=0.2e-6)
    assert spike_count(spikes) == 9
    assert spike_count(spikes, (0.15, 0.25)) == 4  # peaks at 150, 175, 200, 225 ms
    assert firing_rate(spikes, (0.09, 0.29)) == pytest.approx(40.0)
    np.testing.assert_allclose(interspike_intervals(spikes), 0.025, atol=1e-9)
    assert len(interspike_intervals(spikes, (0.15, 0.25))) == 3
    assert first_spike_latency(spikes, 0.08) == pytest.approx(crossing(0.1) - 0.08, abs=0.2e-6)
    assert math.isnan(first_spike_latency(spikes, 0.4))
    with pytest.raises(ValueError):
        firing_rate(spikes, (0.2, 0.1))


def test_fi_curve_from_a_family():
    # Sweep k fires k spikes at 10 ms spacing inside a 100..300 ms "step".
    v = np.array([train([0.11 + 0.01 * j for j in range(k)]) for k in range(4)])
    currents = np.array([0.0, 50e-12, 100e-12, 150e-12])
    fi = fi_curve(T, v, currents, (0.1, 0.3))
    assert list(fi.counts) == [0, 1, 2, 3]
    np.testing.assert_allclose(fi.rates, [0.0, 5.0, 10.0, 15.0])
    assert math.isnan(fi.latencies[0])
    np.testing.assert_allclose(fi.latencies[1:], crossing(0.11) - 0.1, atol=0.2e-6)
    assert fi.rheobase == pytest.approx(50e-12)
    with pytest.raises(ValueError, match="one current per sweep"):
        fi_curve(T, v, currents[:2], (0.1, 0.3))


def test_refractory_bookkeeping():
    # Design: no 2nd spike below 4 ms; 2nd spike at 60 %, 80 % of full height at 4 and 6 ms; full
    # size from 8 ms. First pulse at 50 ms, spike 1 ms later.
    intervals = np.array([8.0, 2.0, 3.0, 4.0, 6.0, 10.0]) * 1e-3  # unsorted on purpose
    height2 = {2.0: None, 3.0: None, 4.0: 0.6, 6.0: 0.8, 8.0: 1.0, 10.0: 1.0}
    sweeps = []
    for d in intervals:
        h = height2[round(d * 1e3, 1)]
        peaks, heights = [0.051], [0.1]
        if h is not None:
            peaks.append(0.051 + d)
            # Height over baseline scales by h.
            heights.append(h * 0.1)
        sweeps.append(train(peaks, heights))
    r = refractory_analysis(T, np.array(sweeps), intervals, 0.05, level=-0.03)
    np.testing.assert_allclose(r.intervals, np.sort(intervals))
    assert r.first_spike.all()
    assert list(r.second_spike) == [False, False, True, True, True, True]
    np.testing.assert_allclose(r.amplitude_ratio[2:], [0.6, 0.8, 1.0, 1.0], rtol=1e-6)
    assert r.absolute == pytest.approx(3e-3)
    assert r.relative == pytest.approx((4e-3, 6e-3))


def test_refractory_when_every_pulse_pair_fires():
    v = np.array([train([0.051, 0.051 + d]) for d in (0.01, 0.02)])
    r = refractory_analysis(T, v, [0.01, 0.02], 0.05)
    assert math.isnan(r.absolute) and all(math.isnan(x) for x in r.relative)
