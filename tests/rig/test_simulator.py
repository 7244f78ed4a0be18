"""RigSimulator: the Qt-free chunk stepper behind the GUI worker."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.rig import ClampMode, Rig
from vlab.rig.simulator import BLOCK_VARIABLES, Block, RigSimulator, SimulationError

AREA_SQUID = None


def _run(sim: RigSimulator, seconds: float, chunk: float = 0.01) -> list[Block]:
    out = []
    t_end = sim.time + seconds
    while sim.time < t_end - 1e-9:
        b = sim.step(min(chunk, t_end - sim.time))
        if b is not None:
            out.append(b)
    return out


def _cat(blocks, name):
    return np.concatenate([b.data[name] for b in blocks])


def _episode_blocks(rig: Rig, protocol, chunk: float = 0.002) -> list:
    """The blocks of one episode of ``protocol``, stepped in small chunks as the worker does."""
    sim = RigSimulator(rig)
    sim.start_episode(protocol)
    blocks = []
    while sim.episodic:
        b = sim.step(chunk)
        if b is not None:
            blocks.append(b)
    return blocks


def _pulse(rig: Rig) -> float:
    return 0.1 * rig.cell.values["area"]  # 10 uA/cm2 in A


@pytest.fixture
def rig():
    return Rig("squid")


def test_gap_free_block_contents(rig):
    sim = RigSimulator(rig)
    b = sim.step(0.01)
    assert isinstance(b, Block)
    assert set(BLOCK_VARIABLES) <= set(b.data)
    assert all(v.ndim == 1 and v.size == b.n for v in b.data.values())
    assert b.sweep is None and not b.sweep_done and b.mode == "CC"
    assert set(b.reversal) == {"Na", "K", "Cl", "L"}
    assert b.t[0] > 0 and np.allclose(np.diff(b.t), sim.dt)
    # at rest, no stimulus: the squid membrane sits near -65 mV
    assert abs(b.data["Vm"].mean() + 0.065) < 1e-3


def test_stimulus_fires_a_spike(rig):
    sim = RigSimulator(rig)
    _run(sim, 0.01)
    sim.stimulate(_pulse(rig), 1e-3)
    blocks = _run(sim, 0.03)
    assert _cat(blocks, "Vm").max() > 0.0
    assert _cat(blocks, "Im").max() == pytest.approx(_pulse(rig), rel=1e-3)
    # the pulse is used up
    later = _run(sim, 0.03)
    assert _cat(later, "Vm").max() < -0.06


def test_time_is_continuous_across_chunks(rig):
    sim = RigSimulator(rig)
    blocks = _run(sim, 0.05, chunk=0.0073)
    t = np.concatenate([b.t for b in blocks])
    assert np.allclose(np.diff(t), sim.dt)


def test_mode_switch_does_not_jolt(rig):
    sim = RigSimulator(rig)
    before = _run(sim, 0.05)
    rig.set_mode("VC")  # VC holding -65 mV = rest
    vc = _run(sim, 0.05)
    rig.set_mode("CC")
    cc = _run(sim, 0.05)
    assert all(b.mode == "VC" for b in vc) and cc[-1].mode == "CC"
    for blocks in (before, vc, cc):
        vm = _cat(blocks, "Vm")
        assert np.max(np.abs(vm + 0.065)) < 2e-3


def test_i0_mode_has_no_command(rig):
    rig.set_holding(5e-9, "CC")
    rig.set_mode("I=0")
    sim = RigSimulator(rig)
    sim.stimulate(_pulse(rig), 1e-3)
    blocks = _run(sim, 0.02)
    assert np.all(_cat(blocks, "command") == 0)
    assert _cat(blocks, "Vm").max() < -0.06


def test_ttx_blocks_spike_but_not_driving_force(rig):
    sim = RigSimulator(rig)
    e_na = sim.step(0.01).reversal["Na"]
    rig.apply_drug("TTX", 1e-3, equilibrated=True)  # 1 uM
    b = sim.step(0.01)
    assert b.blocked["TTX"] > 0.99
    assert b.reversal["Na"] == e_na
    sim.stimulate(_pulse(rig), 1e-3)
    assert _cat(_run(sim, 0.03), "Vm").max() < -0.02


def test_drug_washes_in_during_the_run(rig):
    sim = RigSimulator(rig)
    rig.apply_drug("TTX", 1e-4)  # 100 nM; squid chamber exchange tau 20 s (2 ml, 6 ml/min)
    first = sim.step(0.005).blocked.get("TTX", 0.0)
    b = None
    for _ in range(100):  # 10 s in 100 ms chunks
        b = sim.step(0.1)
    assert 0 <= first < 0.05
    # 10 s: c = 100 nM (1 - e^-0.5) = 39 nM at most, block below 39/(39 + 5.1) = 0.89
    assert 0.2 < b.blocked["TTX"] < 0.89
    sim.idle(120.0)  # 6 exchange time constants more
    assert sim.step(0.1).blocked["TTX"] > 0.9


def test_change_of_k_out_moves_e_k(rig):
    sim = RigSimulator(rig)
    e_k = sim.step(0.005).reversal["K"]
    rig.set_parameter("K_out", "100 mM")
    b = sim.step(0.005)
    assert b.reversal["K"] > e_k + 0.01


def test_episodic_vc_family_records_sweeps_with_provenance(rig):
    rig.apply_drug("TEA", 1.0, equilibrated=True)
    sim = RigSimulator(rig)
    p = load_protocol("vc_step_family")
    blocks = sim.run_episode(p)
    records = [b.record for b in blocks if b.record is not None]
    assert len(records) == p.sweeps
    assert blocks[-1].episode_done and not sim.episodic
    s = records[8]  # step to -20 mV
    assert s.n_samples == p.n_samples and s.dt == p.sample_interval
    assert s.mode == "VC"
    assert s["Im"].min() < -1e-7  # inward Na+ peak
    assert np.allclose(s["command"], p.command(rig.cell.values["area"])[8])
    prov = s.provenance
    for key in (
        "preparation",
        "parameters",
        "concentrations",
        "temperature_C",
        "reversal_mV",
        "drugs",
        "protocol_toml",
        "seed",
        "vlab_version",
        "created",
        "run_id",
    ):
        assert key in prov, key
    assert prov["drugs"]["TEA"]["fraction_blocked"] > 0
    assert "vc_step_family" in prov["protocol_toml"] or "Voltage-step" in prov["protocol_toml"]
    # sweep t=0 sample present and the sweep starts at its holding potential
    assert s["Vm"][0] == pytest.approx(-0.065, abs=1e-4)


def test_hidden_drug_names_stay_hidden_in_recordings_and_exports(rig, tmp_path):
    """A mystery practical hides the drug's name on screen; the exported files must too."""
    from vlab.recording import write_csv
    from vlab.recording.export_nwb import write_nwb

    rig.apply_drug("4-AP", 1.0, equilibrated=True)
    rig.set_locked({"drugs", "drug_names"})
    sim = RigSimulator(rig)
    records = [b.record for b in sim.run_episode(load_protocol("single_pulse")) if b.record]
    drugs = records[0].provenance["drugs"]
    assert drugs == {"unknown drug 1": {"hidden": True}}
    for writer, name in ((write_csv, "run.csv"), (write_nwb, "run.nwb")):
        writer(records, tmp_path / name, {})
        raw = (tmp_path / name).read_bytes()
        assert b"4-AP" not in raw and b"4AP" not in raw, name
    # with the names shown again, the provenance names the drug
    rig.set_locked(set())
    records = [b.record for b in sim.run_episode(load_protocol("single_pulse")) if b.record]
    assert records[0].provenance["drugs"]["4-AP"]["fraction_blocked"] > 0


