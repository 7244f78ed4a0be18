"""The built-in protocol library: every file loads, and the reference-critical ones are exact."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.clamp import ClampMode
from vlab.protocols import builtin_protocols, load_protocol
from vlab.units import units_for

SQUID_AREA = 1e-7  # m^2 (1e-3 cm2)
MAMMAL_AREA = 1.2e-8  # m^2 (1.2e-4 cm2)
UA_CM2 = 1e-2  # A/m^2
mV = 1e-3

EXPECTED = {
    "single_pulse",
    "threshold_search",
    "strength_duration",
    "paired_pulse",
    "fi_steps",
    "vc_step_family",
    "steady_state_inactivation",
    "recovery_from_inactivation",
    "tail_currents",
    "ramp",
    "gap_free",
}
NAMES = sorted(builtin_protocols())


def test_library_contains_expected_protocols():
    assert EXPECTED <= set(NAMES)
    for name, path in builtin_protocols().items():
        assert path.stem == name and path.suffix == ".toml" and path.is_file()


@pytest.mark.parametrize("name", NAMES)
def test_builtin_loads_and_builds(name):
    p = load_protocol(name)
    assert p.name.strip()
    assert len(p.description) > 60, "each builtin explains itself to students"
    c = p.command(SQUID_AREA)
    assert c.shape == (p.sweeps, p.n_samples)
    assert c.dtype == np.float64
    assert np.all(np.isfinite(c))
    assert p.time().shape == (p.n_samples,)
    assert str(builtin_protocols()[name]) == p.source
    for k in (0, p.sweeps - 1):
        assert len(p.epoch_table(k)) == len(p.epochs)


@pytest.mark.parametrize("name", NAMES)
def test_current_clamp_builtins_scale_with_area(name):
    """Builtins use densities, so they work for any preparation area."""
    p = load_protocol(name)
    if p.is_voltage_clamp:
        assert p.holding.dimension == "voltage"
        return
    assert p.holding.dimension == "current_density"
    assert all(ep.level.dimension == "current_density" for ep in p.epochs)
    np.testing.assert_allclose(
        p.command(MAMMAL_AREA), p.command(SQUID_AREA) * (MAMMAL_AREA / SQUID_AREA), atol=1e-30
    )


def test_single_pulse_matches_neuron_reference():
    p = load_protocol("single_pulse")
    assert p.mode is ClampMode.CC
    assert (p.sweeps, p.n_samples) == (1, 3000)
    assert p.sample_interval == pytest.approx(10e-6)
    density = p.command(area_m2=1.0)[0]  # area 1 m^2 -> numbers are A/m^2
    assert np.all(density[500:600] == pytest.approx(10 * UA_CM2, rel=1e-12))
    assert np.all(density[:500] == 0.0)
    assert np.all(density[600:] == 0.0)
    squid = p.command(SQUID_AREA)[0]
    assert squid[500] == pytest.approx(10e-9)  # 10 nA into a 1e-3 cm2 patch


def test_vc_step_family_matches_neuron_reference():
    p = load_protocol("vc_step_family")
    assert p.mode is ClampMode.VC
    assert (p.sweeps, p.n_samples) == (17, 3000)
    assert p.holding.value == pytest.approx(-65 * mV)
    c = p.command()
    levels = np.arange(-100, 61, 10) * mV
    assert len(levels) == 17
    for k, v in enumerate(levels):
        assert np.all(c[k, 500:2500] == pytest.approx(v, abs=1e-12))
        assert np.all(c[k, :500] == pytest.approx(-65 * mV))
        assert np.all(c[k, 2500:] == pytest.approx(-65 * mV))


def test_threshold_search_brackets_hh_threshold():
    p = load_protocol("threshold_search")
    pulse = p.epochs[-1]
    assert pulse.duration == pytest.approx(1e-3)
    amps = [pulse.level_at(k).value / UA_CM2 for k in range(p.sweeps)]
    assert np.all(np.diff(amps) > 0)
    assert amps[0] < 6.0 and amps[-1] > 8.0  # HH 1-ms threshold is about 6.9 uA/cm2


def test_strength_duration_increments_duration_at_fixed_amplitude():
    p = load_protocol("strength_duration")
    pulse = p.epochs[-1]
    assert pulse.level_increment is None
    widths = [pulse.duration_at(k) for k in range(p.sweeps)]
    assert widths[0] == pytest.approx(0.1e-3)
    assert np.all(np.diff(widths) > 0)
    c = p.command(area_m2=1.0)
    for k in (0, p.sweeps - 1):
        on = np.flatnonzero(c[k] > 0)
        assert on[0] == 500 and len(on) == round(widths[k] / p.sample_interval)


def test_paired_pulse_interval_grows():
    p = load_protocol("paired_pulse")
    train = p.epochs[-1]
    assert train.type == "train" and train.pulses == 2
    assert train.level.value >= 15 * UA_CM2  # suprathreshold
    c = p.command(area_m2=1.0)
    intervals = []
    for k in range(p.sweeps):
        on = np.flatnonzero(c[k] > 0)
        starts = on[np.r_[True, np.diff(on) > 1]]
        assert len(starts) == 2 and starts[0] == 500
        intervals.append((starts[1] - starts[0]) * p.sample_interval)
    assert intervals[0] == pytest.approx(2e-3)
    assert intervals[-1] == pytest.approx(20e-3)


def test_fi_steps():
    p = load_protocol("fi_steps")
    step = max(p.epochs, key=lambda e: e.duration)
    assert 0.2 <= step.duration <= 0.5
    amps = [step.level_at(k).value / UA_CM2 for k in range(p.sweeps)]
    assert amps[0] == pytest.approx(0) and amps[-1] == pytest.approx(20)


def test_steady_state_inactivation():
    p = load_protocol("steady_state_inactivation")
    pre, test = p.epochs[1], p.epochs[2]
    assert pre.duration >= 30e-3  # several h time constants
    assert pre.level_at(0).value == pytest.approx(-120 * mV)
    assert pre.level_at(p.sweeps - 1).value == pytest.approx(-20 * mV)
    assert test.level.value == pytest.approx(0.0) and test.level_increment is None


def test_recovery_from_inactivation_test_pulse_moves():
    p = load_protocol("recovery_from_inactivation")
    c = p.command()
    starts = []
    for k in range(p.sweeps):
        rows = p.epoch_table(k)
        assert rows[1]["level"] == pytest.approx(0.0) and rows[3]["level"] == pytest.approx(0.0)
        assert rows[2]["level"] < -60 * mV
        starts.append(rows[3]["start"])
        assert c[k, rows[3]["start_index"]] == pytest.approx(0.0)
    gaps = np.diff(starts)
    assert np.all(gaps > 0) and np.allclose(gaps, gaps[0])


def test_tail_currents_cross_ek():
    p = load_protocol("tail_currents")
    tail = p.epochs[-1]
    tails = [tail.level_at(k).value for k in range(p.sweeps)]
    assert min(tails) < -77 * mV < max(tails)  # the family brackets E_K
    assert p.epochs[1].level.value > 0  # activating step is depolarising


def test_ramp_is_slow_and_reaches_target():
    p = load_protocol("ramp")
    assert p.is_voltage_clamp
    ramp = next(e for e in p.epochs if e.type == "ramp")
    rows = p.epoch_table(0)
    i = p.epochs.index(ramp)
    start_v = rows[i - 1]["level"]
    rate = (ramp.level.value - start_v) / ramp.duration  # V/s
    assert ramp.duration >= 100e-3 and rate <= 1.0 + 1e-9  # at most 1 mV/ms
    seg = p.command()[0, rows[i]["start_index"] : rows[i]["end_index"]]
    assert seg[0] == pytest.approx(start_v)
    assert seg[-1] == pytest.approx(ramp.level.value, abs=0.5 * mV)
    assert np.all(np.diff(seg) > 0)


def test_gap_free():
    p = load_protocol("gap_free")
    assert p.acquisition == "gap-free" and p.sweeps == 1 and p.mode is ClampMode.CC
    assert p.sweep_duration == pytest.approx(1.0)
    assert np.all(p.command(SQUID_AREA) == 0.0)


def test_docs_describe_every_builtin_and_unit():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"
    text = doc.read_text(encoding="utf-8")
    for name in NAMES:
        assert f"`{name}`" in text, f"docs/protocols.md does not list {name}"
    for dim in ("voltage", "current", "current_density", "time"):
        for unit in units_for(dim):
            assert f"`{unit}`" in text, f"docs/protocols.md does not list unit {unit}"
