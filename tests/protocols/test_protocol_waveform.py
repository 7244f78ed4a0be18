"""Waveforms built from protocols: levels at exact sample indices, increments, trains, ramps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vlab.protocols import Epoch, Protocol, ProtocolError, parse_protocol
from vlab.units import Quantity

SQUID_AREA = 1e-7  # m^2 (1e-3 cm2)


def make(
    mode: str,
    epochs: str,
    *,
    sweeps: int = 1,
    duration: str = "30 ms",
    dt: str = "10 us",
    holding: str,
) -> Protocol:
    text = f"""
name = "test"
mode = "{mode}"
holding = "{holding}"
sweeps = {sweeps}
sweep_duration = "{duration}"
sample_interval = "{dt}"
{epochs}
"""
    return parse_protocol(text, source="test.toml")


def vc(epochs: str, *, holding: str = "-65 mV", **kw) -> Protocol:
    return make("voltage-clamp", epochs, holding=holding, **kw)


def cc(epochs: str, *, holding: str = "0 uA/cm2", **kw) -> Protocol:
    return make("current-clamp", epochs, holding=holding, **kw)


STEP = """
[[epochs]]
type = "step"
duration = "{d}"
level = "{lv}"
"""


def step(d: str, lv: str, **extra: str) -> str:
    s = STEP.format(d=d, lv=lv)
    return s + "".join(f'{k} = "{v}"\n' for k, v in extra.items())


# ----------------------------------------------------------------------------- basics
def test_n_samples_and_time_grid():
    p = vc("", duration="30 ms", dt="10 us")
    assert p.n_samples == 3000
    t = p.time()
    assert t.shape == (3000,)
    assert t[0] == 0.0
    assert t[1] == pytest.approx(1e-5)
    assert t[-1] == pytest.approx(2999e-5)


def test_no_epochs_is_all_holding():
    p = vc("", sweeps=2)
    c = p.command()
    assert c.shape == (2, 3000)
    assert c.dtype == np.float64
    assert np.all(c == pytest.approx(-0.065))


def test_step_levels_on_exact_samples():
    p = vc(step("5 ms", "-65 mV") + step("20 ms", "-20 mV"))
    c = p.command()[0]
    assert np.all(c[:500] == pytest.approx(-0.065))
    assert np.all(c[500:2500] == pytest.approx(-0.020))
    assert c[499] == pytest.approx(-0.065) and c[2500] == pytest.approx(-0.065)
    assert np.all(c[2500:] == pytest.approx(-0.065))  # back to holding after the last epoch


def test_level_increment_per_sweep():
    p = vc(step("5 ms", "-65 mV") + step("10 ms", "-80 mV", level_increment="15 mV"), sweeps=4)
    c = p.command()
    for k in range(4):
        assert np.allclose(c[k, 500:1500], -0.080 + 0.015 * k)
        assert c[k, 499] == pytest.approx(-0.065)
        assert c[k, 1500] == pytest.approx(-0.065)


def test_duration_increment_moves_later_epochs():
    p = vc(
        step("2 ms", "-80 mV", duration_increment="1 ms") + step("3 ms", "0 mV"),
        sweeps=3,
    )
    c = p.command()
    for k in range(3):
        first_end = 200 + 100 * k
        assert np.allclose(c[k, :first_end], -0.080)
        assert np.allclose(c[k, first_end : first_end + 300], 0.0)
        assert c[k, first_end + 300] == pytest.approx(-0.065)


def test_boundaries_round_to_nearest_sample():
    # 14 us -> 1.4 samples -> 1; 14 + 12 = 26 us -> 2.6 samples -> 3
    p = vc(step("14 us", "-10 mV") + step("12 us", "-20 mV"), duration="1 ms")
    c = p.command()[0]
    assert c[0] == pytest.approx(-0.010)
    assert c[1] == pytest.approx(-0.020) and c[2] == pytest.approx(-0.020)
    assert c[3] == pytest.approx(-0.065)
    assert p.epoch_bounds(0) == [(0, 1), (1, 3)]


def test_boundaries_exact_half_rounds_up():
    p = vc(step("25 us", "-10 mV"), duration="1 ms")
    assert p.epoch_bounds(0) == [(0, 3)]


# ------------------------------------------------------------------------------- train
TRAIN = """
[[epochs]]
type = "step"
duration = "1 ms"
level = "-65 mV"

