"""Passive measures and cursors on exact analytic traces."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.analysis import (
    between_cursors,
    fit_exponential,
    input_resistance,
    membrane_time_constant,
    phase_plane,
    resting_potential,
)

DT = 20e-6
T = np.arange(0, 0.3, DT)
V_REST, R_IN, TAU = -0.070, 150e6, 12e-3  # V, Ω, s
ON, OFF, DI = 0.05, 0.20, -50e-12  # s, s, A (a small hyperpolarising step)


def rc_response() -> tuple[np.ndarray, np.ndarray]:
    """Exact RC charging and discharging curves for a current step, and the current."""
    dv = R_IN * DI
    v = np.full_like(T, V_REST)
    on = (T >= ON) & (T < OFF)
    v[on] += dv * (1 - np.exp(-(T[on] - ON) / TAU))
    v_off = dv * (1 - math.exp(-(OFF - ON) / TAU))
    v[T >= OFF] += v_off * np.exp(-(T[T >= OFF] - OFF) / TAU)
    return v, np.where(on, DI, 0.0)


def test_resting_potential_and_input_resistance():
    v, i = rc_response()
    assert resting_potential(T, v, (0.0, ON)) == pytest.approx(V_REST)
    # Steady window after 10 τ: the residual e^-10 is 5e-5 of ΔV.
    steady = (ON + 10 * TAU, OFF - DT)
    r = input_resistance(T, v, DI, baseline=(0.0, ON - DT), steady=steady)
    assert r == pytest.approx(R_IN, rel=1e-4)
    # The current trace can stand in for the amplitude.
    r2 = input_resistance(T, v, i, baseline=(0.0, ON - DT), steady=steady)
    assert r2 == pytest.approx(r, rel=1e-12)
    both = input_resistance(T, np.vstack([v, v]), DI, baseline=(0.0, ON - DT), steady=steady)
    assert both.shape == (2,)


def test_time_constant_of_exact_exponentials():
    v, _ = rc_response()
    tau, info = membrane_time_constant(T, v, (ON, ON + 8 * TAU))
    assert info["success"]
    assert tau == pytest.approx(TAU, rel=1e-6)
    assert info["v_inf"] == pytest.approx(V_REST + R_IN * DI, abs=1e-9)
    assert info["amplitude"] == pytest.approx(-R_IN * DI, abs=1e-9)
    # The discharge after the step, with a window of only 2 τ, also works exactly.
    tau_off, amp, off, _ = fit_exponential(T, v, (OFF, OFF + 2 * TAU))
    assert tau_off == pytest.approx(TAU, rel=1e-6)
    assert off == pytest.approx(V_REST, abs=1e-9)


def test_time_constant_with_noise_is_within_its_error():
    v, _ = rc_response()
    noisy = v + np.random.default_rng(3).normal(0, 0.2e-3, v.size)  # 0.2 mV on a 7.5 mV step
    tau, info = membrane_time_constant(T, noisy, (ON, OFF - DT))
    se = info["stderr"]["tau"]
    assert 0 < se < 0.05 * TAU
    assert abs(tau - TAU) < 4 * se


def test_fit_exponential_failure_is_reported():
    tau, amp, off, info = fit_exponential(T, np.zeros_like(T), (0.0, 0.1))
    assert math.isnan(tau) and not info["success"] and "no relaxation" in info["message"]


def test_phase_plane_of_a_sine():
    # v = A sin(2π f t): dV/dt = 2π f A cos(2π f t); central differences err by (ω dt)²/6.
    f, amp = 50.0, 0.02
    v = amp * np.sin(2 * np.pi * f * T)
    vv, dvdt = phase_plane(T, v)
    assert np.array_equal(vv, v)
    exact = 2 * np.pi * f * amp * np.cos(2 * np.pi * f * T)
    w = 2 * np.pi * f * DT
    np.testing.assert_allclose(dvdt[1:-1], exact[1:-1], atol=2 * np.pi * f * amp * w**2 / 5)
    vv2, d2 = phase_plane(T, np.vstack([v, 2 * v]))
    assert d2.shape == (2, T.size) and np.allclose(d2[1], 2 * d2[0])


def test_between_cursors_on_a_ramp():
    t = np.linspace(0.0, 1.0, 1001)
    y = 2.0 * t + 1.0
    m = between_cursors(t, y, 0.7505, 0.2505)  # cursors off the grid, given in reverse order
    assert m["t1"] == pytest.approx(0.2505) and m["dt"] == pytest.approx(0.5)
    assert m["y1"] == pytest.approx(1.501) and m["dy"] == pytest.approx(1.0)
    assert m["min"] == pytest.approx(1.501) and m["max"] == pytest.approx(2.501)
    assert m["peak"] == pytest.approx(2.501) and m["t_peak"] == pytest.approx(0.7505)
    assert m["mean"] == pytest.approx(2.001, abs=1e-3)  # samples 0.251..0.750
    # A negative-going transient: the peak keeps its sign.
    y2 = -np.exp(-((t - 0.5) ** 2) / 0.001)
    m2 = between_cursors(t, y2, 0.2, 0.8)
    assert m2["peak"] == pytest.approx(-1.0) and m2["t_peak"] == pytest.approx(0.5)
    assert m2["min"] == pytest.approx(-1.0)
