"""Mutants of the grading code that no test noticed (docs/testing.md, mutation section).

Each test pins what a student or an instructor sees: how a typed answer is read, the
messages it gets, how it meets its key's tolerance, the attempts graded mode allows, what
the grader flags. Expected values come from unit arithmetic and the rules as documented,
never from vlab's own output.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from practical_toml import practical_toml

from vlab.practicals import PracticalSession, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.loader import parse_practical
from vlab.practicals.session import parse_number, tolerance_si

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
