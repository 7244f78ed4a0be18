"""The practicals that taught wrong physics, checked against values from outside vlab."""

from __future__ import annotations

import pytest
from practical_toml import practical_toml

from vlab.practicals import (
    PracticalError,
    PracticalSession,
    apply_preset,
    load_practical,
    simulate_sweeps,
)
from vlab.practicals.answers import AnswerContext, evaluate

#: Hodgkin & Huxley (1952) leak conductance, 0.3 mS/cm2 (J Physiol 117:500, Table 3)
G_LEAK = 0.3e-3 * 1e4  # S/m^2


def _ctx(name, step, **unknowns):
    p = load_practical(name)
    return p, AnswerContext(p, p.steps[step], unknowns)


@pytest.mark.parametrize("k_out", [10.0, 30.0])
def test_ohm_leak_fit_gives_the_hh_leak_conductance(k_out):
    """TEA leaves ~1 % of gK: a fit over every point bends; the straight part is the leak."""
    p, ctx = _ctx("ohm_driving_force", 0, K_out=k_out, gL=G_LEAK, area=1e-7)
    area = ctx.cell().values["area"]
    _, g = p.question("g_leak")
    assert evaluate(g.answer, ctx) == pytest.approx(G_LEAK * area, rel=0.02)
    assert evaluate("iv_slope:Iion,steady", ctx) > 1.05 * G_LEAK * area  # the old key bent
    _, e = p.question("e_leak")
    assert evaluate(e.answer, ctx) == pytest.approx(ctx.cell().reversals()["L"], abs=0.5e-3)


def test_refractory_tells_the_absolute_from_the_relative_period():
    """A second pulse that fails at 20 uA/cm2 fires at 100 uA/cm2: that interval was
    relatively refractory; the strong pulse's failures are shorter."""
    p, ctx = _ctx("refractory", 0, temp=6.0, gNa=1200.0)
    weak = evaluate("refractory_absolute", ctx)
    _, ctx2 = _ctx("refractory", 1, temp=6.0, gNa=1200.0)
    strong = evaluate(p.question("absolute_strong")[1].answer, ctx2)
    assert strong < weak - 2e-3
    assert p.question("which_is_absolute")[1].correct == "relative"
    assert "however strong the pulse" not in p.steps[0].text


def test_mystery_drug_evidence_must_have_a_drug_in_the_bath():
    s = PracticalSession(load_practical("mystery_blocker"), "m1", autosave=False)
    spike = s.practical.step_index("spike")
    control = simulate_sweeps(
        s.preset(s.practical.step_index("control")), tag=s.recording_tag(spike)
    )
    fb = s.check_recording("rec_drug_cc", control)
    assert not fb.correct and "drug in the bath" in fb.message
    assert s.check_recording(
        "rec_drug_cc", simulate_sweeps(s.preset(spike), tag=s.recording_tag(spike))
    ).correct
    assert "fires by itself" in s.practical.steps[spike].text


def test_h_inf_in_high_k_does_not_accept_zero():
    s = PracticalSession(load_practical("hyperkalaemia"), "h1", autosave=False)
    assert not s.submit("h_high", "0").correct
    assert s.submit("h_high", f"{s.key('h_high'):.4f}").correct


def test_texts_say_what_the_model_does():
    ghk = load_practical("ghk_rest")
    assert (
        "a few millivolts" not in ghk.steps[1].text and "15 to 30 mV above E_K" in ghk.steps[1].text
    )
    up = load_practical("up_vs_down")
    assert "Iion in the membrane view" not in up.question("i_up")[1].hint
    anatomy = load_practical("spike_anatomy").steps[0].text
    assert anatomy.index("membrane view") < anatomy.index("single pulse")
    hyper = load_practical("hyperkalaemia").steps[2]
    assert "Severe hyperkalaemia" not in hyper.title and "extracellular space" in hyper.text


def test_a_step_locks_the_filter_that_would_lower_the_peak():
    from vlab.rig import Rig
    from vlab.rig.rig import RigError

    s = PracticalSession(load_practical("spike_anatomy"), "f1", autosave=False)
    rig = Rig()
    rig.set_filter(1000.0)
    apply_preset(rig, s.preset(0))
    assert rig.amplifier.lowpass_hz == 10_000.0
    rig.set_locked(s.lock(0).locked)
    with pytest.raises(RigError, match="low-pass filter"):
        rig.set_filter(1000.0)
    from vlab.practicals import parse_practical

    with pytest.raises(PracticalError, match="filter"):
        parse_practical(_BAD_FILTER, source="bad.toml")


_BAD_FILTER = practical_toml("bad", preset={"protocol": None, "filter": "3 kHz"}, questions=[])


def test_remaining_fraction_compares_with_the_steps_own_control():
    """ttx_driving_force's control is the TEA step: the fraction left by TTX is the
    unblocked share Kd / (Kd + c) of gNa (Kd 5.1 nM, resources/drugs), also for the
    smallest Na+ gradient (the most internal Na+), where the K+ current once shrank a
    drug-free "control" and the key came out ~1."""
    p = load_practical("ttx_driving_force")
    step = p.steps[1]
    (na_in,) = [u for u in p.unknowns if u.name == "Na_in"]
    ctx = AnswerContext(p, step, {"ttx": 1.3e-6, "Na_in": na_in.high})  # mol/m3 = mM
    (q,) = [q for q in step.questions if q.id == "fraction"]
    assert evaluate(q.answer, ctx) == pytest.approx(5.1 / (5.1 + 1.3), abs=0.02)
    with pytest.raises(PracticalError, match="not among the step's drugs"):
        evaluate("remaining:Iion,0 mV,4-AP", ctx)


def test_passive_recording_check_needs_the_current_step():
    """The passive step's check once asked for min(Vm) < -56 mV, which the sweep's first
    sample (v_init -65 mV) met in every recording, step or no step."""
    from dataclasses import replace

    from vlab.practicals.checks import check_sweep, parse_condition

    p = load_practical("passive_properties")
    s = PracticalSession(p, "p1", autosave=False)
    (q,) = [q for q in p.steps[0].questions if q.kind == "recording"]
    conditions = [parse_condition(c) for c in q.require]
    (sweep,) = simulate_sweeps(s.preset(0))
    assert all(met for _, met, _ in check_sweep(conditions, sweep).results)
    no_step = replace(sweep, channels={**sweep.channels, "Im": 0.0 * sweep.channels["Im"]})
    assert not all(met for _, met, _ in check_sweep(conditions, no_step).results)
