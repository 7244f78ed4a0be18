"""Engine behaviour: batching, streaming in chunks, drugs, guardrails, temperature."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.sim.cell import Cell
from vlab.sim.drugs import Bath, DrugError, get_drug, parse_drug_spec
from vlab.sim.engine import Membrane, SimulationError, run_protocol

UA_CM2 = 1e-2  # A/m^2


def _spikes(t, v, level=0.0):
    return t[1:][(v[:-1] < level) & (v[1:] >= level)]


def _pulse(cell, amp_density, t_on=5e-3, dur=1e-3, total=30e-3, dt=10e-6):
    n = round(total / dt)
    cmd = np.zeros(n + 1)
    cmd[round(t_on / dt) : round((t_on + dur) / dt)] = amp_density * cell.values["area"]
    return cmd


def test_batched_family_equals_sweeps_run_one_by_one():
    cell = Cell("squid")
    proto = load_protocol("threshold_search")
    batch = run_protocol(cell, proto, variables=("Vm",))
    for k in (0, proto.sweeps // 2, proto.sweeps - 1):
        single = proto.with_changes(
            sweeps=1,
            epochs=tuple(
                e.with_changes(level=e.level_at(k), level_increment=None) for e in proto.epochs
            ),
        )
        one = run_protocol(cell, single, variables=("Vm",))
        np.testing.assert_array_equal(one.data["Vm"][0], batch.data["Vm"][k])


def test_streaming_in_chunks_equals_one_long_run():
    cell = Cell("squid")
    cmd = _pulse(cell, 10 * UA_CM2)
    whole = Membrane(cell)
    a = whole.advance("current-clamp", cmd, 10e-6)["Vm"][0]
    chunked = Membrane(cell)
    parts, i = [], 0
    for size in (1, 7, 333, 1000, 1659):
        parts.append(chunked.advance("current-clamp", cmd[i : i + size + 1], 10e-6)["Vm"][0])
        i += size
    np.testing.assert_allclose(np.concatenate(parts), a, rtol=0, atol=1e-12)


def test_squid_fires_repetitively_near_68_hz_at_10_uA_per_cm2():
    cell = Cell("squid")
    mem = Membrane(cell)
    dt, n = 25e-6, 40000  # 1 s
    cmd = np.full(n + 1, 10 * UA_CM2 * cell.values["area"])
    out = mem.advance("current-clamp", cmd, dt, ("Vm",))
    t = np.arange(1, n + 1) * dt
    sp = _spikes(t, out["Vm"][0])
    assert 66 <= len(sp) <= 70  # HH at 6.3 degC: 68 spikes in the first second


def test_ttx_blocks_conductance_not_driving_force():
    control, ttx = Cell("squid"), Cell("squid")
    ttx.set_drug("TTX", 1e-3)  # 1 uM, far above IC50
    assert ttx.reversal("Na") == control.reversal("Na")
    cmd = _pulse(control, 20 * UA_CM2)
    ma, mb = Membrane(control), Membrane(ttx)
    # same membrane potential, same E_Na: the same driving force on Na+
    va, vb = ma.snapshot()["Vm"][0], mb.snapshot()["Vm"][0]
    assert vb - ttx.reversal("Na") == pytest.approx(va - control.reversal("Na"), abs=1e-12)
    a = ma.advance("current-clamp", cmd, 10e-6)
    b = mb.advance("current-clamp", cmd, 10e-6)
    assert a["Vm"].max() > 0.02 and b["Vm"].max() < 0.0  # spike vs. no spike
    frac = get_drug("TTX").fraction_blocked(1e-3, "squid")
    # squid axon IC50 5.1 nM (13.2 nM 4-epiTTX / relative potency 0.39, Toxicon 1985)
    assert frac == pytest.approx(1e-3 / (1e-3 + 5.1e-6), rel=1e-9)
    from vlab.sim.kernel import P_GNA

    ratio = ttx.kernel_params()[P_GNA] / control.kernel_params()[P_GNA]
    assert ratio == pytest.approx(1 - frac, rel=1e-9)
    # at the same V and gates, gNa scales by exactly the unblocked fraction
    m = Membrane(ttx)
    g_ttx = m.advance("voltage-clamp", np.full(3, -0.02), 10e-6, ("gNa",))["gNa"]
    g_ctl = Membrane(control).advance("voltage-clamp", np.full(3, -0.02), 10e-6, ("gNa",))["gNa"]
    np.testing.assert_allclose(g_ttx / g_ctl, 1 - frac, rtol=1e-9)


@pytest.mark.parametrize(
    "name,prep,side,ic50",
    [
        ("TTX", "squid", "outside", 5.1e-6),  # Toxicon 1985;23:725 (PMID 2418538)
        ("TTX", "myelinated_axon", "outside", 3.6e-6),  # Schwarz et al. 1973
        ("TTX", "mammalian", "outside", 6e-6),  # Catterall et al. 2005
        ("TEA", "squid", "inside", 0.4),  # Armstrong 1966
        ("TEA", "mammalian", "outside", 5.0),  # Kv2.1, Gutman et al. 2005
        ("4-AP", "squid", "outside", 1.0),  # Meves & Pichon 1977
        ("4-AP", "squid", "inside", 1.0),
    ],
)
def test_half_block_at_the_cited_ic50(name, prep, side, ic50):
    d = get_drug(name)
    assert d.fraction_blocked(ic50, prep, side) == pytest.approx(0.5)
    assert d.fraction_blocked(0, prep, side) == 0


def test_tea_broadens_the_action_potential():
    control, tea = Cell("squid"), Cell("squid")
    tea.set_drug("TEA", 10.0)  # 10 mM, by internal perfusion (its usual side on squid)
    assert tea.drug_side("TEA") == "inside"
    cmd = _pulse(control, 10 * UA_CM2)
    t = np.arange(1, len(cmd)) * 10e-6

    def width(v):
        above = t[v > 0]
        return above[-1] - above[0]

    w0 = width(Membrane(control).advance("current-clamp", cmd, 10e-6, ("Vm",))["Vm"][0])
    w1 = width(Membrane(tea).advance("current-clamp", cmd, 10e-6, ("Vm",))["Vm"][0])
    assert w1 > 1.5 * w0


def test_pronase_removes_inactivation_in_voltage_clamp():
    control, pron = Cell("squid"), Cell("squid")
    pron.set_drug("pronase", 1.0)  # 1 mg/ml, equilibrated: inactivation gone
    proto = load_protocol("vc_step_family")
    a = run_protocol(control, proto, variables=("INa",))
    b = run_protocol(pron, proto, variables=("INa",))
    k = 10  # step to 0 mV
    end = round(24.9e-3 / proto.sample_interval)
    peak = a.data["INa"][k].min()
    assert abs(a.data["INa"][k, end]) < 0.05 * abs(peak)  # control inactivates
    assert abs(b.data["INa"][k, end]) > 0.5 * abs(peak)  # pronase: sustained


def test_pronase_is_irreversible_in_the_bath():
    bath = Bath()
    bath.apply("pronase", 1.0)
    for _ in range(600):
        bath.advance(0.5)
    removed = bath.pronase_removed
    assert removed > 0.9
    bath.wash("pronase")
    for _ in range(600):
        bath.advance(0.5)
    assert bath.pronase_removed >= removed


def test_lidocaine_block_is_use_dependent():
    """Tonic block of resting channels (Bean et al. 1983, Kd 440 uM) plus block that
    grows with firing frequency and recovers at rest with tau ~ 1.5 s / (1 + c/Kd)."""
    c, kd_rest, tau_off = 0.1, 0.44, 1.5  # mM, mM, s
    cell = Cell("mammalian")  # h ~ 1 at rest: tonic block is the resting-state occupancy
    cell.set_drug("lidocaine", c)
    dt = 25e-6
    ends = []
    for hz in (5, 20, 50):
        mem = Membrane(cell)
        b0 = mem.snapshot()["lido_bound"][0]
        assert b0 == pytest.approx(c / (c + kd_rest), abs=0.005)
        period = round(1 / hz / dt)
        cmd = np.zeros(20 * period + 1)
        for k in range(20):
            cmd[k * period : k * period + round(2e-3 / dt)] = 1.8e-9
        out = mem.advance("current-clamp", cmd, dt, ("Vm", "lido_bound"))
        assert len(_spikes(np.arange(len(cmd) - 1) * dt, out["Vm"][0])) == 20
        ends.append(out["lido_bound"][0, -1])
    assert ends[0] < ends[1] < ends[2] and ends[2] > b0 + 0.2  # grows with frequency
    # recovery at rest after the 50 Hz train: exponential towards tonic block
    rest = mem.advance("current-clamp", np.zeros(3001), 1e-3, ("lido_bound",))["lido_bound"][0]
    tau_expected = tau_off / (1 + c / kd_rest)
    x = (rest - b0) / (ends[2] - b0)
    tau_fit = -1.0 / np.polyfit(np.arange(1, 3001) * 1e-3, np.log(x), 1)[0]
    assert tau_fit == pytest.approx(tau_expected, rel=0.1)


@pytest.mark.parametrize(
    "spec,msg",
    [
        ("XYZ=1mM", "unknown drug"),
        ("TTX=1mV", "concentration"),
        ("TTX=1M", "above the largest allowed 10000 nM"),
        ("TTX=-1nM", r"cannot be negative \(-1 nM\); use 0 to 10000 nM"),
    ],
)
def test_bad_drug_specs_are_refused(spec, msg):
    with pytest.raises(DrugError, match=msg):
        parse_drug_spec(spec)


def test_temperature_speeds_up_the_spike():
    cold, warm = Cell("squid"), Cell("squid")
    warm.set("temperature", "16.3 degC")
    cmd = _pulse(cold, 20 * UA_CM2)
    t = np.arange(1, len(cmd)) * 10e-6

    def width(v):
        above = t[v > -20e-3]
        return above[-1] - above[0]

    wc = width(Membrane(cold).advance("current-clamp", cmd, 10e-6, ("Vm",))["Vm"][0])
    ww = width(Membrane(warm).advance("current-clamp", cmd, 10e-6, ("Vm",))["Vm"][0])
    assert ww < 0.6 * wc


def test_absurd_current_is_caught_not_propagated():
    cell = Cell("squid")
    mem = Membrane(cell)
    before = mem.state.copy()
    cmd = np.full(2001, 1.0)  # 1 A into 0.1 mm^2 of membrane
    with pytest.raises(SimulationError, match="injected current is too large"):
        mem.advance("current-clamp", cmd, 10e-6)
    np.testing.assert_array_equal(mem.state, before)


def test_nan_command_is_refused():
    mem = Membrane(Cell("squid"))
    cmd = np.zeros(11)
    cmd[5] = np.nan
    with pytest.raises(SimulationError, match="NaN"):
        mem.advance("current-clamp", cmd, 10e-6)


@pytest.mark.parametrize("interval,shown", [(20e-3, "20000"), (5e-8, "0.05")])
def test_a_sample_interval_out_of_range_is_refused_in_microseconds(interval, shown):
    with pytest.raises(SimulationError) as err:
        Membrane(Cell("squid")).advance("current-clamp", np.zeros(11), interval)
    assert str(err.value) == f"sample interval {shown} us refused (allowed 0.1 us to 10 ms)"


def test_unstable_step_size_is_refused():
    with pytest.raises(SimulationError, match="refused"):
        Membrane(Cell("squid"), dt_max=1e-3)


def test_chloride_current_sign_convention():
    """Inward Cl- flow is an outward (positive) current: with E_Cl below V, I_Cl > 0."""
    cell = Cell("mammalian")
    cell.set("gCl", "0.05 mS/cm2")
    mem = Membrane(cell)
    out = mem.advance("voltage-clamp", np.full(11, -0.040), 10e-6, ("ICl",))
    assert cell.reversal("Cl") < -0.040
    assert np.all(out["ICl"] > 0)


def test_mammalian_neuron_fires_with_adaptation():
    cell = Cell("mammalian")
    mem = Membrane(cell)
    dt, n = 25e-6, 20000  # 500 ms of 0.4 nA
    cmd = np.full(n + 1, 0.4e-9)
    v = mem.advance("current-clamp", cmd, dt, ("Vm",))["Vm"][0]
    t = np.arange(1, n + 1) * dt
    sp = _spikes(t, v)
    assert len(sp) >= 4
    isi = np.diff(sp)
    assert isi[-1] > 1.2 * isi[0]  # M-current: intervals lengthen
    assert v.max() > 0.030


def test_the_memory_refusal_says_what_the_run_needs_and_what_is_allowed():
    from vlab.sim.engine import check_memory

    check_memory(1, 2**28, 1)  # exactly 2 GiB: allowed
    with pytest.raises(SimulationError) as err:
        check_memory(1000, 1_000_000, 1)  # 8e9 bytes = 7.45 GiB
    assert str(err.value) == (
        "this run would need 7.5 GB of memory (1000 sweeps x 1000000 samples x 1 traces); "
        "at most 2 GB is allowed. Use fewer sweeps, a shorter sweep, a longer sample "
        "interval, or record fewer variables."
    )


def test_a_run_too_large_for_memory_is_refused_before_it_starts():
    proto = load_protocol("single_pulse").with_changes(
        sweeps=1000, sweep_duration=30.0, start_to_start=30.0
    )
    with pytest.raises(SimulationError, match="GB of memory"):
        run_protocol(Cell("squid"), proto)


def test_the_plausibility_notes_name_the_potential_reached_and_the_limit():
    """Beyond -150 mV or +100 mV (PLAUSIBLE_V) a run is kept with a note saying so."""
    from vlab.sim.engine import plausibility_note

    assert plausibility_note(np.array([-0.149, 0.099])) is None
    assert plausibility_note(np.array([-0.2004, -0.07])) == (
        "Vm reached -200 mV: real cells are rarely held below -150 mV, where membranes "
        "start to break down; these are the model's values, not a cell's. Use a smaller "
        "hyperpolarising current."
    )
    assert plausibility_note(np.array([-0.07, 0.6004])) == (
        "Vm reached 600 mV: no action potential or real depolarisation goes above +100 mV; "
        "these are the model's values, not a cell's."
    )


def test_a_divergence_counts_from_when_the_current_began_in_an_earlier_chunk():
    """1 ms at rest, then 20 uA from t = 1 ms streamed in a short chunk that survives and a
    longer one that diverges: the message counts from 1 ms, not from the failing chunk."""
    from vlab.sim.engine import DivergenceError

    mem = Membrane(Cell("squid"))
    mem.advance("current-clamp", np.zeros(101), 10e-6)
    mem.advance("current-clamp", np.full(3, 2e-5), 10e-6)  # 1.00-1.02 ms
    with pytest.raises(DivergenceError, match="injected current is too large") as err:
        mem.advance("current-clamp", np.full(101, 2e-5), 10e-6)
    msg = str(err.value)
    t = float(msg.split("t = ")[1].split(" ms")[0])
    after = float(msg.split("mV ")[1].split(" ms after current injection began")[0])
    assert t > 1.02 and after == pytest.approx(t - 1.0, abs=1e-9)


def test_a_warm_membrane_needs_finer_steps_in_current_clamp_only():
    """At 40 degC (Q10 3: gates ~40x faster than at 6.3 degC) the current-clamp step is cut
    below the 10 us sample interval; voltage clamp is exact at any step, so it keeps one
    step per sample (the integration step a run reports, RunResult.dt)."""
    from dataclasses import replace

    cell = Cell("squid")
    cell.set("temperature", "40 degC")
    vc = replace(load_protocol("vc_step_family"), sweeps=1)
    cc = load_protocol("single_pulse")
    assert vc.sample_interval == cc.sample_interval == pytest.approx(10e-6)
    assert run_protocol(cell, vc).dt == pytest.approx(10e-6, rel=1e-12)
    assert run_protocol(cell, cc).dt < 5e-6


def test_the_too_stiff_refusal_names_the_gate_and_charging_times():
    """HH at 45 degC (Q10 3 from 6.3 degC) with Cm 0.01 uF/cm2: the fastest gate rate is
    m's alpha + beta at -100 mV (the scan's end) times the Q10 factor; full conductance
    charges the membrane at (120 + 36 + 0.3) mS/cm2 / Cm; the step is 120 / (gate rate x
    min(charging rate, 5000)) ms (ACCURACY_K, R_MEMBRANE_CAP)."""
    import math

    from vlab.sim.engine import TooStiffError

    phi = 3.0 ** ((45.0 - 6.3) / 10.0)
    v = -100.0
    alpha_m = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    beta_m = 4.0 * math.exp(-(v + 65.0) / 18.0)
    r_gate = phi * (alpha_m + beta_m)  # 1/ms
    r_mem = (120.0 + 36.0 + 0.3) / 0.01  # 1/ms
    dt_ns = 120.0 / (r_gate * min(r_mem, 5000.0)) * 1e6
    cell = Cell("squid")
    cell.set("temperature", "45 degC")
    cell.set("Cm", "0.01 uF/cm2")
    with pytest.raises(TooStiffError) as err:
        Membrane(cell).advance("current-clamp", np.zeros(11), 10e-6)
    assert str(err.value).startswith(
        f"these settings are too fast to simulate accurately: at 45 degC (Q10 3) the fastest "
        f"gate relaxes in {1e6 / r_gate:.3g} ns and with Cm 0.01 uF/cm2 the membrane charges "
        f"in {1e6 / r_mem:.3g} ns at full conductance, which would need steps of "
        f"{dt_ns:.2g} ns (the limit is 25 ns)."
    )
