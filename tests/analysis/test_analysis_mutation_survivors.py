"""Tests for relations that mutation testing found unguarded in vlab.analysis
(docs/testing.md, "Mutation testing"). Expected values come from the definitions
written in each test, never from vlab's output."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.analysis._util import as_time, moving_average
from vlab.analysis.clamp import conductance, reversal_potential

DT = 1e-4  # s


def _impulse(n: int = 21, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n) * DT
    y = np.zeros(n)
    y[k] = 1.0
    return t, y


@pytest.mark.parametrize(
    ("width_samples", "window"),
    [(1, 1), (2, 3), (3, 3), (4, 5), (5, 5), (7, 7)],
)
def test_boxcar_spreads_an_impulse_over_an_odd_centred_window(width_samples, window):
    """A centred boxcar of N samples (N the width in samples, made odd: 2 -> 3, 4 -> 5)
    turns a unit impulse into N samples of 1/N centred on it; one sample or less: unchanged."""
    t, y = _impulse()
    out = moving_average(t, y, width_samples * DT)
    expected = np.zeros_like(y)
    half = window // 2
    expected[10 - half : 10 + half + 1] = 1.0 / window
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_no_zero_crossing_says_so_in_one_line():
    v = np.array([-0.080, -0.060, -0.040])
    i = np.array([-3e-9, -2e-9, -1e-9])
    r = reversal_potential(v, i)
    assert math.isnan(r.e_rev)
    assert r.reason == (
        "no zero crossing: all currents are inward (negative) between -80.0 and -40.0 mV, "
        "so the reversal potential lies outside the tested range"
    )


def test_normalised_conductance_of_a_fully_blocked_current_is_zero_not_nan():
    """G = I/(V - E) = 0 everywhere (every channel blocked): normalising by the largest G
    (0) must not divide by zero; the student sees a flat line at 0."""
    v = np.array([-0.04, -0.02, 0.0, 0.02])
    g = conductance(v, np.zeros(4), e_rev=0.05, normalise=True)
    np.testing.assert_array_equal(g, np.zeros(4))


def test_time_axis_needs_two_strictly_increasing_times():
    """The documented contract of every analysis input: at least 2 times, strictly
    increasing (a repeated time would divide by dt = 0)."""
    np.testing.assert_array_equal(as_time([0.0, DT]), [0.0, DT])  # two are enough
    with pytest.raises(ValueError, match="at least 2 times"):
        as_time([0.0])
    with pytest.raises(ValueError, match="^t must be strictly increasing$"):
        as_time([0.0, DT, DT, 2 * DT])


def test_cursor_rows_have_every_column_whether_or_not_the_trace_reaches_them():
    """Every row of the cursor table has the same columns; a trace that does not reach the
    cursors gives NaN in each (the table shows a dash), a two-sample trace its straight
    line: y = y0 + (y1 - y0)(t - t0)/(t1 - t0)."""
    from vlab.analysis.cursors import between_cursors_each

    line = (np.array([0.0, 1.0]), np.array([0.0, 10.0]))
    far = (np.array([5.0, 6.0, 7.0]), np.array([1.0, 2.0, 3.0]))
    near, away = between_cursors_each([line, far], 0.25, 0.75)
    assert set(near) == set(away)
    assert (near["y1"], near["y2"], near["dy"], near["mean"]) == (2.5, 7.5, 5.0, 5.0)
    assert all(math.isnan(away[k]) for k in ("y1", "y2", "dy", "mean", "peak", "t_peak"))
    assert away["dt"] == 0.5


def test_an_f_i_curve_with_the_wrong_number_of_currents_says_how_many_sweeps():
    from vlab.analysis.firing import fi_curve

    t = np.arange(50) * DT
    v = np.full((3, 50), -0.065)  # three sweeps of 50 samples
    with pytest.raises(ValueError, match=r"^need one current per sweep \(3\); got \(2,\)$"):
        fi_curve(t, v, [1e-9, 2e-9], (0.0, 40 * DT))


def test_f_i_and_refractory_sweeps_of_the_wrong_length_name_the_sweeps_argument():
    from vlab.analysis.firing import fi_curve, refractory_analysis

    t = np.arange(50) * DT
    v = np.full((3, 40), -0.065)  # 40 samples, t has 50
    message = r"^v_sweeps must have shape \(50,\) or \(n_sweeps, 50\)"
    with pytest.raises(ValueError, match=message):
        fi_curve(t, v, [1e-9, 2e-9, 3e-9], (0.0, 40 * DT))
    with pytest.raises(ValueError, match=message):
        refractory_analysis(t, v, [1e-3, 2e-3, 3e-3], 5 * DT)


def test_spike_windows_are_half_open_so_adjacent_windows_count_each_spike_once():
    """``t0 <= t < t1`` (the documented window): a spike at a bin's edge is in the next bin."""
    import dataclasses

    from vlab.analysis.firing import spike_count
    from vlab.analysis.spikes import Spike

    nan = dict.fromkeys((f.name for f in dataclasses.fields(Spike)), math.nan)
    spikes = [Spike(**{**nan, "t_cross": x}) for x in (0.010, 0.020, 0.025)]
    assert spike_count(spikes, (0.0, 0.020)) == 1
    assert spike_count(spikes, (0.020, 0.030)) == 2