[[epochs]]
type = "train"
duration = "10 ms"
level = "0 mV"
pulse_width = "0.5 ms"
period = "2 ms"
pulses = 3
period_increment = "1 ms"
pulse_width_increment = "0.1 ms"
"""


def test_train_pulses_at_right_times():
    p = vc(TRAIN, sweeps=2, duration="20 ms")
    c = p.command()
    # sweep 0: pulses start at 1, 3, 5 ms and last 0.5 ms
    on = np.isclose(c[0], 0.0)
    expected = np.zeros(2000, bool)
    for start in (100, 300, 500):
        expected[start : start + 50] = True
    assert np.array_equal(on, expected)
    # sweep 1: period 3 ms, width 0.6 ms -> pulses at 1, 4, 7 ms
    on = np.isclose(c[1], 0.0)
    expected = np.zeros(2000, bool)
    for start in (100, 400, 700):
        expected[start : start + 60] = True
    assert np.array_equal(on, expected)
    # between pulses and after the train: holding
    assert c[0, 150] == pytest.approx(-0.065) and c[0, 1999] == pytest.approx(-0.065)


def test_train_single_pulse_equals_step():
    train = """
[[epochs]]
type = "train"
duration = "2 ms"
level = "10 uA/cm2"
pulse_width = "1 ms"
period = "1 ms"
pulses = 1
"""
    a = cc(train).command(SQUID_AREA)
    b = cc(step("1 ms", "10 uA/cm2")).command(SQUID_AREA)
    assert np.array_equal(a, b)


# -------------------------------------------------------------------------------- ramp
def test_ramp_from_previous_level_to_target():
    ramp = (
        step("5 ms", "-100 mV")
        + """
[[epochs]]
type = "ramp"
duration = "10 ms"
level = "50 mV"
"""
    )
    p = vc(ramp, duration="20 ms")
    c = p.command()[0]
    seg = c[500:1500]
    assert seg[0] == pytest.approx(-0.100)  # starts at the previous epoch's level
    assert np.all(np.diff(seg) > 0)
    slope = 0.150 / 1000  # V per sample
    assert np.allclose(np.diff(seg), slope)
    assert seg[-1] == pytest.approx(-0.100 + slope * 999)  # reaches +50 mV at t = 15 ms
    assert c[1500] == pytest.approx(-0.065)  # holding afterwards


def test_first_epoch_ramp_starts_at_holding():
    p = vc('[[epochs]]\ntype = "ramp"\nduration = "1 ms"\nlevel = "-55 mV"\n', holding="-75 mV")
    c = p.command()[0]
    assert c[0] == pytest.approx(-0.075)
    assert c[50] == pytest.approx(-0.065)


def test_ramp_after_train_starts_at_holding():
    text = TRAIN + '[[epochs]]\ntype = "ramp"\nduration = "5 ms"\nlevel = "-15 mV"\n'
    p = vc(text, duration="20 ms")
    c = p.command()[0]
    assert c[1100] == pytest.approx(-0.065)
    assert c[1350] == pytest.approx(-0.040)  # halfway from -65 to -15 mV


def test_ramp_in_current_clamp_converts_density():
    p = cc('[[epochs]]\ntype = "ramp"\nduration = "10 ms"\nlevel = "10 uA/cm2"\n')
    c = p.command(SQUID_AREA)[0]
    assert c[0] == 0.0
    assert c[500] == pytest.approx(0.5 * 0.1 * SQUID_AREA)


# ---------------------------------------------------------------- density and absolute
def test_density_multiplied_by_area():
    p = cc(step("5 ms", "0 uA/cm2") + step("1 ms", "10 uA/cm2"))
    for area in (1e-7, 1.2e-8):
        c = p.command(area)[0]
        assert c[550] == pytest.approx(0.1 * area)  # 10 uA/cm2 = 0.1 A/m2
    assert p.command(1e-7)[0, 550] == pytest.approx(10e-9)  # squid patch: 10 nA


def test_absolute_current_ignores_area_and_mixes_with_density():
    p = cc(step("5 ms", "2 nA") + step("1 ms", "10 uA/cm2"), holding="-50 pA")
    a = p.command(1e-7)[0]
    b = p.command(2e-7)[0]
    assert a[0] == pytest.approx(2e-9) and b[0] == pytest.approx(2e-9)
    assert a[550] == pytest.approx(1e-8) and b[550] == pytest.approx(2e-8)
    assert a[700] == pytest.approx(-50e-12) and b[700] == pytest.approx(-50e-12)


def test_density_without_area_is_refused():
    p = cc(step("1 ms", "10 uA/cm2"))
    with pytest.raises(ValueError, match="area_m2"):
        p.command()


def test_absolute_current_needs_no_area():
    p = cc(step("1 ms", "1 nA"), holding="0 nA")
    assert p.command()[0, 50] == pytest.approx(1e-9)


@pytest.mark.parametrize("area", [0.0, -1e-7, float("nan")])
def test_bad_area_is_refused(area):
    p = cc(step("1 ms", "10 uA/cm2"))
    with pytest.raises(ValueError, match="area_m2"):
        p.command(area)


def test_voltage_clamp_ignores_area():
    p = vc(step("1 ms", "0 mV"))
    assert np.array_equal(p.command(), p.command(1e-7))


# --------------------------------------------------------------------------- tables
def test_epoch_table_rows():
    p = vc(step("5 ms", "-65 mV") + step("20 ms", "-100 mV", level_increment="10 mV"), sweeps=17)
    rows = p.epoch_table(16)
    assert [r["label"] for r in rows] == ["A", "B"]
    assert rows[1]["type"] == "step"
    assert rows[1]["start"] == pytest.approx(0.005)
    assert rows[1]["end"] == pytest.approx(0.025)
    assert (rows[1]["start_index"], rows[1]["end_index"]) == (500, 2500)
    assert rows[1]["level"] == pytest.approx(0.060)
    assert rows[1]["dimension"] == "voltage"


def test_epoch_table_train_and_area():
    p = cc(
        step("1 ms", "0 uA/cm2")
        + """