def test_episode_matches_run_protocol(rig):
    from vlab.sim.engine import run_protocol

    p = load_protocol("single_pulse")
    ref = run_protocol(rig.cell, p)
    blocks = _episode_blocks(rig, p)
    rec = blocks[-1].record
    assert np.allclose(rec["Vm"], ref.data["Vm"][0], atol=2e-5)  # digitiser LSB is 0.03 mV
    assert np.allclose(rec["m"], ref.data["m"][0], atol=1e-12)  # chunking changes nothing
    assert rec["Vm"].max() > 0


def test_gaps_between_sweeps_return_none(rig):
    sim = RigSimulator(rig)
    sim.start_episode(load_protocol("paired_pulse"))
    first = sim.step(1.0)
    assert first.sweep_done and first.sweep == 0
    assert sim.step(0.05) is None  # inter-sweep interval
    sim.stop_episode()
    assert sim.step(0.01).sweep is None  # back to gap-free


def test_filter_state_is_carried_between_chunks(rig):
    rig.set_filter(1000.0)
    a = RigSimulator(rig)
    a.stimulate(_pulse(rig), 1e-3)
    whole = a.step(0.02).data["Vm"]
    b = RigSimulator(rig)
    b.stimulate(_pulse(rig), 1e-3)
    parts = np.concatenate(
        [b.step(0.0037).data["Vm"] for _ in range(6)] + [b.step(0.0278).data["Vm"]]
    )
    assert np.allclose(whole, parts[: whole.size], atol=1e-6)
    # the filter smooths what is recorded, not the membrane: gating follows the unfiltered Vm
    raw = RigSimulator(Rig("squid"))
    raw.stimulate(_pulse(rig), 1e-3)
    unf = raw.step(0.02)
    assert unf.data["Vm"].max() > whole.max()


