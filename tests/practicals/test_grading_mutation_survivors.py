"""Mutants of the grading code that no test noticed (docs/testing.md, mutation section).

Each test pins what a student or an instructor sees: how a typed answer is read, the
messages it gets, how it meets its key's tolerance, the attempts graded mode allows, what
the grader flags. Expected values come from unit arithmetic and the rules as documented,
never from vlab's own output.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from practical_toml import practical_toml
from students import complete, typed_answer

from vlab.clamp import ClampMode
from vlab.practicals import (
    PracticalError,
    PracticalSession,
    export_report,
    load_practical,
)
from vlab.practicals.checks import check_sweep, describe_condition, parse_condition
from vlab.practicals.classes import create_class
from vlab.practicals.grade import grade_folder, grade_progress, gradebook_csv, read_report
from vlab.practicals.loader import parse_practical
from vlab.practicals.session import parse_number, tolerance_si
from vlab.recording import Sweep
from vlab.sim.drugs import get_drug

SECRET = bytes(range(32))
_TEXT_Q = {"id": "why", "kind": "text", "prompt": "Explain why."}


# ------------------------------------------------------------- reading a typed answer
@pytest.mark.parametrize(
    ("text", "unit", "si"),
    [
        ("-77,5", "mV", -77.5e-3),  # a decimal comma, as typed in much of Europe
        ("-77,5 mV", "mV", -77.5e-3),
        ("0,25 V", "mV", 0.25),
        ("3 \u00b5A", "nA", 3e-6),  # the micro sign (U+00B5), as a keyboard types it
        ("\u221265 mV", "mV", -65e-3),  # the minus sign (U+2212)
    ],
)
def test_a_typed_answer_reads_decimal_commas_micro_signs_and_minus_signs(text, unit, si):
    assert parse_number(text, unit) == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("  ", "mV", "type a number first"),
        ("abc", "", "'abc' is not a number"),
        ("abc", "1", "'abc' is not a number"),
        ("abc", "mV", "'abc' is not a number in mV (e.g. '-65' or '-65 mV')"),
        ("-65 nA", "mV", "'-65 nA' is not a number in mV (e.g. '-65' or '-65 mV')"),
    ],
)
def test_an_unreadable_answer_gets_the_students_message(text, unit, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_number(text, unit)


# ------------------------------------------------------------ attempts in graded mode
def _nernst(sid="s001", klass=None, **kw) -> PracticalSession:
    return PracticalSession(load_practical("nernst"), sid, klass=klass, autosave=False, **kw)


def test_graded_attempts_come_from_the_class_else_the_practical_else_three():
    """The documented order (PracticalSession): the question's ``attempts``, else the
    class's, else the practical's, else 3."""
    klass = create_class("g5", ["s001"], attempts=5, secret=SECRET)
    assert _nernst(klass=klass.pack()).max_attempts("ek_default") == 5
    four = replace(load_practical("nernst"), attempts=4)
    alone = PracticalSession(four, "s001", autosave=False, graded=True)
    assert alone.max_attempts("ek_default") == 4 and alone.attempts_left("ek_default") == 4
    assert _nernst(graded=True).max_attempts("ek_default") == 3


def test_a_recording_question_has_no_attempt_limit_in_graded_mode():
    """Only typed and choice questions are limited; a recording is re-checked on its
    sweep (and the grader counts no attempts against it)."""
    klass = create_class("g1", ["s001"], attempts=1, secret=SECRET)
    s = PracticalSession(load_practical("threshold"), "s001", klass=klass.pack(), autosave=False)
    recording = [q.id for _, q in s.practical.questions() if q.kind == "recording"]
    assert s.graded and recording
    for qid in recording:
        assert s.max_attempts(qid) is None and s.attempts_left(qid) is None


def test_a_wrong_answer_after_a_right_one_does_not_replace_it():
    """Practice mode: the shown answer is the last typed one until the question is right;
    after that a wrong try is logged but the right answer stays."""
    s = _nernst("p1")
    key_mv = s.key("ek_default") * 1e3
    wrong, right = f"{key_mv + 40:.2f}", f"{key_mv:.2f}"
    assert not s.submit("ek_default", wrong).correct
    assert s.progress.answers["ek_default"] == wrong
    assert s.submit("ek_default", right).correct
    assert not s.submit("ek_default", wrong).correct
    assert s.progress.answers["ek_default"] == right and s.is_correct("ek_default")
    assert [a["value"] for a in s.progress.attempts["ek_default"]] == [wrong, right, wrong]


def test_a_written_answer_keeps_its_line_breaks_as_newlines():
    text = "The K+ current balances.\r\nThe Na+ leak is small."
    p = parse_practical(practical_toml("w", questions=[_TEXT_Q]), "w.toml")
    s = PracticalSession(p, "ann", autosave=False)
    assert s.submit("why", f"  {text}  ").correct
    assert s.progress.answers["why"] == "The K+ current balances.\nThe Na+ leak is small."


def test_each_saved_version_of_a_written_answer_counts_one_attempt():
    p = parse_practical(practical_toml("w", questions=[_TEXT_Q]), "w.toml")
    s = PracticalSession(p, "ann", autosave=False)
    for n, text in enumerate(["First try.", "Second try.", "Third."], start=1):
        assert s.submit("why", text).correct
        assert s.progress.results["why"]["attempts"] == n
    assert len(s.progress.attempts["why"]) == 3


# ------------------------------------------------------------- typed answer vs its key
@pytest.mark.parametrize("scale", [1e3, 1e-3, 1e6, 1e-6])
def test_an_answer_off_by_a_unit_prefix_is_told_the_scale_is_wrong(scale):
    """E_K asked in mV and typed as if in V, uV, kV or MV: the digits are right, the
    scale is not (a factor 1e3 or 1e6 either way)."""
    s = _nernst("p1")
    key_mv = s.key("ek_default") * 1e3
    fb = s.submit("ek_default", f"{key_mv / scale:.9g}")
    assert not fb.correct and "The digits look right but the scale does not" in fb.message
    assert "the answer is asked in mV." in fb.message


def test_practice_feedback_says_close_within_three_tolerances_only():
    """Practice mode: a wrong value within 3x the tolerance is 'close'; further out it
    is only too high / too low (plus the question's hint, if any)."""
    s = _nernst("p1")
    _, q = s.practical.question("ek_default")
    key = s.key("ek_default")
    tol_mv = tolerance_si(q, key) * 1e3
    hint = f" Hint: {q.hint}" if q.hint else ""
    fb = s.submit("ek_default", f"{key * 1e3 + 2 * tol_mv:.6f}")
    close = "Not correct. Close, but outside the accepted range: your value is too high."
    assert fb.message == close + hint
    fb = s.submit("ek_default", f"{key * 1e3 - 3.5 * tol_mv:.6f}")
    assert fb.message == "Not correct. Your value is too low." + hint


def test_graded_feedback_has_no_hint_and_nothing_else():
    s = _nernst(graded=True)
    key_mv = s.key("ek_default") * 1e3
    fb = s.submit("ek_default", f"{-key_mv:.4f}")
    assert fb.message == (
        "Not correct. The size is right but the sign is not: think about which way the "
        "quantity points. 2 attempt(s) left."
    )
    assert s.submit("ek_default", "12345").message == "Not correct. 1 attempt(s) left."


_CHOICE_Q = {
    "id": "dir",
    "kind": "choice",
    "prompt": "Which way does K+ flow at rest?",
    "choices": {"out": "outward", "in": "inward"},
    "correct": "out",
    "hint": "Compare the membrane potential with E_K.",
}


@pytest.mark.parametrize("graded", [False, True])
def test_a_wrong_choice_names_the_choice_and_hints_only_in_practice(graded):
    p = parse_practical(practical_toml("c", questions=[_CHOICE_Q]), "c.toml")
    s = PracticalSession(p, "ann", autosave=False, graded=graded)
    fb = s.submit("dir", "in")
    expect = "Not correct: 'inward' is not right."
    if graded:
        assert fb.message == expect + " No attempts left for this question."
    else:
        assert fb.message == expect + " Hint: Compare the membrane potential with E_K."


# ------------------------------------------------------------------------- the grader
_GSECRET = b"grading-test-secret-0123456789ab"


def _graded_threshold(klass, sid) -> PracticalSession:
    s = PracticalSession(load_practical("threshold"), sid, klass=klass.pack(), autosave=False)
    assert all(fb.correct for fb in complete(s))
    return s


def test_twins_with_every_unknown_equal_record_equal_numbers_but_are_not_copies(tmp_path):
    """Equal unknowns (all of them, not just one) give the same simulated samples; the
    recording's run and time tell the two apart, so neither is flagged."""
    roster = [f"st{i:03d}" for i in range(300)]
    klass = create_class("twins", roster, secret=_GSECRET)
    thr, seen, twins = load_practical("threshold"), {}, None
    for sid in roster:
        u = PracticalSession(thr, sid, klass=klass.pack(), autosave=False).unknowns
        key = tuple(sorted(u.items()))
        if key in seen:
            twins = (seen[key], sid)
            break
        seen[key] = sid
    assert twins, "300 students give two with the same unknowns"
    sessions = [_graded_threshold(klass, sid) for sid in twins]
    a, b = (s.progress.evidence["fire"]["record"]["channels"] for s in sessions)
    assert a == b  # the same numbers
    for s in sessions:
        export_report(s.progress, tmp_path / f"{s.student_id}.html", session=s)
    reports = grade_folder(klass, tmp_path)
    assert [r.flags for r in reports] == [[], []]


def test_evidence_from_elsewhere_is_flagged_with_where_and_by_whom(tmp_path):
    klass = create_class("c", ["ann", "bob"], secret=_GSECRET)
    ann, bob = (_graded_threshold(klass, sid) for sid in ("ann", "bob"))
    step = next(st.id for st in ann.practical.steps if any(q.id == "fire" for q in st.questions))
    d = json.loads(bob.progress.to_json())
    d["evidence"]["fire"] = json.loads(ann.progress.to_json())["evidence"]["fire"]
    flags = grade_progress(klass, d, "bob.html").flags
    where = (
        f"fire: evidence recorded in threshold/{step} by 'ann', not in this step by this student"
    )
    assert where in flags
    del d["evidence"]["fire"]["record"]["provenance"]["practical"]  # recorded outside
    flags = grade_progress(klass, d, "bob.html").flags
    assert "fire: evidence recorded in ?/? by '?', not in this step by this student" in flags


def test_a_right_answer_stored_as_wrong_is_flagged():
    klass = create_class("c", ["ann"], secret=_GSECRET)
    s = PracticalSession(load_practical("nernst"), "ann", klass=klass.pack(), autosave=False)
    assert s.submit("ek_default", typed_answer(s, s.practical.question("ek_default")[1])).correct
    d = json.loads(s.progress.to_json())
    d["results"]["ek_default"]["correct"] = False
    d["attempts"]["ek_default"][0]["correct"] = False
    r = grade_progress(klass, d, "ann.html")
    assert r.questions["ek_default"]["correct"] is True
    assert "ek_default: stored as not correct, re-check says correct" in r.flags
    assert (
        "ek_default: attempt '" + d["answers"]["ek_default"] + "' is stored as wrong but is right"
        in r.flags
    )


def test_an_unreadable_report_is_a_flagged_row_of_the_gradebook(tmp_path):
    klass = create_class("c", ["ann"], secret=_GSECRET)
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    reports = grade_folder(klass, tmp_path)
    assert [(r.file, r.student_id, r.practical) for r in reports] == [("list.json", "", "")]
    assert reports[0].flags == ["unreadable: list.json: not a progress file"]
    rows = list(csv.DictReader(io.StringIO(gradebook_csv(reports, klass))))
    assert [(r["student_id"], r["flags"], r["files"]) for r in rows] == [
        ("ann", "", ""),
        ("?", "unreadable: list.json: not a progress file", "list.json"),
    ]


# -------------------------------------------------------- recording questions' checks
def _sweep(channels=None, drugs=None, **prov) -> Sweep:
    chans = channels or {"Vm": np.full(10, -65e-3)}
    return Sweep(0, 1e-5, chans, provenance={"mode": "CC", "drugs": drugs or {}, **prov})


_TTX = {"TTX": {"concentration_M": 1e-8, "fraction_blocked": 0.9}}


@pytest.mark.parametrize(
    ("condition", "drugs", "met"),
    [
        ("drugs > 0", {}, False),
        ("drugs > 0", _TTX, True),
        ("drugs >= 1", _TTX, True),
        ("drugs < 1", _TTX, False),
        ("drugs < 1", {}, True),
        ("drugs <= 0", {}, True),
        ("drugs == 1", _TTX, True),
        ("drugs != 1", _TTX, False),
    ],
)
def test_a_condition_compares_strictly_or_not_as_written(condition, drugs, met):
    chk = check_sweep([parse_condition(condition)], _sweep(drugs=drugs))
    assert chk.passed is met and chk.results == ((condition, met, f"{len(drugs):g}"),)


def test_a_channel_the_sweep_lacks_is_shown_as_not_recorded():
    chk = check_sweep(
        [parse_condition("max(INa) < 0 nA"), parse_condition("spikes == 0")], _sweep()
    )
    assert chk.results == (("max(INa) < 0 nA", False, "not recorded"), ("spikes == 0", True, "0"))


def test_a_capacitor_charged_by_an_accelerating_current_has_no_spike():
    """A pure capacitor (C dV/dt = I, no ionic current at all) charged past 0 mV by a
    current rising as t^3 has an accelerating upstroke, which fools the shape test of
    detect_spikes; the check passes the injected current and C = Cm*area, so the
    physics test (no inward ionic current) is used: no spike."""
    dt, cm, area = 1e-5, 1e-2, 1e-7  # 1 uF/cm2 (F/m2), m2
    t = np.arange(0, 20e-3, dt)
    x = np.clip((t - 2e-3) / 8e-3, 0, None)
    i = np.where(t < 10e-3, 5e-8 * x**3, np.where(t < 15e-3, -2e-8, 0.0))
    v = -65e-3 + np.concatenate([[0.0], np.cumsum(i[:-1]) * dt / (cm * area)])
    assert v.max() > 30e-3  # +100 mV: 5e-8 A * 8 ms / 4 / 1 nF
    sweep = Sweep(
        0,
        dt,
        {"Vm": v, "command": i},
        provenance={"mode": "CC", "parameters": {"Cm": cm, "area": area}},
    )
    assert check_sweep([parse_condition("spikes == 0")], sweep).passed


@pytest.mark.parametrize("quoted", ["squid", "'squid'", '"squid"'])
def test_a_word_may_be_quoted(quoted):
    c = parse_condition(f"preparation == {quoted}")
    assert c.value == "squid"
    assert check_sweep([c], _sweep(preparation="squid")).passed


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("mode == XY", lambda: ClampMode.parse("XY")),
        ("drug(NoSuchDrug) > 1 nM", lambda: get_drug("NoSuchDrug")),
    ],
)
def test_a_bad_condition_is_named_in_its_message(text, cause):
    with pytest.raises(ValueError) as why:
        cause()
    with pytest.raises(PracticalError) as exc:
        parse_condition(text)
    assert str(exc.value) == f"condition {text!r}: {why.value}"