[[epochs]]
type = "train"
duration = "10 ms"
level = "20 uA/cm2"
pulse_width = "1 ms"
period = "4 ms"
pulses = 2
"""
    )
    rows = p.epoch_table(0)
    assert rows[1]["pulses"] == 2
    assert rows[1]["period"] == pytest.approx(4e-3)
    assert rows[1]["level"] == pytest.approx(0.2) and rows[1]["dimension"] == "current_density"
    rows = p.epoch_table(0, area_m2=1e-7)
    assert rows[1]["level"] == pytest.approx(2e-8) and rows[1]["dimension"] == "current"


def test_sweep_index_out_of_range():
    p = vc(step("1 ms", "0 mV"), sweeps=2)
    with pytest.raises(IndexError):
        p.epoch_table(2)
    with pytest.raises(IndexError):
        p.command_sweep(-1)


# ------------------------------------------------------------------- immutability
def test_frozen_and_with_changes_revalidates():
    p = vc(step("5 ms", "-20 mV"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.sweeps = 3  # type: ignore[misc]
    q = p.with_changes(sweeps=3, holding="-70 mV", sweep_duration="40 ms")
    assert q.sweeps == 3 and q.holding == Quantity(pytest.approx(-0.070), "voltage")
    assert q.n_samples == 4000
    with pytest.raises(ProtocolError, match="sweeps"):
        p.with_changes(sweeps=0)
    r = dataclasses.replace(p, epochs=(p.epochs[0].with_changes(duration="2 ms"),))
    assert r.epochs[0].duration == pytest.approx(2e-3)
    with pytest.raises(ProtocolError, match=r"epochs\[0\]\.duration"):
        dataclasses.replace(p, epochs=(Epoch("step", -1e-3, Quantity(0.0, "voltage")),))


def test_protocol_built_in_code():
    p = Protocol(
        name="code",
        mode="current-clamp",
        holding=Quantity(0.0, "current"),
        sweeps=2,
        sweep_duration=0.01,
        sample_interval=1e-5,
        epochs=[
            Epoch(
                "step", 1e-3, Quantity(1e-9, "current"), level_increment=Quantity(1e-9, "current")
            )
        ],
    )
    assert isinstance(p.epochs, tuple)
    assert p.command()[1, 50] == pytest.approx(2e-9)
    assert p.command_unit == "A" and not p.is_voltage_clamp
