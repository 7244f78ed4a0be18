"""Spike detection on synthetic traces whose features are known analytically.

The test spike is a Gaussian bump of height A and width σ on a flat
baseline, followed 12σ later by a Gaussian dip (the AHP). Every feature has
a closed form:

* peak = baseline + A at t_p
* dV/dt = (A/σ) u exp(-u²/2) with u = (t_p - t)/σ, so the max rise rate
  A/(σ√e) is at u = 1
* the 10 V/s threshold is the root with u > 1
* d²V/dt² peaks on the rising limb at u = √3
* the half-amplitude times follow from inverting the Gaussian

The bumps are so far apart (≥ 12σ) that their overlap is below 1e-30.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from vlab.analysis import Spike, detect_spikes

DT = 10e-6  # s
V_REST = -0.065  # V
A = 0.100  # V
SIGMA = 0.3e-3  # s
AHP = 0.010  # V, depth of the undershoot below rest


def gaussian_train(t: np.ndarray, peaks: list[float]) -> np.ndarray:
    v = np.full_like(t, V_REST)
    for tp in peaks:
        v += A * np.exp(-0.5 * ((t - tp) / SIGMA) ** 2)
        v -= AHP * np.exp(-0.5 * ((t - tp - 12 * SIGMA) / (3 * SIGMA)) ** 2)
    return v


def analytic(tp: float, thr: float = 10.0) -> dict[str, float]:
    u = brentq(lambda u: A / SIGMA * u * math.exp(-u * u / 2) - thr, 1.0, 10.0)
    v_thr = V_REST + A * math.exp(-u * u / 2)
    half = v_thr + 0.5 * (V_REST + A - v_thr)
    w = SIGMA * math.sqrt(2 * math.log(A / (half - V_REST)))
    return {
        "t_threshold": tp - u * SIGMA,
        "v_threshold": v_thr,
        "half_width": 2 * w,
        "max_dvdt": A / (SIGMA * math.sqrt(math.e)),
        "t_max_rate": tp - SIGMA,
        "t_d2v": tp - math.sqrt(3) * SIGMA,
        "t_ahp": tp + 12 * SIGMA,
        "v_ahp": V_REST - AHP,
    }


@pytest.fixture
def one_spike() -> tuple[np.ndarray, np.ndarray, float]:
    t = np.arange(0, 20e-3, DT)
    tp = 5.003e-3  # deliberately off the sample grid
    return t, gaussian_train(t, [tp]), tp


def test_features_of_a_known_spike(one_spike):
    t, v, tp = one_spike
    spikes = detect_spikes(t, v, stim_onset=1e-3)
    assert len(spikes) == 1
    s = spikes[0]
    ref = analytic(tp)
    # Crossing of 0 mV: invert the Gaussian on the rising limb.
    t_cross = tp - SIGMA * math.sqrt(2 * math.log(A / (0 - V_REST)))
    # Tolerances: linear interpolation between 10 µs samples on a curve with
    # σ = 300 µs is good to about (dt/σ)² ≈ 1e-3 of the local scale.
    assert s.t_cross == pytest.approx(t_cross, abs=0.2e-6)
    assert s.latency == pytest.approx(t_cross - 1e-3, abs=0.2e-6)
    assert s.t_threshold == pytest.approx(ref["t_threshold"], abs=0.5e-6)
    assert s.v_threshold == pytest.approx(ref["v_threshold"], abs=20e-6)
    # The peak is the highest sample: within half a sample of t_p.
    assert abs(s.t_peak - tp) <= DT / 2
    assert s.v_peak == pytest.approx(V_REST + A, abs=A * (DT / SIGMA) ** 2)
    assert s.amplitude == pytest.approx(s.v_peak - s.v_threshold)
    assert s.half_width == pytest.approx(ref["half_width"], rel=1e-4)
    # np.gradient's central difference underestimates the max rate by (dt/σ)²/6-ish.
    assert s.max_dvdt == pytest.approx(ref["max_dvdt"], rel=1e-3)
    assert s.min_dvdt == pytest.approx(-ref["max_dvdt"], rel=1e-3)
    assert abs(s.t_ahp - ref["t_ahp"]) <= DT
    # Nearest sample to the AHP minimum: off by at most AHP (dt/2)² / (2 (3σ)²) ≈ 0.15 µV.
    assert s.v_ahp == pytest.approx(ref["v_ahp"], abs=0.2e-6)


def test_second_derivative_threshold(one_spike):
    t, v, tp = one_spike
    (s,) = detect_spikes(t, v, threshold_method="d2v")
    assert abs(s.t_threshold - analytic(tp)["t_d2v"]) <= 1.5 * DT
    assert s.v_threshold == pytest.approx(np.interp(s.t_threshold, t, v))


def test_threshold_criterion_is_configurable(one_spike):
    t, v, tp = one_spike
    (s,) = detect_spikes(t, v, dvdt_threshold=50.0)
    assert s.t_threshold == pytest.approx(analytic(tp, thr=50.0)["t_threshold"], abs=0.5e-6)


def test_train_count_ahp_until_next_spike_and_noise():
    t = np.arange(0, 60e-3, DT)
    peaks = [5e-3, 17.5e-3, 30.2e-3, 44e-3]
    v = gaussian_train(t, peaks)
    spikes = detect_spikes(t, v)
    assert [round(s.t_peak, 5) for s in spikes] == pytest.approx(peaks, abs=DT)
    for s, tp in zip(spikes, peaks, strict=True):
        assert s.v_ahp == pytest.approx(V_REST - AHP, abs=0.2e-6)
        assert abs(s.t_ahp - (tp + 12 * SIGMA)) <= DT
    # 0.3 mV of white noise: without smoothing dV/dt is meaningless (noise/dt = 30 V/s),
    # but hysteresis still counts each spike once. A 0.1 ms boxcar restores the threshold.
    rng = np.random.default_rng(1)
    noisy = v + rng.normal(0, 0.3e-3, v.size)
    assert len(detect_spikes(t, noisy, min_rise_fraction=0.0)) == len(peaks)
    smoothed = detect_spikes(t, noisy, smooth=0.1e-3)
    assert len(smoothed) == len(peaks)
    ref = analytic(peaks[0])
    for s in smoothed:
        assert s.v_threshold == pytest.approx(ref["v_threshold"], abs=2e-3)


def passive_step(t, onset, stop, tau, dv):
    """An RC membrane charged by a current step (τ, final deflection dv in V)."""
    x = np.clip(t - onset, 0, None)
    v = V_REST + dv * (1 - np.exp(-x / tau))
    after = t >= stop
    v_stop = V_REST + dv * (1 - math.exp(-(stop - onset) / tau))
    v[after] = V_REST + (v_stop - V_REST) * np.exp(-(t[after] - stop) / tau)
    return v


def test_stimulus_driven_crossing_is_not_a_spike():
    # A passive cell (τ 1.5 ms, 1 nS) pushed 90 mV up by a 5 ms step crosses 0 mV.
    t = np.arange(0, 20e-3, DT)
    tau, g, dv = 1.5e-3, 1e-9, 0.090
    cm = tau * g
    v = passive_step(t, 5e-3, 10e-3, tau, dv)
    i_inj = np.where((t >= 5e-3) & (t < 10e-3), g * dv, 0.0)
    assert v.max() > 0
    assert detect_spikes(t, v) == []  # shape test: fastest rise is at the foot
    assert detect_spikes(t, v, i_inj=i_inj, cm=cm) == []  # physics: no inward ionic current


def test_physics_test_sees_through_a_spike_shaped_stimulus(one_spike):
    # A current that forces a passive membrane to follow the spike waveform exactly:
    # i_inj = cm dV/dt + g (V - V_rest). It looks like a spike, so the shape test accepts it,
    # but the ionic current g (V - V_rest) is outward throughout.
    t, v, _ = one_spike
    cm, g = 100e-12, 5e-9
    i_inj = cm * np.gradient(v, t) + g * (v - V_REST)
    assert len(detect_spikes(t, v)) == 1
    assert detect_spikes(t, v, i_inj=i_inj, cm=cm) == []
    # With no stimulus current the same trace is regenerative.
    assert len(detect_spikes(t, v, i_inj=np.zeros_like(v), cm=cm)) == 1


def test_sweeps_and_argument_checks(one_spike):
    t, v, _ = one_spike
    both = detect_spikes(t, np.vstack([v, np.full_like(v, V_REST)]))
    assert [len(s) for s in both] == [1, 0]
    assert isinstance(both[0][0], Spike)
    with pytest.raises(ValueError, match="both"):
        detect_spikes(t, v, i_inj=np.zeros_like(v))
    with pytest.raises(ValueError, match="shape"):
        detect_spikes(t, v[:-1])
    with pytest.raises(ValueError, match="threshold_method"):
        detect_spikes(t, v, threshold_method="bogus")
    # A trace that starts above the level has no upward crossing there.
    assert detect_spikes(t[t > 5.1e-3], v[t > 5.1e-3]) == []


def test_spike_cut_off_by_the_end_of_the_trace(one_spike):
    t, v, tp = one_spike
    keep = t < tp + 0.5 * SIGMA  # past the peak, still far above 0 mV
    (s,) = detect_spikes(t[keep], v[keep])
    assert abs(s.t_peak - tp) <= DT / 2
    assert math.isnan(s.v_ahp) and math.isnan(s.t_ahp) and math.isnan(s.half_width)
