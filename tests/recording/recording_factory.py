"""Synthetic sweeps for the recording tests (no simulation engine needed)."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.recording import Sweep

TOML = '[protocol]\nname = "IV family"\n\n[[epochs]]\nkind = "step"\nlevel = "10 mV"\n'


def make_sweep(
    index: int = 0,
    mode: str = "IC",
    n: int = 1000,
    dt: float = 2e-5,
    label: str = "control",
    t0: float | None = None,
    run_id: str = "run-1",
    extra: bool = True,
    seed: int = 0,
) -> Sweep:
    """A plausible sweep: noisy Vm around -65 mV with a spike-like bump, currents in nA."""
    rng = np.random.default_rng(seed + index)
    t = np.arange(n) * dt
    vm = (
        -65e-3 + 90e-3 * np.exp(-(((t - 0.3 * n * dt) / (20 * dt)) ** 2)) + rng.normal(0, 0.2e-3, n)
    )
    im = 2e-9 * np.sin(2 * np.pi * t / (n * dt)) + rng.normal(0, 5e-12, n)
    if mode == "VC":
        cmd = np.where(t > 0.2 * n * dt, -10e-3 + 10e-3 * index, -65e-3)
    else:
        cmd = np.where(t > 0.2 * n * dt, 0.5e-9 * index, 0.0)
    channels = {"Vm": vm, "Im": im, "command": cmd}
    if extra:
        channels |= {
            "m": 0.05 + 0.9 * (vm - vm.min()) / np.ptp(vm),
            "h": 0.6 - 0.5 * (vm - vm.min()) / np.ptp(vm),
            "n": np.full(n, 0.32),
            "INa": -3e-9 * np.exp(-t / (n * dt)),
            "IK": 1e-9 * (1 - np.exp(-t / (n * dt))),
            "gNa": np.full(n, 1.2e-6),
            "gK": np.linspace(0, 3.6e-7, n),
        }
    prov = {
        "preparation": "squid giant axon",
        "parameters": {"area_cm2": 1e-4, "Cm_uF_per_cm2": 1.0, "gNa_mS_per_cm2": 120.0},
        "concentrations": {"Na_out": 440.0, "Na_in": 50.0, "K_out": 20.0, "K_in": 400.0},
        "temperature_C": 6.3,
        "E_Na_mV": 50.0,
        "E_K_mV": -77.0,
        "drugs": {"TTX": {"concentration_M": 1e-7, "fraction_blocked": 0.95}}
        if label == "TTX"
        else {},
        "mode": mode,
        "protocol_name": "IV family" if mode == "VC" else "current steps",
        "protocol_toml": TOML,
        "seed": 1234,
        "created": "2025-03-01T14:05:00+01:00",
        "run_id": run_id,
    }
    return Sweep(
        index=index,
        dt=dt,
        channels=channels,
        t0=index * 1.0 if t0 is None else t0,
        provenance=prov,
        label=label,
        kept=index % 3 != 2,
    )


def assert_sweeps_equal(a: Sweep, b: Sweep, rtol: float = 0.0, atol: float = 0.0) -> None:
    assert a.index == b.index
    assert a.dt == pytest.approx(b.dt, rel=1e-12)
    assert a.t0 == pytest.approx(b.t0, rel=1e-12, abs=1e-15)
    assert a.kept == b.kept
    assert a.label == b.label
    assert a.provenance == b.provenance
    assert list(a.channels) == list(b.channels)
    for name in a.channels:
        np.testing.assert_allclose(
            b.channels[name], a.channels[name], rtol=rtol, atol=atol, err_msg=name
        )
