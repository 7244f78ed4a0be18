"""The grader on a synthetic class: honest, edited and copied reports."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from students import typed_answer

from vlab.practicals import PracticalSession, export_report, load_practical, simulate_sweeps
from vlab.practicals.classes import create_class, write_class_files
from vlab.practicals.grade import grade_folder, gradebook_csv, read_report
from vlab.practicals.progress import Progress, seal_of
from vlab.practicals.report import DATA_ID

SECRET = b"grading-test-secret-0123456789ab"
ROSTER = [f"st{i:03d}" for i in range(34)]


def _honest(s, first_wrong: bool = False) -> None:
    for i, step in enumerate(s.practical.steps):
        s.go_to(i)
        sweeps = None
        for q in step.questions:
            if q.kind == "recording":
                sweeps = sweeps or simulate_sweeps(s.preset(i), tag=s.recording_tag(i))
                assert s.check_recording(q.id, sweeps).correct
                continue
            if q.kind == "text":
                assert s.submit(q.id, "The currents balance.").correct
                continue
            if first_wrong and q.kind == "numeric":
                s.submit(q.id, "12345")
            assert s.submit(q.id, typed_answer(s, q)).correct, q.id


def _write(folder, name: str, progress: Progress, resign_seed: str | None = None) -> None:
    """A report whose embedded progress is ``progress`` (optionally re-sealed, as a
    cheater who read vlab's code would)."""
    if resign_seed:
        progress.seal = seal_of(progress, resign_seed)
    html = (
        f'<html><body><script type="application/json" id="{DATA_ID}">'
        f"{progress.to_json()}</script></body></html>"
    )
    (folder / name).write_text(html, encoding="utf-8")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """34 students on the roster: 22 honest (nernst), 4 with edited progress, 3 copies,
    2 over their attempts, 2 who handed nothing in, 1 off the roster; and 3 threshold
    reports with recordings (honest, copied evidence, edited evidence)."""
    folder = tmp_path_factory.mktemp("reports")
    klass = create_class("phys101", ROSTER, secret=SECRET)
    pack = klass.pack()
    nernst = load_practical("nernst")
    expect = {}

    def session(sid, p=nernst):
        return PracticalSession(p, sid, klass=pack, autosave=False)

    honest = ROSTER[:22]
    for k, sid in enumerate(honest):
        s = session(sid)
        _honest(s, first_wrong=k % 3 == 0)
        export_report(s.progress, folder / f"{sid}.html", session=s)
        expect[sid] = "honest"
    # edited: every answer 999 mV and every result "correct" (plain edit / re-sealed edit)
    for k, sid in enumerate(ROSTER[22:26]):
        s = session(sid)
        s.submit("ek_default", "999")
        p = copy.deepcopy(s.progress)
        for _, q in nernst.questions():
            p.answers[q.id] = "999"
            p.results[q.id] = {"correct": True, "feedback": "Correct", "attempts": 1}
            p.attempts[q.id] = [{"value": "999", "correct": True, "time": "t"}]
        _write(folder, f"{sid}.html", p, resign_seed=s.seed if k % 2 else None)
        expect[sid] = "edited"
    # copied: an honest report handed in under another ID
    for k, sid in enumerate(ROSTER[26:29]):
        src = read_report(folder / f"{honest[k]}.html")
        src["student_id"] = sid
        _write(folder, f"{sid}.html", Progress.from_dict(src))
        expect[sid] = "copied"
    # more attempts than allowed (the log was edited, then re-sealed)
    for sid in ROSTER[29:31]:
        s = session(sid)
        _honest(s)
        p = copy.deepcopy(s.progress)
        p.attempts["ek_new"] = [{"value": "1", "correct": False, "time": "t"}] * 4 + p.attempts[
            "ek_new"
        ]
        _write(folder, f"{sid}.html", p, resign_seed=s.seed)
        expect[sid] = "attempts"
    # not on the roster: the pack refuses them, so a report can only be forged
    p = Progress("nernst", "intruder", class_id="phys101", mode="graded")
    _write(folder, "intruder.html", p)
    # recordings: threshold for three students
    thr = load_practical("threshold")
    a = session(ROSTER[0], thr)
    _honest(a)
    export_report(a.progress, folder / f"{ROSTER[0]}-threshold.html", session=a)
    b = session(ROSTER[1], thr)
    _honest(b)
    pb = copy.deepcopy(b.progress)
    pb.evidence["fire"] = copy.deepcopy(a.progress.evidence["fire"])  # a friend's sweep
    _write(folder, f"{ROSTER[1]}-threshold.html", pb, resign_seed=b.seed)
    c = session(ROSTER[2], thr)
    _honest(c)
    pc = copy.deepcopy(c.progress)
    rec = pc.evidence["fire"]["record"]
    rec["channels"]["Vm"] = [-0.065] * len(rec["channels"]["Vm"])  # a flat line, stored correct
    _write(folder, f"{ROSTER[2]}-threshold.html", pc, resign_seed=c.seed)
    inst, _ = write_class_files(klass, tmp_path_factory.mktemp("class"))
    return klass, folder, expect, inst


def _rows(text):
    return {r["student_id"]: r for r in csv.DictReader(io.StringIO(text))}


def test_the_grader_rechecks_every_report(graded_class):
    klass, folder, expect, _ = graded_class
    reports = grade_folder(klass, folder)
    rows = _rows(gradebook_csv(reports, klass))
    assert len(expect) >= 30
    assert set(ROSTER) <= set(rows) and "intruder" in rows
    n_q = len(load_practical("nernst").questions())
    for sid, kind in expect.items():
        row = rows[sid]
        if kind == "honest":
            assert row["nernst score"] == str(n_q), (sid, row["flags"])
            if sid not in ROSTER[:3]:
                assert row["flags"] == "", (sid, row["flags"])
        elif kind == "edited":
            assert int(row["nernst score"]) <= 1 and "re-check says not correct" in row["flags"]
        elif kind == "copied":
            assert "seal broken" in row["flags"] and int(row["nernst score"]) < n_q
        elif kind == "attempts":
            assert "5 attempts logged, 3 allowed" in row["flags"]
            assert row["nernst:ek_new"] == "0" and row["nernst:ek_new attempts"] == "5"
    assert "not on the roster" in rows["intruder"]["flags"]
    for sid in ROSTER[31:]:  # handed nothing in: an empty row, so nobody is missed
        assert rows[sid]["nernst score"] == "" and rows[sid]["files"] == ""
    # the honest first-try-wrong students show their extra attempt
    assert rows[ROSTER[3]]["nernst:ek_default attempts"] == "2"


def test_the_grader_rechecks_recordings_and_their_provenance(graded_class):
    klass, folder, _, _ = graded_class
    rows = _rows(gradebook_csv(grade_folder(klass, folder), klass))
    a, b, c = (rows[s] for s in ROSTER[:3])
    assert a["threshold score"] == a["threshold max"]
    assert a["flags"] == f"threshold: same recording as {ROSTER[1]}"  # a's sweep was copied
    assert b["threshold:fire"] == "0"
    assert "recorded in threshold/" in b["flags"] and "not this student's" in b["flags"]
    assert "same recording as" in b["flags"] and "same recording as" in a["flags"]
    assert c["threshold:fire"] == "0" and "does not meet" in c["flags"]


def test_grade_cli_writes_the_gradebook(graded_class, tmp_path, capsys):
    from vlab.cli import main

    _, folder, _, inst = graded_class
    out = tmp_path / "book.csv"
    assert main(["practical", "grade", "--class", str(inst), str(folder), "--out", str(out)]) == 0
    assert "flagged" in capsys.readouterr().out
    rows = _rows(out.read_text(encoding="utf-8"))
    assert len(rows) >= 35
    pack = inst.with_name("phys101.class.toml")
    assert main(["practical", "grade", "--class", str(pack), str(folder)]) == 2
    assert "no secret" in capsys.readouterr().err


def test_a_report_round_trips_its_progress(graded_class):
    _, folder, _, _ = graded_class
    d = read_report(folder / f"{ROSTER[0]}.html")
    assert d["student_id"] == ROSTER[0] and d["mode"] == "graded" and d["seal"]
    json.dumps(d)


def test_honest_students_with_the_same_unknowns_are_not_called_copies(tmp_path):
    """The simulation is deterministic: equal unknowns give equal numbers, which alone
    must not be flagged; only a recording from the same run and step is."""
    klass = create_class("twins", ROSTER, secret=SECRET)
    thr = load_practical("threshold")
    seen: dict[float, str] = {}
    twins = None
    for sid in ROSTER:
        temp = PracticalSession(thr, sid, klass=klass.pack(), autosave=False).unknowns["temp"]
        if temp in seen:
            twins = (seen[temp], sid)
            break
        seen[temp] = sid
    assert twins, "the roster has two students with the same temperature"
    for sid in twins:
        s = PracticalSession(thr, sid, klass=klass.pack(), autosave=False)
        _honest(s)
        export_report(s.progress, tmp_path / f"{sid}.html", session=s)
    reports = grade_folder(klass, tmp_path)
    assert [r.flags for r in reports] == [[], []]
    assert all(r.score == len(thr.questions()) for r in reports)