def _spike_rising_from_the_start() -> tuple[np.ndarray, np.ndarray]:
    """(t s, V volts), 10 us samples: dV/dt = 20 + 22 (t - 1.5 ms)^2 V/s (t in ms) from
    -64.75 mV up to +40 mV, lowest (20 V/s) at 1.5 ms where V = -10 mV; then a fall at
    100 V/s to -80 mV."""
    t = np.arange(600) * 1e-5
    s = (t - 1.5e-3) * 1e3  # ms from the slowest point
    rise = -10.0 + 20.0 * s + 22.0 / 3.0 * s**3  # mV
    top = int(np.argmax(rise >= 40.0))
    v = np.concatenate([rise[:top], np.maximum(rise[top] - 100.0 * (s[top:] - s[top]), -80.0)])
    return t, v * 1e-3


def test_a_trace_that_starts_on_the_upstroke_has_its_threshold_at_the_lowest_rate():
    """dV/dt never falls below the 10 V/s criterion before the upstroke: the threshold is
    "the lowest dV/dt just before the upstroke" (detect_spikes' documentation): 1.5 ms,
    -10 mV in the trace built here."""
    from vlab.analysis.spikes import detect_spikes

    t, v = _spike_rising_from_the_start()
    (spike,) = detect_spikes(t, v)
    assert spike.t_threshold == pytest.approx(1.5e-3, abs=1e-9)
    assert spike.v_threshold == pytest.approx(-0.010, abs=1e-9)


def test_an_exponential_fit_of_too_few_samples_says_why():
    from vlab.analysis.passive import fit_exponential

    t = np.arange(10) * DT
    tau, amp, off, info = fit_exponential(t, np.exp(-t / 3e-4), (0.0, 2 * DT))
    assert math.isnan(tau) and math.isnan(amp) and math.isnan(off) and not info["success"]
    assert info["message"] == "need at least 4 samples in the window, got 3"


def test_exponential_fit_errors_carry_the_units_of_the_data():
    """Data 1000x larger: amplitude, offset and their standard errors 1000x, tau the same."""
    from vlab.analysis.passive import fit_exponential

    t = np.arange(400) * DT
    noise = np.random.default_rng(3).normal(0.0, 0.02, t.size)
    y = 0.5 + np.exp(-t / 5e-3) + noise
    tau, amp, off, info = fit_exponential(t, y)
    tau_k, amp_k, off_k, info_k = fit_exponential(t, 1e3 * y)
    assert tau_k == pytest.approx(tau, rel=1e-6)
    assert (amp_k, off_k) == pytest.approx((1e3 * amp, 1e3 * off), rel=1e-6)
    err, err_k = info["stderr"], info_k["stderr"]
    assert err["amplitude"] > 0 and err["offset"] > 0 and err["tau"] > 0
    assert err_k["tau"] == pytest.approx(err["tau"], rel=1e-6)
    assert err_k["amplitude"] == pytest.approx(1e3 * err["amplitude"], rel=1e-6)
    assert err_k["offset"] == pytest.approx(1e3 * err["offset"], rel=1e-6)


def test_no_zero_crossing_names_the_tested_range_to_a_tenth_of_a_millivolt():
    r = reversal_potential(np.array([-0.020, 0.060]), np.array([1e-9, 2e-9]))
    assert r.reason == (
        "no zero crossing: all currents are outward (positive) between -20.0 and 60.0 mV, "
        "so the reversal potential lies outside the tested range"
    )


def test_a_failed_point_is_dropped_from_the_reversal_not_breaking_the_crossing():
    """NaNs are dropped (documented): -2 nA at -20 mV and +2 nA at +20 mV cross at 0 mV."""
    v = np.array([-0.020, 0.0, 0.020])
    r = reversal_potential(v, np.array([-2e-9, math.nan, 2e-9]))
    assert r.e_rev == pytest.approx(0.0, abs=1e-12)


