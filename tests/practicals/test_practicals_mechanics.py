"""Feedback, randomisation, progress, report, CLI and validation errors."""

from __future__ import annotations

import math

import pytest
from practical_toml import practical_toml

from vlab.practicals import (
    ControlLock,
    PracticalError,
    PracticalSession,
    answer_key,
    builtin_practicals,
    draw_unknowns,
    export_report,
    load_practical,
    load_progress,
    parse_practical,
    progress_path,
    simulate_sweeps,
)
from vlab.practicals.session import format_answer, tolerance_si


def _session(name="nernst", sid="alice", **kw):
    return PracticalSession(load_practical(name), sid, **kw)


# ---------------------------------------------------------------------------- feedback
def test_wrong_numeric_answers_get_specific_feedback():
    s = _session(autosave=False)
    _, q = s.practical.question("ek_default")
    key_mv = s.key("ek_default") * 1e3
    fb = s.submit("ek_default", f"{key_mv + 10:.2f}")
    assert not fb.correct and "too high" in fb.message and "Hint:" in fb.message
    fb = s.submit("ek_default", f"{-key_mv:.2f}")
    assert not fb.correct and "sign" in fb.message
    fb = s.submit("ek_default", f"{key_mv / 1000:.5f}")  # typed in volts
    assert not fb.correct and "scale" in fb.message
    fb = s.submit("ek_default", "minus eighty")
    assert not fb.correct and "not a number" in fb.message
    assert s.progress.results["ek_default"]["attempts"] == 3  # unreadable input is not an attempt
    assert not s.passed and not s.step_complete(0)
    # within tolerance, with a unit and a unicode minus, is right
    fb = s.submit("ek_default", f"\u2212{abs(key_mv) + 0.5 * tolerance_si(q, 1) * 1e3:.3f} mV")
    assert fb.correct and "Correct" in fb.message


def test_wrong_choice_and_recording_do_not_pass(headless_student):
    s = _session("threshold", "bob", autosave=False)
    fb = s.submit("all_or_none", "double")
    assert not fb.correct and "not right" in fb.message
    fb = s.check_recording("fire", [])
    assert not fb.correct and "Nothing recorded" in fb.message
    # a sweep from the wrong experiment (voltage clamp) does not count
    vc_step = _session("negative_slope", "bob", autosave=False).preset(0)
    vc = simulate_sweeps(vc_step, tag=s.recording_tag(0))
    fb = s.check_recording("fire", vc)
    assert not fb.correct and "NOT met: current clamp" in fb.message
    assert not s.passed
    headless_student(s)
    assert s.passed


def test_every_practical_fails_with_wrong_answers():
    """A student who answers every question wrong passes nothing."""
    for name in builtin_practicals():
        s = _session(name, "wrong-student", autosave=False)
        for _, q in s.practical.questions():
            if q.kind == "numeric":
                key = float(s.key(q.id))
                wrong = key + 5 * tolerance_si(q, key) + 0.1 * abs(key) + 1e-3
                text = format_answer(q, wrong).split()[0]
                assert not s.submit(q.id, text).correct, (name, q.id)
            elif q.kind == "choice":
                other = next(k for k, _ in q.choices if k != s.key(q.id))
                assert not s.submit(q.id, other).correct, (name, q.id)
        assert not s.passed and s.score[0] == 0, name


# ---------------------------------------------------------------------------- randomisation
def test_same_id_same_unknowns_different_ids_differ():
    p = load_practical("hearing")
    a1, a2 = draw_unknowns(p, "s1234567"), draw_unknowns(p, " S1234567 ")
    assert a1 == a2
    others = [draw_unknowns(p, f"student-{i}") for i in range(20)]
    assert sum(o != a1 for o in others) >= 19
    assert len({tuple(sorted(o.items())) for o in others}) >= 15


def test_keys_follow_the_unknowns_and_are_reproducible():
    p = load_practical("nernst")
    k1, k2 = answer_key(p, "ann"), answer_key(p, "ben")
    assert k1 == answer_key(p, "ann")
    assert k1["ek_new"] != k2["ek_new"] or draw_unknowns(p, "ann") == draw_unknowns(p, "ben")
    m = load_practical("mystery_blocker")
    drugs = {draw_unknowns(m, f"id{i}")["drug"] for i in range(30)}
    assert len(drugs) >= 3


def test_unknowns_do_not_depend_on_python_hash_seed():
    import subprocess
    import sys

    code = "from vlab.practicals import *; print(draw_unknowns(load_practical('hearing'), 'zed'))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1 and "K_endo" in outs.pop()


# ---------------------------------------------------------------------------- progress
def test_progress_survives_a_restart(_data_dir):
    s = _session(sid="carol")
    key = s.key("ek_default") * 1e3
    assert s.submit("ek_default", f"{key:.2f}").correct
    s.go_to(2)
    path = progress_path("nernst", "carol")
    assert path.is_file() and str(path).startswith(str(_data_dir))
    assert not list(path.parent.glob(".tmp-*"))  # atomic write leaves no temp file
    again = _session(sid="Carol ")
    assert again.is_correct("ek_default") and again.step_index == 2
    assert load_progress("nernst", "dave").answers == {}


def test_corrupt_progress_starts_fresh():
    path = progress_path("nernst", "eve")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert _session(sid="eve").progress.answers == {}