@pytest.mark.parametrize(
    ("op", "words"),
    [("<", "below"), ("<=", "at most"), (">", "above"), (">=", "at least")],
)
def test_conditions_are_described_to_students_in_words(op, words):
    assert describe_condition(f"max(Vm) {op} 0 mV") == f"highest Vm {words} 0 mV"
    assert describe_condition(f"K_out {op} 10 mM") == f"K_out {op} 10 mM"  # not a condition
    assert describe_condition(f"param(K_out) {op} 10 mM") == f"K_out {words} 10 mM"


def test_a_key_the_grader_cannot_compute_is_a_flag_not_a_crash(monkeypatch):
    klass = create_class("c", ["ann"], secret=_GSECRET)
    s = PracticalSession(load_practical("nernst"), "ann", klass=klass.pack(), autosave=False)
    s.submit("ek_default", "-80")
    d = json.loads(s.progress.to_json())

    def no_key(self, qid):
        raise PracticalError("the model refused")

    monkeypatch.setattr(PracticalSession, "key", no_key)
    r = grade_progress(klass, d, "ann.html")
    assert r.questions["ek_default"] == {"correct": False, "attempts": 1}
    assert "ek_default: cannot compute the key (the model refused)" in r.flags


def test_a_graded_answer_given_again_stays_correct():
    s = _nernst(graded=True)
    right = typed_answer(s, s.practical.question("ek_default")[1])
    assert s.submit("ek_default", right).correct
    fb = s.submit("ek_default", right)
    assert fb.correct and fb.message == "Already answered correctly (graded answers are final)."


