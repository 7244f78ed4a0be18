"""Every built-in practical loads, validates, configures the rig and can be completed."""

from __future__ import annotations

import pytest
from practical_toml import practical_toml

from vlab.practicals import (
    PracticalSession,
    apply_preset,
    build_cell,
    builtin_practicals,
    load_practical,
    simulate_sweeps,
    validate_deep,
)
from vlab.practicals.rigsetup import load_step_protocol

NAMES = sorted(builtin_practicals())
ISSUE_TOPICS = {
    "nernst",
    "ghk_rest",
    "ohm_driving_force",
    "sign_conventions",
    "threshold",
    "negative_slope",
    "spike_anatomy",
    "up_vs_down",
    "separate_currents",
    "na_inactivation",
    "refractory",
    "ttx_driving_force",
    "hyperkalaemia",
    "hearing",
    "mystery_blocker",
}


def test_at_least_fourteen_practicals_cover_the_issue():
    assert len(NAMES) >= 14
    assert ISSUE_TOPICS <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_loads_and_validates(name):
    p = load_practical(name)
    assert p.name == name and p.steps and p.questions()
    key = validate_deep(p, "validation-student")
    assert all(q.id in key for _, q in p.questions() if q.kind not in ("recording", "text"))


@pytest.mark.parametrize("name", NAMES)
def test_every_step_preset_applies_to_a_rig(name):
    from vlab.rig import Rig

    p = load_practical(name)
    session = PracticalSession(p, "rig-check", autosave=False)
    rig = Rig()
    for i, _step in enumerate(p.steps):
        preset = session.preset(i)
        apply_preset(rig, preset)
        assert rig.cell.prep.name == preset.preparation
        assert rig.amplifier.mode.value == preset.mode
        if preset.protocol:
            assert rig.protocol.name == load_step_protocol(preset.protocol).name
        reference = build_cell(preset)
        for pname, _value in preset.parameters:
            assert rig.cell.get(pname) == pytest.approx(reference.get(pname))
        drugs = {n for n, _ in preset.drugs}
        assert {d.lower() for d in rig.cell.drugs} == {d.lower() for d in drugs}
        assert not rig.can_undo  # a preset starts a clean history


@pytest.mark.parametrize("name", NAMES)
def test_headless_student_passes(name, headless_student):
    session = PracticalSession(load_practical(name), "headless-student", autosave=False)
    feedback = headless_student(session)
    wrong = [
        (q.id, f.message)
        for (_, q), f in zip(session.practical.questions(), feedback, strict=True)
        if not f.correct
    ]
    assert not wrong
    assert session.passed
    assert all(session.step_complete(i) for i in range(len(session.practical.steps)))


def test_recording_check_uses_the_engine_data():
    """TTX in the bath and a strong pulse: the recorded peak stays below 0 mV."""
    from vlab.practicals import parse_practical

    p = parse_practical(
        practical_toml(
            "ttx_check",
            preset={"protocol": "strong_pulse", "drugs": {"TTX": "1 uM"}},
            questions=[
                {
                    "id": "r",
                    "kind": "recording",
                    "prompt": "p",
                    "require": ["drug(TTX) >= 10 nM", "max(Vm) < 0 mV", "mode == CC"],
                }
            ],
        ),
        source="test",
    )
    s = PracticalSession(p, "x", autosave=False)
    assert s.check_recording("r", simulate_sweeps(s.preset(0), tag=s.recording_tag(0))).correct
    control = simulate_sweeps(
        s.preset(0).__class__(preparation="squid", mode="CC", protocol="strong_pulse"),
        tag=s.recording_tag(0),
    )
    fb = s.check_recording("r", control)
    assert (
        not fb.correct
        and "NOT met: TTX at least 10 nM" in fb.message
        and "NOT met: highest Vm below 0 mV" in fb.message
    )


@pytest.mark.parametrize("name", NAMES)
def test_answers_exist_at_the_edges_of_every_unknown(name):
    """Every student gets a computable key: try each unknown's extremes and options."""
    from vlab.practicals.answers import AnswerContext, evaluate

    p = load_practical(name)
    corners = []
    if p.unknowns:
        for u in p.unknowns:
            values = list(u.options) if u.kind == "choice" else [u.low, u.high]
            for v in values:
                base = {w.name: (w.options[0] if w.kind == "choice" else w.low) for w in p.unknowns}
                base[u.name] = v
                corners.append(base)
        corners.append(
            {w.name: (w.options[-1] if w.kind == "choice" else w.high) for w in p.unknowns}
        )
    else:
        corners.append({})
    for unknowns in corners:
        for step in p.steps:
            ctx = AnswerContext(p, step, unknowns)
            for q in step.questions:
                if q.answer:
                    value = evaluate(q.answer, ctx)
                    if q.kind == "choice":
                        assert value in dict(q.choices), (q.id, unknowns)
                    else:
                        assert value == value, (q.id, unknowns)  # not NaN
