"""Free-text ("explain why ...") questions: collected for the instructor, never graded
automatically; in the loader, the session, the report and the gradebook."""

from __future__ import annotations

import csv
import io

import pytest
from practical_toml import practical_toml

from vlab.practicals import PracticalSession, export_report, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.errors import PracticalError
from vlab.practicals.grade import TO_MARK, grade_folder, gradebook_csv
from vlab.practicals.loader import parse_practical
from vlab.practicals.model import TEXT_MAX_CHARS

_FILE = practical_toml(
    "mine",
    questions=[
        {
            "id": "ek",
            "kind": "choice",
            "prompt": "p",
            "choices": {"a": "A", "b": "B"},
            "correct": "a",
        },
        {
            "id": "why",
            "kind": "text",
            "prompt": "Explain why.",
            "explanation": "A good answer mentions the currents.",
        },
    ],
)


def _mine(**kw) -> PracticalSession:
    return PracticalSession(parse_practical(_FILE, "mine.toml"), "ann", autosave=False, **kw)


def test_loader_reads_text_question_and_refuses_a_key():
    p = parse_practical(_FILE, "mine.toml")
    q = p.question("why")[1]
    assert q.kind == "text" and not q.auto_graded and p.question("ek")[1].auto_graded
    for extra in ('answer = "nernst:K"', 'correct = "a"', 'tolerance = "1 mV"', "attempts = 2"):
        bad = _FILE.replace('prompt = "Explain why."', f'prompt = "Explain why."\n{extra}')
        with pytest.raises(PracticalError, match=r"questions\[1\]\.\w+: a free-text question"):
            parse_practical(bad, "mine.toml")


@pytest.mark.parametrize("graded", [False, True])
def test_session_collects_text_outside_the_score(graded):
    s = _mine(graded=graded)
    assert s.score == (0, 1) and s.to_mark == ["why"]
    assert s.submit("ek", "a").correct
    assert s.score == (1, 1) and not s.passed and not s.step_complete(0)
    assert not s.submit("why", "   ").correct and not s.is_answered("why")
    too_long = "x" * (TEXT_MAX_CHARS + 1)
    fb = s.submit("why", too_long)
    assert not fb.correct and str(TEXT_MAX_CHARS) in fb.message
    assert "why" not in s.progress.answers
    assert s.submit("why", "First try.").correct
    fb = s.submit("why", "Because inward Na+ and outward K+ currents cancel.\nSecond line.")
    assert fb.correct and "instructor" in fb.message and "currents" in fb.message
    assert s.max_attempts("why") is None and s.attempts_used("why") == 2  # every version logged
    assert s.progress.answers["why"].endswith("Second line.")
    assert s.score == (1, 1) and s.passed and s.step_complete(0)
    assert not s.is_correct("why")  # written, never marked correct by vlab


def test_report_shows_the_words_escaped_and_to_mark():
    from vlab.practicals.report import render_report

    s = _mine()
    s.submit("why", "Na+ <b>in</b> & K+ out\nsecond line")
    page = render_report(s.progress, session=s)
    assert "to mark by instructor" in page
    assert "Na+ &lt;b&gt;in&lt;/b&gt; &amp; K+ out<br>second line" in page
    assert "written answer(s) to mark by the instructor" in page


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """Three students of a class hand in passive_properties reports with written answers."""
    folder = tmp_path_factory.mktemp("reports")
    klass = create_class(
        "phys2", ["s1", "s2", "s3", "s4"], secret=b"free-text-secret-0123456789abcde"
    )
    practical = load_practical("passive_properties")
    words = {
        "s1": "The bilayer is equally thick everywhere.",
        "s2": "=HYPERLINK(1)",
        "s3": "",
    }
    for sid, text in words.items():
        s = PracticalSession(practical, sid, klass=klass.pack(), autosave=False)
        s.submit("double_gl", "half")
        if text:
            s.submit("explain_same_c", text)
        export_report(s.progress, folder / f"{sid}.html", session=s)
    reports = grade_folder(klass, folder)
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook_csv(reports, klass)))}
    return practical, reports, rows


def test_grader_collects_text_never_grades_it(book):
    practical, reports, rows = book
    col = f"passive_properties:explain_same_c{TO_MARK}"
    assert col == "passive_properties:explain_same_c (to mark by instructor)"
    assert rows["s1"][col] == "The bilayer is equally thick everywhere."
    assert rows["s2"][col] == "'=HYPERLINK(1)"  # no formula in the instructor's spreadsheet
    assert rows["s3"][col] == "" and rows["s4"][col] == ""
    graded = [q.id for _, q in practical.questions() if q.kind != "text"]
    assert rows["s1"]["passive_properties max"] == str(len(graded))
    assert rows["s1"]["passive_properties score"] == "1"  # double_gl only
    assert "passive_properties:explain_same_c" not in rows["s1"]
    assert "passive_properties:explain_same_c attempts" not in rows["s1"]
    assert not any(f for r in reports for f in r.flags)  # honest reports: nothing flagged