def test_an_iv_curve_with_the_wrong_number_of_steps_says_how_many_sweeps():
    from vlab.analysis.clamp import iv_curve

    t = np.arange(50) * DT
    with pytest.raises(ValueError, match=r"^need one step potential per sweep \(3\); got \(2,\)$"):
        iv_curve(t, np.zeros((3, 50)), [-0.02, 0.0], (0.0, 40 * DT))


def _table_cells(text: str) -> list[list[str]]:
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if "--" not in line]


def test_the_analyse_table_shows_every_column_in_its_unit_and_resolution():
    """`vlab run --analyse`: voltages in mV to 0.1 mV, spike times in ms to 0.01 ms, the
    half-width to 1 us, currents in nA to 1 pA, rates in Hz to 0.1 Hz (SI rows converted
    by hand here)."""
    from vlab.analysis.table import format_table

    cc = {
        "sweep": 0,
        "n_spikes": 3,
        "rate": 12.345,
        "first_spike": 0.0123456,
        "latency": 0.0023456,
        "threshold": -0.05234,
        "peak": 0.03123,
        "ahp": -0.07123,
        "half_width": 0.00123456,
    }
    assert _table_cells(format_table([cc])) == [
        ["sweep", "spikes", "rate (Hz)", "1st spike (ms)", "latency (ms)", "threshold (mV)"]
        + ["peak (mV)", "AHP (mV)", "half-width (ms)"],
        ["1", "3", "12.3", "12.35", "2.35", "-52.3", "31.2", "-71.2", "1.235"],
    ]
    vc = {
        "sweep": 1,
        "peak_inward": -1.23456e-9,
        "t_peak_inward": 0.0105,
        "peak_outward": 2.5e-9,
        "t_peak_outward": 0.0212,
        "steady_state": 2.25e-9,
    }
    assert _table_cells(format_table([vc])) == [
        ["sweep", "peak inward (nA)", "t inward (ms)", "peak outward (nA)", "t outward (ms)"]
        + ["steady state (nA)"],
        ["2", "-1.235", "10.50", "2.500", "21.20", "2.250"],
    ]


def test_spike_latency_in_the_table_is_from_the_stimulus_onset_given():
    """Latency = first crossing - stimulus onset: the onset given, else the window's start,
    else none (NaN) when neither is given."""
    from vlab.analysis.table import summarise_sweeps

    t, v = _spike_rising_from_the_start()  # crosses 0 mV near 2 ms
    (row,) = summarise_sweeps(t, v, "CC")
    assert math.isnan(row["latency"])
    (given,) = summarise_sweeps(t, v, "CC", window=(1e-3, 5e-3), stim_onset=0.5e-3)
    assert given["latency"] == pytest.approx(given["first_spike"] - 0.5e-3, abs=1e-12)
    (start,) = summarise_sweeps(t, v, "CC", window=(1e-3, 5e-3))
    assert start["latency"] == pytest.approx(start["first_spike"] - 1e-3, abs=1e-12)


def test_the_d2v_threshold_of_a_logistic_upstroke_is_where_its_curvature_peaks():
    """V = V0 + A / (1 + exp(-(t - tc)/s)): d2V/dt2 peaks at tc - s ln(2 + sqrt(3)). The
    upstroke accelerates from the trace's start, so the look-back stops at the start."""
    from vlab.analysis.spikes import detect_spikes

    t = np.arange(500) * 1e-5
    tc, s = 2e-3, 0.1e-3
    v = -0.070 + 0.100 / (1.0 + np.exp(-(t - tc) / s))
    v = np.where(t > 2.6e-3, np.maximum(v[260] - 100.0 * (t - 2.6e-3), -0.080), v)
    (spike,) = detect_spikes(t, v, threshold_method="d2v")
    assert spike.t_threshold == pytest.approx(tc - s * math.log(2.0 + math.sqrt(3.0)), abs=1.5e-5)


def test_an_exponential_fit_of_the_minimum_four_samples_recovers_tau():
    """Four exact samples of 1 + 2 exp(-t / 0.2 ms) (three parameters): the fit is exact."""
    from vlab.analysis.passive import fit_exponential

    t = np.arange(4) * DT
    tau, amp, off, info = fit_exponential(t, 1.0 + 2.0 * np.exp(-t / 2e-4))
    assert info["success"] and info["n"] == 4
    assert (tau, amp, off) == pytest.approx((2e-4, 2.0, 1.0), rel=1e-5)


def test_columns_the_table_does_not_know_are_printed_as_they_are():
    """format_table: unknown keys under their own name, with 4 significant digits."""
    from vlab.analysis.table import format_table

    text = format_table([{"sweep": 0, "pulses": 3, "ratio": 0.123456}])
    assert _table_cells(text) == [["sweep", "pulses", "ratio"], ["1", "3", "0.1235"]]