def test_a_report_over_64_mb_is_refused_before_it_is_read(tmp_path):
    """REPORT_MAX_BYTES: 64 MiB; the file here is sparse, so nothing is written."""
    big = tmp_path / "big.html"
    with big.open("wb") as fh:
        fh.truncate(64 * 2**20 + 1)
    msg = "cannot read: big.html is 64.0 MB; vlab reads files of this kind up to 64.0 MB."
    with pytest.raises(PracticalError, match=f"^{re.escape(msg)}$"):
        read_report(big)


def test_a_condition_on_the_mean_of_a_channel():
    """mean(Vm) of a sweep at -70 mV for half its samples and -60 mV for the rest: -65 mV."""
    sweep = _sweep({"Vm": np.repeat([-70e-3, -60e-3], 5)})
    below, above = parse_condition("mean(Vm) < -64 mV"), parse_condition("mean(Vm) > -66 mV")
    chk = check_sweep([below, above], sweep)
    assert chk.passed and chk.results[0][2] == "-65 mV"
    assert not check_sweep([parse_condition("mean(Vm) < -66 mV")], sweep).passed


def test_a_mode_condition_in_words_says_not_for_not_equal():
    assert describe_condition("mode != VC") == "not " + describe_condition("mode == VC")


# ------------------------------------------------------------- recording questions
_REC_Q = {
    "id": "rec",
    "kind": "recording",
    "prompt": "Record a sweep with no drug in the bath.",
    "require": ["drugs == 0"],
    "hint": "Wash the drug out first.",
}