def test_gain_sets_resolution_and_range(rig):
    rig.set_gain(100)  # Vm range +-10 mV in CC
    sim = RigSimulator(rig)
    vm = sim.step(0.01).data["Vm"]
    assert vm.min() == pytest.approx(-0.010)
    rig.set_gain(1)
    vm = sim.step(0.01).data["Vm"]
    assert vm.mean() == pytest.approx(-0.065, abs=1e-3)


def test_divergence_raises_and_keeps_state(rig):
    sim = RigSimulator(rig)
    sim.step(0.01)
    state = sim.membrane.state.copy()
    sim.stimulate(1e-3, 5e-3)  # 1 mA into a 0.1 mm2 patch
    with pytest.raises(SimulationError):
        sim.step(0.01)
    assert np.array_equal(sim.membrane.state, state)
    sim.reset_cell()
    assert abs(sim.step(0.01).data["Vm"].mean() + 0.065) < 1e-3


def test_preparation_change_resets_membrane(rig):
    sim = RigSimulator(rig)
    sim.step(0.01)
    rig.set_preparation("mammalian")
    b = sim.step(0.01)
    assert np.all(np.isfinite(b.data["Vm"]))
    assert -0.09 < b.data["Vm"].mean() < -0.05


def test_stimulus_validation(rig):
    sim = RigSimulator(rig)
    with pytest.raises(ValueError):
        sim.stimulate(float("nan"), 1e-3)
    with pytest.raises(ValueError):
        sim.stimulate(1e-9, -1.0)


def test_start_episode_without_protocol(rig):
    with pytest.raises(ValueError, match="no protocol"):
        RigSimulator(rig).start_episode()


def test_mode_in_block_follows_clamp_mode(rig):
    sim = RigSimulator(rig)
    assert sim.step(1e-3).mode is ClampMode.CC
    rig.set_mode("I=0")
    assert sim.step(1e-3).mode is ClampMode.I0
    rig.set_mode("VC")
    assert sim.step(1e-3).mode is ClampMode.VC


def test_blocks_beyond_a_plausible_membrane_potential_carry_a_note():
    """A -1.2 nA step into the cortical cell dips to about -158 mV before Ih sags it back to
    its steady state (tests/sim/test_mammalian_reference): the stream says that no real
    cell is held below -150 mV."""
    from vlab.rig import ClampMode

    rig = Rig("mammalian")
    rig.set_mode(ClampMode.CC)
    sim = RigSimulator(rig)
    assert sim.step(0.01).note is None
    sim.stimulate(-1.2e-9, 0.3)
    notes = [sim.step(0.05).note for _ in range(6)]
    assert any(n is not None and "below -150 mV" in n for n in notes)


def test_sweeps_start_when_the_protocol_says(rig):
    """Sweeps start start_to_start apart, as the protocol file asks (vc_step_family: 1 s;
    the first wave recorded them 0.23 s apart), with the gaps passed in real steps."""
    from dataclasses import replace

    p = load_protocol("vc_step_family")
    p = replace(p, sweeps=3)  # the pacing, not the family, is under test
    assert p.start_to_start == pytest.approx(1.0)
    sim = RigSimulator(rig)
    sim.start_episode(p)
    records = []
    while sim.episodic:
        b = sim.step(0.05)
        if b is not None and b.record is not None:
            records.append(b.record)
    assert np.diff([r.t0 for r in records]) == pytest.approx([1.0, 1.0], abs=p.sample_interval)


def test_back_to_back_sweeps_when_start_to_start_equals_the_sweep(rig):
    from dataclasses import replace

    p = replace(load_protocol("vc_step_family"), sweeps=3)
    p = replace(p, start_to_start=p.sweep_duration)
    records = [b.record for b in RigSimulator(rig).run_episode(p) if b.record is not None]
    starts = np.diff([r.t0 for r in records])
    assert starts == pytest.approx([p.sweep_duration] * 2, abs=p.sample_interval)


def test_a_repeat_run_starts_every_cycle_at_the_first_sweep(rig):
    """Repeat runs the whole protocol again and again: after the last sweep comes sweep 1
    (index 0) with its own command, not sweep 2."""
    sim = RigSimulator(rig)
    p = load_protocol("vc_step_family").with_changes(sweeps=3)
    sim.start_episode(p, repeat=True)
    done = []
    while len(done) < 5:  # one cycle of 3 sweeps and two of the next
        b = sim.step(10.0)
        if b is not None and b.sweep_done:
            done.append(b)
    assert [b.sweep for b in done] == [0, 1, 2, 0, 1]
    assert done[2].episode_done and sim.episodic  # a cycle ended, the run goes on
    cmd = p.command(rig.cell.values["area"])
    np.testing.assert_allclose(done[3].record["command"], cmd[0])
    sim.stop_episode()


