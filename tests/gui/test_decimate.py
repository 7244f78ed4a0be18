"""Display decimation: the whole span and every peak of a trace survive."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.gui.decimate import peak_decimate


@pytest.mark.parametrize("n, bins", [(1799, 600), (5000, 600), (100_000, 700), (1201, 600)])
def test_the_whole_span_and_every_peak_are_kept(n, bins):
    """Before, up to ``bins`` of the oldest samples were dropped to make the bins equal: a
    third of the trace for 1,799 samples on 600 columns (the left of the picture empty)."""
    rng = np.random.default_rng(1)
    t = np.arange(n) * 1e-5
    y = rng.normal(size=n)
    y[3] = 50.0  # a spike among the oldest samples
    y[n // 2] = -40.0
    td, (yd,) = peak_decimate(t, [y], bins)
    assert td[0] == t[0] and td[-1] == t[-1]
    assert yd.max() == 50.0 and yd.min() == -40.0
    assert td.size == yd.size <= 2 * bins + 2
    assert np.all(np.diff(td) >= 0)  # in time order


def test_each_pair_is_one_runs_minimum_and_maximum_in_time_order():
    t = np.arange(8.0)
    y = np.array([0.0, 5.0, 1.0, -2.0, 3.0, 2.0, -1.0, 4.0])
    td, (yd,) = peak_decimate(t, [y], 2)  # runs of 4: [0, 5, 1, -2], [3, 2, -1, 4]
    assert td.tolist() == [0.0, 3.0, 4.0, 7.0]
    assert yd.tolist() == [5.0, -2.0, -1.0, 4.0]


def test_short_traces_come_back_as_they_are():
    t = np.arange(5.0)
    y = np.arange(5.0) ** 2
    td, (yd,) = peak_decimate(t, [y], 10)
    assert td is t and yd is y
