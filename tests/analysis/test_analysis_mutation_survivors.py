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