def _recording_session(**kw) -> PracticalSession:
    p = parse_practical(practical_toml("r", questions=[_REC_Q]), "r.toml")
    return PracticalSession(p, "ann", autosave=False, **kw)


def _tagged(s: PracticalSession, index: int, drugs=None, run_id: str | None = "run-7") -> Sweep:
    prov = {"mode": "CC", "drugs": drugs or {}, "practical": s.recording_tag(0)}
    if run_id is not None:
        prov["run_id"] = run_id
    return Sweep(index, 1e-5, {"Vm": np.full(10, -65e-3)}, provenance=prov)


def test_a_recording_check_tells_which_sweep_and_logs_it():
    """Messages count sweeps from 1 (index 0 is 'sweep 1'); the attempt log holds the
    documented ``{"sweep", "run_id", "correct", "time"}`` (progress.py)."""
    s = _recording_session()
    fb = s.check_recording("rec", [_tagged(s, 0, _TTX), _tagged(s, 1, _TTX)])
    assert not fb.correct
    assert fb.message == (
        "Not yet: none of your 2 sweeps shows everything. Closest is sweep 1: "
        "NOT met: no drug in the bath (measured 1). Hint: Wash the drug out first."
    )
    fb = s.check_recording("rec", [_tagged(s, 0, _TTX), _tagged(s, 2, run_id=None)])
    assert fb.correct and fb.message == "Recorded: sweep 3 shows it."
    assert s.progress.results["rec"]["feedback"] == "Recorded: sweep 3 shows it."
    log = s.progress.attempts["rec"]
    assert [(a["sweep"], a["run_id"], a["correct"]) for a in log] == [
        (0, "run-7", False),
        (2, "", True),
    ]
    # a later failing check is counted but does not undo the recorded answer
    assert not s.check_recording("rec", [_tagged(s, 4, _TTX)]).correct
    assert s.is_correct("rec") and s.progress.results["rec"]["attempts"] == 3


def test_progress_that_cannot_be_saved_is_reported_to_the_student(tmp_path):
    """The GUI warns with ``save_problem``: a data folder that is a file cannot hold it."""
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x", encoding="utf-8")
    s = PracticalSession(load_practical("nernst"), "ann", root=not_a_folder)
    assert s.save_problem is None
    s.submit("ek_default", "-80")
    assert s.save_problem and s.save_problem.startswith(f"progress not saved in {not_a_folder}")