# ---------------------------------------------------------------------------- report
def test_report_is_self_contained_and_has_the_answers(tmp_path, headless_student):
    s = _session("threshold", "frank", autosave=False)
    headless_student(s)
    s.submit("all_or_none", "double")  # a later wrong attempt is counted, the answer stays right
    sweeps = simulate_sweeps(s.preset(0), tag=s.recording_tag(0))
    out = export_report(s.progress, tmp_path / "report.html", sweeps=sweeps)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "frank" in text and "Threshold and the all-or-none spike" in text
    assert s.progress.answers["threshold"] in text
    assert "stays nearly the same" in text
    assert text.count("<svg") >= 3 and "<polyline" in text and "highlighted" in text
    assert "Score: 4 / 4" in text
    assert "Attempts (2)" in text  # every attempt of all_or_none, with its time
    assert 'src="http' not in text and "<link" not in text
    # the only script is the embedded progress (data for the grader, never executed)
    assert text.count("<script") == 1 and '<script type="application/json"' in text
    assert "preparation" in text and "squid" in text


def test_mystery_drug_is_not_named_in_recordings_or_report(tmp_path):
    s = _session("mystery_blocker", "grace", autosave=False)
    step = next(k for k, st in enumerate(s.practical.steps) if "drug_names" in st.preset.locked)
    sweeps = simulate_sweeps(s.preset(step), tag=s.recording_tag(step))
    assert list(sweeps[0].provenance["drugs"]) == ["unknown drug 1"]
    text = export_report(s.progress, tmp_path / "report.html", sweeps=sweeps).read_text("utf-8")
    # the provenance table names no drug (the choice question lists them all anyway)
    assert "<td>drugs</td><td>unknown drug 1</td>" in text


# ---------------------------------------------------------------------------- CLI
def test_cli_list_and_answers(capsys, tmp_path):
    from vlab.cli import main

    assert main(["practical", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in builtin_practicals())
    assert main(["practical", "class", "c1", "--students", "s1,s2", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    inst = str(tmp_path / "c1.instructor.toml")
    assert main(["practical", "answers", "hearing", "--class", inst, "--student", "s1"]) == 0
    out = capsys.readouterr().out
    assert "df_apical" in out and "mV" in out and "K_endo" in out
    assert main(["practical", "answers", "hearing", "--class", inst]) == 0  # the roster
    out = capsys.readouterr().out
    assert "student 's1'" in out and "student 's2'" in out
    assert main(["practical", "answers", "nope", "--class", inst, "--student", "s1"]) == 2


# ---------------------------------------------------------------------------- validation
_GOOD = practical_toml()


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ('tolerance = "1 mV"', 'tolerance = "1 mA"', "steps[0].questions[0].tolerance"),
        ('answer = "nernst:K"', 'answer = "nernst_k"', "unknown answer function 'nernst_k'"),
        ('answer = "nernst:K"', 'answer = "nernst"', "takes ION"),
        ('mode = "CC"', 'mode = "XY"', "steps[0].preset.mode"),
        ('protocol = "single_pulse"', 'protocol = "vc_step_family"', "is a voltage clamp protocol"),
        ('preparation = "squid"', 'preparation = "frog"', "available: "),
        ('kind = "numeric"', 'kind = "essay"', "allowed: numeric, choice, recording, text"),
        ('prompt = "p"', 'promt = "p"', "did you mean 'prompt'"),
        (
            "[steps.preset]",
            '[steps.preset]\nparameters = { K_out = "{kout}" }',
            "{kout} names no unknown",
        ),
        ("[steps.preset]", '[steps.preset]\nlocked = ["everything"]', "a list of: preparation"),
    ],
)
def test_validation_errors_name_file_key_and_allowed(old, new, expect):
    with pytest.raises(PracticalError) as err:
        parse_practical(_GOOD.replace(old, new), source="mine.toml")
    assert "mine.toml" in str(err.value) and expect in str(err.value)


def test_good_minimal_file_and_recording_conditions():
    p = parse_practical(_GOOD, source="mine.toml")
    assert math.isclose(p.steps[0].questions[0].tolerance, 1e-3)
    bad = _GOOD.replace('kind = "numeric"', 'kind = "recording"\nrequire = ["peak(Vm) < 0 mV"]')
    bad = bad.replace('answer = "nernst:K"\n', "")
    with pytest.raises(PracticalError, match="require\\[0\\]"):
        parse_practical(bad, source="mine.toml")


def test_control_lock():
    lock = ControlLock(frozenset({"solutions", "drugs", "drug_names"}))
    assert lock.is_locked("K_out") and lock.is_locked("drugs") and not lock.is_locked("gNa")
    assert "drug names are hidden" in lock.describe()
    s = _session("mystery_blocker", "gina", autosave=False)
    assert s.lock(1).is_locked("drug_names") and not s.lock(0).is_locked("drugs")


def test_docs_describe_every_answer_function_and_practical():
    from pathlib import Path

    from vlab.practicals.answers import REGISTRY

    doc = (Path(__file__).resolve().parents[2] / "docs" / "practicals.md").read_text(
        encoding="utf-8"
    )
    assert all(f"`{name}`" in doc for name in REGISTRY)
    assert all(f"`{name}`" in doc for name in builtin_practicals())


def test_a_recording_attempt_names_the_sweep_shown_as_evidence(tmp_path):
    """The attempt log and the report's figure point at the same sweep (the report once
    said 'Attempts: sweep 9' above a figure of sweep 12)."""
    from vlab.practicals import PracticalSession, load_practical, simulate_sweeps

    p = load_practical("threshold")
    s = PracticalSession(p, "s001", root=tmp_path)
    qid = next(q.id for _, q in p.questions() if q.kind == "recording")
    i = p.steps.index(p.question(qid)[0])
    sweeps = simulate_sweeps(s.preset(i), tag=s.recording_tag(i))
    assert s.check_recording(qid, sweeps).correct
    assert s.progress.attempts[qid][-1]["sweep"] == s.progress.evidence[qid]["sweep"]
