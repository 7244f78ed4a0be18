"""The amplifier's low-pass filter against the analog 4-pole Bessel response.

Relation: the recorded signal is the membrane's passed through a 4-pole Bessel low-pass
(Axon Guide, 3rd ed., ch. 6) whose -3 dB point is the chosen cut-off,
H(s) = 105 / (s^4 + 10 s^3 + 45 s^2 + 105 s + 105) with s scaled so |H| = 1/sqrt(2) at
the cut-off. The polynomial is the 4th-order reverse Bessel polynomial, written here.
A sampled filter is the bilinear transform of that analog filter (prewarped at the
cut-off), so at frequency f it has the analog gain at tan(pi f/fs) / tan(pi fc/fs) x fc.
The filter is measured through the rig as a user records: the voltage-clamp command
monitor (Vm channel in VC) steps, and the step response's increments are the filter's
impulse response, whose transform is the frequency response.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from vlab.rig import ClampMode, Rig
from vlab.rig.simulator import RigSimulator, _OutputStage

BESSEL4 = np.array([1.0, 10.0, 45.0, 105.0, 105.0])  # s^4 .. s^0


def bessel4_gain(f_over_fc: np.ndarray) -> np.ndarray:
    """|H| of the analog 4-pole Bessel low-pass with its -3 dB point at f = fc."""

    def mag(w):
        return abs(105.0 / np.polyval(BESSEL4, 1j * w))

    w3 = brentq(lambda w: mag(w) - 2**-0.5, 0.5, 5.0)  # 2.1139 for the delay-normalised form
    return np.array([mag(w3 * x) for x in np.atleast_1d(f_over_fc)])


def bilinear_ratio(f_hz: np.ndarray, fc_hz: float, fs_hz: float) -> np.ndarray:
    """Analog frequency (in units of the cut-off) that a sampled filter shows at f."""
    return np.tan(np.pi * f_hz / fs_hz) / np.tan(np.pi * fc_hz / fs_hz)


def _measured_gain(cutoff_hz: float, freqs_hz: np.ndarray) -> np.ndarray:
    rig = Rig("squid")
    rig.set_mode(ClampMode.VC)
    rig.set_filter(cutoff_hz)
    sim = RigSimulator(rig)
    before = sim.step(0.002)
    v_hold = before.data["Vm"][-1]
    sim.stimulate(0.010, 1.0)  # +10 mV command step
    vm = np.concatenate([[v_hold], sim.step(0.05).data["Vm"]])
    step = (vm - v_hold) / 0.010
    impulse = np.diff(step)
    n = np.arange(impulse.size)
    dt = sim.dt
    gain = [abs(np.sum(impulse * np.exp(-2j * np.pi * f * dt * n))) for f in freqs_hz]
    return np.array(gain), 1.0 / dt


def test_reference_polynomial_is_the_bessel_filter():
    """Guards the reference itself: unity DC gain and the textbook -3 dB/delay ratio."""
    assert bessel4_gain(0.0)[0] == pytest.approx(1.0)
    assert 20 * np.log10(bessel4_gain(1.0)[0]) == pytest.approx(-3.0103, abs=1e-4)


@pytest.mark.parametrize("cutoff", [1_000.0, 2_000.0])
def test_filter_is_a_four_pole_bessel_at_the_chosen_cutoff(cutoff):
    ratios = np.array([0.25, 0.5, 1.0, 2.0, 3.0])
    gain, fs = _measured_gain(cutoff, ratios * cutoff)
    measured = 20 * np.log10(gain)
    expected = 20 * np.log10(bessel4_gain(bilinear_ratio(ratios * cutoff, cutoff, fs)))
    assert measured[2] == pytest.approx(-3.0103, abs=1e-3)  # -3 dB at the cut-off
    np.testing.assert_allclose(measured, expected, atol=0.01)
    # the roll-off of 4 poles: -25 dB at 3x the cut-off, where 2 poles give -16 dB
    assert measured[-1] < -24.0


def _signal(n: int = 600) -> np.ndarray:
    rng = np.random.default_rng(7)
    x = np.repeat(rng.normal(-0.065, 0.01, n // 20), 20)  # steps every 20 samples
    x[0] = -0.040  # a transient on the very first sample
    return x


def test_filtering_in_chunks_of_any_size_equals_filtering_at_once():
    """The filter's state is carried from chunk to chunk, down to one-sample chunks."""
    x = _signal()
    whole = _OutputStage(1.0).process(x, 20e-6, 2_000.0, 0)
    stage = _OutputStage(1.0)
    sizes = [1, 1, 7, 1, 50, 2, 1]
    parts, i = [], 0
    while i < x.size:
        k = sizes[len(parts) % len(sizes)]
        parts.append(stage.process(x[i : i + k], 20e-6, 2_000.0, 0))
        i += k
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=0, atol=1e-15)


def test_filter_starts_settled_at_the_signal_after_a_reset():
    """No transient of its own: switched in or reset, it starts in steady state at the
    first sample, so the first output equals the first input."""
    stage = _OutputStage(1.0)
    stage.process(np.full(100, 0.02), 20e-6, 1_000.0, 0)
    stage.reset()
    x = _signal()
    y = stage.process(x, 20e-6, 1_000.0, 0)
    assert y[0] == pytest.approx(x[0], abs=1e-15)
    assert y[1] != pytest.approx(x[1], abs=1e-6)  # and it filters from there on


def test_cutoff_the_sampling_cannot_carry_leaves_the_signal_unfiltered():
    """A cut-off at or above 0.45 of the sampling rate cannot be realised: bypassed."""
    x = _signal()
    y = _OutputStage(1.0).process(x, 50e-6, 10_000.0, 0)  # 10 kHz at 20 kHz sampling
    np.testing.assert_array_equal(y, x)
