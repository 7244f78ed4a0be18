"""The Qt-free axon bench model (vlab.rig.axon_bench) shared by the bench window and the CLI:
one set of validation rules, one readout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.cli import main
from vlab.rig.axon_bench import (
    MAX_STIMULUS,
    NOTE_SAME_PLACE,
    NOTE_TWO_STIMULI,
    SAMPLE_INTERVAL,
    STIM_ONSET,
    AxonSetup,
    BenchError,
    PulseStimulus,
    Stretch,
    parse_stretch,
    readout,
    stretch,
)


def ramp_spike(t: np.ndarray, t_cross: float) -> np.ndarray:
    """A synthetic 100 mV action potential from -65 mV whose half-height (-15 mV) is
    crossed exactly at ``t_cross`` (s): a linear rise of 1 V/ms."""
    rise = np.clip((t - t_cross) * 1e3 + 0.05, 0.0, 0.1)  # V above rest
    return -0.065 + rise


def test_readout_velocity_is_distance_over_travel_time():
    t = np.arange(0, 5e-3, 1e-6)
    # the spike passes 1 cm at 1.0 ms and 3 cm at 2.0 ms: 2 cm / 1 ms = 20 m/s
    r = readout(t, [ramp_spike(t, 1.0e-3), ramp_spike(t, 2.0e-3)], [0.01, 0.03], stim_onset=0.5e-3)
    assert r.velocity == pytest.approx(20.0, rel=1e-3)
    assert r.distance == pytest.approx(0.02)
    assert r.latencies == pytest.approx((0.5e-3, 1.5e-3), abs=2e-6)
    assert r.missing == () and r.notes == ()


def test_readout_names_the_electrode_without_a_spike():
    t = np.arange(0, 5e-3, 1e-6)
    flat = np.full_like(t, -0.065)
    r = readout(t, [ramp_spike(t, 1e-3), flat], [0.01, 0.03])
    assert r.missing == (1,)
    assert math.isnan(r.velocity)


def test_two_stimuli_give_no_velocity_and_say_why():
    """With S2 on, each electrode can see a different action potential: a "velocity" from
    their latency difference would be meaningless, so none is given."""
    t = np.arange(0, 5e-3, 1e-6)
    r = readout(t, [ramp_spike(t, 1e-3), ramp_spike(t, 1.1e-3)], [0.01, 0.04], collision=True)
    assert math.isnan(r.velocity)
    assert NOTE_TWO_STIMULI in r.notes


def test_electrodes_at_one_place_are_noted():
    t = np.arange(0, 5e-3, 1e-6)
    v = ramp_spike(t, 1e-3)
    assert NOTE_SAME_PLACE in readout(t, [v, v], [0.02, 0.02]).notes


def test_pulse_command_has_the_asked_onset_width_and_amplitude():
    cmd, extra = PulseStimulus(20e-6, 0.2e-3, 10e-3).command()
    assert cmd.shape == (1, round(10e-3 / SAMPLE_INTERVAL) + 1)
    on = np.nonzero(cmd[0])[0]
    assert on[0] == round(STIM_ONSET / SAMPLE_INTERVAL)
    assert len(on) == round(0.2e-3 / SAMPLE_INTERVAL)
    assert np.all(cmd[0, on] == 20e-6)
    assert extra == []
    _, extra = PulseStimulus(20e-6, 0.2e-3, 10e-3, second_site=0.05).command()
    assert extra == [(0.05, STIM_ONSET, pytest.approx(0.2e-3), 20e-6)]


@pytest.mark.parametrize(
    "stim,setting",
    [
        (PulseStimulus(2 * MAX_STIMULUS, 0.2e-3, 10e-3), "amplitude"),
        (PulseStimulus(20e-6, 0.2e-3, 0.5e-3), "sweep"),
        (PulseStimulus(20e-6, 0.2e-3, 0.2), "sweep"),
        (PulseStimulus(20e-6, 0.0, 10e-3), "duration"),
        (PulseStimulus(20e-6, 20e-3, 10e-3), "duration"),
        (PulseStimulus(math.nan, 0.2e-3, 10e-3), "amplitude"),
    ],
)
def test_pulses_the_bench_refuses(stim, setting):
    with pytest.raises(BenchError) as err:
        stim.check()
    assert err.value.setting == setting


def test_stretches():
    assert parse_stretch("2cm-3cm", 0.05, "--drug") == Stretch(0.02, 0.03)
    assert parse_stretch("3 cm - 2 cm", 0.05, "--drug") == Stretch(0.02, 0.03)
    assert str(Stretch(0.02, 0.03)) == "2-3 cm"
    with pytest.raises(BenchError, match="outside the axon"):
        stretch(0.01, 0.09, 0.05, "drug stretch")
    with pytest.raises(BenchError, match="no length"):
        stretch(0.02, 0.02, 0.05, "drug stretch")
    with pytest.raises(BenchError, match="expected a stretch"):
        parse_stretch("2cm", 0.05, "--drug")


def test_setup_names_the_bad_setting():
    with pytest.raises(BenchError) as err:
        AxonSetup("squid_axon", parameters={"diameter": "5 m"}).build()
    assert err.value.setting == "diameter"
    with pytest.raises(BenchError) as err:
        AxonSetup("squid_axon", demyelinated=[Stretch(0.01, 0.02)]).build()
    assert err.value.setting == "demyelinate"
    with pytest.raises(BenchError) as err:
        AxonSetup("squid").build()  # a patch of membrane, not an axon
    assert err.value.setting == "preparation"


def test_setup_applies_bath_and_local_drugs_and_demyelination():
    ax = AxonSetup(
        "myelinated_axon",
        parameters={"temperature": "20 degC"},
        bath_drugs=[("TEA", 1.0)],
        local_drugs=[("TTX", 1e-6, Stretch(0.005, 0.01))],
        demyelinated=[Stretch(0.008, 0.011)],
    ).build()
    assert ax.cell.values["temperature"] == pytest.approx(20.0)
    assert ax.cell.drugs.get("TEA") == pytest.approx(1.0)
    assert ax.local_drugs == [(0.005, 0.01, "TTX", 1e-6)]
    assert ax.demyelinated == [(0.008, 0.011)]


@pytest.mark.parametrize(
    "cli_args,setup",
    [
        (["--set", "diameter=5m"], AxonSetup("squid_axon", parameters={"diameter": "5m"})),
        (
            ["--demyelinate", "1cm-2cm"],
            AxonSetup("squid_axon", demyelinated=[Stretch(0.01, 0.02)]),
        ),
    ],
)
def test_cli_and_bench_refuse_by_the_same_rule(cli_args, setup, capsys):
    """`vlab run` on an axon and the bench window share one validation: the CLI's message is
    the model's reason."""
    with pytest.raises(BenchError) as err:
        setup.build()
    assert main(["run", "single_pulse", "--preparation", "squid_axon", *cli_args]) == 2
    assert err.value.reason in capsys.readouterr().err