def test_gap_free_chunks_follow_each_other_at_the_sample_interval(rig):
    """Streaming is continuous: each chunk starts one 20 us sample after the last one
    ended, and the rig's clock has advanced by exactly the samples delivered."""
    sim = RigSimulator(rig)
    first, second = sim.step(0.01), sim.step(0.01)
    assert first.n == second.n == 500
    assert second.t[0] == pytest.approx(first.t[-1] + 20e-6, abs=1e-12)
    assert sim.time == pytest.approx(0.02, abs=1e-12)


@pytest.mark.parametrize("gain", [1, 10])
def test_recorded_vm_is_quantised_by_a_16_bit_plus_minus_10_v_digitiser(rig, gain):
    """docs/gui.md: a 16-bit +-10 V digitiser behind the Vm output of 10 mV/mV x gain, so
    one step of the recorded Vm is 20 V / 2^16 / (10 x gain) of membrane potential."""
    rig.set_gain(gain)
    sim = RigSimulator(rig)
    sim.stimulate(10e-6 * 1e-3, 1e-3)  # a spike: many levels
    vm = np.concatenate([b.data["Vm"] for b in _run(sim, 0.02)])
    lsb = 20.0 / 2**16 / (10.0 * gain)
    steps = vm / lsb
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    assert np.unique(np.round(steps)).size > 50


def test_the_rig_clock_runs_forward_through_a_sweep_by_its_duration(rig):
    """The experiment clock (the worker's speed readout, the pacing of the next sweep)
    advances with every sample recorded: one sweep of a protocol takes its duration."""
    from dataclasses import replace

    p = replace(load_protocol("vc_step_family"), sweeps=1)
    sim = RigSimulator(rig)
    sim.start_episode(p)
    clock = [sim.time]
    while sim.episodic:
        sim.step(0.005)
        clock.append(sim.time)
    assert np.all(np.diff(clock) > 0)
    assert sim.time == pytest.approx(p.sweep_duration, abs=p.sample_interval)


@pytest.mark.parametrize("cutoff", [None, 10e3, 1e3])
def test_blocks_carry_the_membranes_own_potential_whatever_the_filter(rig, cutoff):
    """``Vmem`` is the engine's V itself (no filter, no digitiser): sample for sample the
    integration ``vlab.sim.run_protocol`` does on the same cell, at any filter setting;
    ``Vm``, the amplifier's output, lags it. A causal 4-pole Bessel low-pass delays a
    slow signal by its group delay, 2.1139 / (2 pi f_c) (the delay-normalised Bessel
    polynomial's -3 dB frequency is 2.1139 rad/s): 0.336 ms at 1 kHz, so the amplifier's
    spike peak comes at least 0.3 ms after the membrane's."""
    from vlab.sim.engine import run_protocol

    rig.set_filter(cutoff)
    p = load_protocol("single_pulse")
    ref = run_protocol(rig.cell, p).data["Vm"][0]
    blocks = _episode_blocks(rig, p)
    vmem, vm = _cat(blocks, "Vmem"), _cat(blocks, "Vm")
    assert np.allclose(vmem, ref, rtol=0, atol=1e-12)
    lag = (np.argmax(vm) - np.argmax(vmem)) * p.sample_interval
    if cutoff == 1e3:
        assert lag >= 0.3e-3
    # a recorded sweep holds what a rig records: the amplifier's Vm, not Vmem
    rec = blocks[-1].record
    assert "Vmem" not in rec.channels and "Vm" in rec.channels
    assert np.array_equal(rec["Vm"], vm)


def test_gap_free_vmem_is_not_filtered(rig):
    """Gap-free too: with a 1 kHz filter the membrane's own spike peak is the unfiltered
    one (same as with the filter bypassed), the amplifier's is lower and later."""
    peaks = {}
    for cutoff in (None, 1e3):
        rig.set_filter(cutoff)
        sim = RigSimulator(rig)
        sim.stimulate(_pulse(rig), 1e-3)
        b = sim.step(0.02)
        peaks[cutoff] = (b.data["Vmem"], b.data["Vm"])
    assert np.array_equal(peaks[None][0], peaks[1e3][0])
    vmem, vm = peaks[1e3]
    assert vm.max() < vmem.max() and np.argmax(vm) > np.argmax(vmem)
