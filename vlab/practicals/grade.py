"""The grader: re-check a folder of student reports against keys only the instructor has.

``vlab practical grade --class CLASS.instructor.toml REPORTS_DIR`` reads every report
(``*.html`` written by *Export report*, or a progress ``*.json``), takes the progress
embedded in it and, for each student,

- re-derives the student's seed and unknowns from the class secret and computes the key;
- re-checks every typed and multiple-choice answer from the attempt log (only the
  attempts the mode allowed count);
- re-checks every recording question on the sweep embedded at full resolution: the
  question's conditions, and its provenance (this practical, this step, this student,
  this class; the step's unknown-dependent settings and locked drugs);
- flags what disagrees: a stored result the re-check does not confirm, a broken seal,
  more attempts than allowed, a student off the roster or in another class, evidence
  recorded with someone else's unknowns, the same recording handed in by two students.

:func:`gradebook_csv` turns the results into one row per student, with columns per
question (1/0), attempts, score and flags, ready for a VLE/LMS import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vlab.practicals.errors import PracticalError

#: largest report read (the embedded sweeps make reports of a few MB at most)
REPORT_MAX_BYTES = 64 * 2**20

__all__ = [
    "TO_MARK",
    "GradedReport",
    "grade_folder",
    "grade_progress",
    "gradebook_csv",
    "read_report",
]


@dataclass
class GradedReport:
    """The re-checked work of one student in one practical.

    ``questions`` maps question id -> ``{"correct": bool, "attempts": int}``; for a
    free-text question ``correct`` is None and ``text`` holds the student's answer;
    ``flags`` are one-line reasons for the instructor to look closer.
    """

    file: str
    student_id: str
    practical: str
    questions: dict[str, dict] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    evidence_digests: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return sum(1 for r in self.questions.values() if r["correct"])


#: suffix of a gradebook column holding a free-text answer (never auto-graded)
TO_MARK = " (to mark by instructor)"


def read_report(path) -> dict:
    """The progress dict of a report (``.html``) or a progress file (``.json``)."""
    from vlab.practicals.report import read_embedded_progress
    from vlab.safe_read import BadFileError, loads_json, read_text

    path = Path(path)
    try:
        text = read_text(path, max_bytes=REPORT_MAX_BYTES)
        d = (
            loads_json(text, path.name, max_values=10**7)
            if path.suffix.lower() == ".json"
            else None
        )
    except BadFileError as exc:
        raise PracticalError(f"cannot read: {exc}") from exc
    if d is not None:
        if not isinstance(d, dict):
            raise PracticalError(f"{path.name}: not a progress file")
        return d
    try:
        return read_embedded_progress(text)
    except PracticalError as exc:
        raise PracticalError(f"{path.name}: {exc}") from exc


def _recheck_typed(session, q, log, answers) -> tuple[bool, int, list[str]]:
    """(correct, attempts, flags) of a numeric or choice question from its attempt log."""
    from vlab.practicals.session import parse_number, tolerance_si

    flags = []
    if not log and q.id in answers:  # older progress without a log: its last answer
        log = [{"value": answers[q.id]}]
    limit = session.max_attempts(q.id)
    counted = log if limit is None else log[:limit]
    if limit is not None and len(log) > limit:
        flags.append(f"{q.id}: {len(log)} attempts logged, {limit} allowed")
    key = session.key(q.id)
    correct = False
    for a in counted:
        value = str(a.get("value", ""))
        if q.kind == "choice":
            ok = value == str(key)
        else:
            try:
                x = parse_number(value, q.unit)
            except ValueError:
                ok = False
            else:
                ok = abs(x - float(key)) <= tolerance_si(q, float(key))
        if bool(a.get("correct")) != ok:
            flags.append(
                f"{q.id}: attempt {value!r} is stored as {'right' if a.get('correct') else 'wrong'} but is {'right' if ok else 'wrong'}"
            )
        correct = correct or ok
    return correct, len(log), flags


def _sweep_from(record: dict):
    from vlab.recording import Sweep

    chans = {k: np.asarray(v, dtype=float) for k, v in record["channels"].items()}
    return Sweep(
        index=int(record.get("index", 0)),
        dt=float(record["dt"]),
        channels=chans,
        t0=0.0,
        provenance=dict(record.get("provenance", {})),
        label="",
    )


def _recheck_recording(session, step_index: int, q, ev) -> tuple[bool, list[str], str]:
    """(correct, flags, digest) of a recording question from its embedded sweep."""
    from vlab.practicals.checks import check_sweep, parse_condition
    from vlab.practicals.unknowns import PLACEHOLDER

    if not ev:
        return False, [], ""
    rec = ev.get("record")
    if not isinstance(rec, dict) or "channels" not in rec:
        return False, [f"{q.id}: the evidence has no recorded sweep to re-check"], ""
    # the data and where and when it was recorded: two honest students with the same
    # unknowns record the same numbers, but not in the same run, step tag and second
    prov = rec.get("provenance", {})
    made = [prov.get(k) for k in ("practical", "run_id", "created")]
    digest = hashlib.sha256(
        json.dumps([rec["channels"], made], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    try:
        sweep = _sweep_from(rec)
    except (KeyError, TypeError, ValueError) as exc:
        return False, [f"{q.id}: the evidence sweep is damaged ({exc})"], digest
    flags = []
    step = session.practical.steps[step_index]
    if not session.belongs(sweep, step):
        tag = sweep.provenance.get("practical") or {}
        flags.append(
            f"{q.id}: evidence recorded in {tag.get('name', '?')}/{tag.get('step', '?')} "
            f"by {tag.get('student', '?')!r}, not in this step by this student"
        )
    chk = check_sweep([parse_condition(r) for r in q.require], sweep)
    if not chk.passed:
        missing = [text for text, ok, _ in chk.results if not ok]
        flags.append(f"{q.id}: the embedded sweep does not meet {'; '.join(missing)}")
    # settings that depend on the student's unknowns must be the student's own
    raw, preset = step.preset, session.preset(step_index)
    params = sweep.provenance.get("parameters", {})
    for (name, text), (_, value) in zip(raw.parameters, preset.parameters, strict=True):
        if PLACEHOLDER.search(text) and name in params:
            from vlab.sim.cell import Cell

            want = Cell(preset.preparation)
            want.set(name, value)
            if not math.isclose(float(params[name]), want.get(name), rel_tol=1e-6, abs_tol=1e-12):
                flags.append(
                    f"{q.id}: recorded with {name} = {params[name]:.6g}, "
                    f"not this student's {want.get(name):.6g}"
                )
    if "drugs" in preset.locked:
        n_drugs = len(sweep.provenance.get("drugs", {}))
        if n_drugs != len(preset.drugs):
            flags.append(
                f"{q.id}: {n_drugs} drug(s) in the bath, the step sets {len(preset.drugs)}"
            )
    return chk.passed and not flags, flags, digest


def grade_progress(klass, d: dict, file: str = "") -> GradedReport:
    """Re-check one student's progress dict (from a report) against the class's keys."""
    from vlab.practicals.loader import load_practical
    from vlab.practicals.progress import Progress, seal_of
    from vlab.practicals.session import PracticalSession

    try:
        progress = Progress.from_dict(d)
        practical = load_practical(progress.practical)
    except (PracticalError, TypeError) as exc:
        raise PracticalError(f"{file}: {exc}") from exc
    out = GradedReport(file, progress.student_id, practical.name)
    if progress.class_id != klass.class_id:
        out.flags.append(f"done in class {progress.class_id or '(none: practice)'!r}")
    if not klass.on_roster(progress.student_id):
        out.flags.append("student not on the roster")
    seed = klass.seed_for(progress.student_id)
    if not progress.seal or progress.seal != seal_of(progress, seed):
        out.flags.append("seal broken: the progress was changed outside vlab")
    mode = progress.mode
    try:
        session = PracticalSession(
            practical, progress.student_id, progress=progress, autosave=False, klass=klass
        )
    except PracticalError as exc:
        out.flags.append(str(exc))
        return out
    if session.graded and mode != "graded":
        out.flags.append(f"done in {mode} mode, the class is graded")
    for i, step in enumerate(practical.steps):
        for q in step.questions:
            stored = bool(progress.results.get(q.id, {}).get("correct"))
            log = progress.attempts.get(q.id, [])
            if q.kind == "text":  # the instructor marks it: collected, never re-checked
                text = str(progress.answers.get(q.id, "")).strip()
                out.questions[q.id] = {"correct": None, "attempts": len(log), "text": text}
                continue
            if q.kind == "recording":
                ok, flags, digest = _recheck_recording(session, i, q, progress.evidence.get(q.id))
                if digest:
                    out.evidence_digests[q.id] = digest
                n = len(log)
            else:
                try:
                    ok, n, flags = _recheck_typed(session, q, log, progress.answers)
                except PracticalError as exc:
                    ok, n, flags = False, len(log), [f"{q.id}: cannot compute the key ({exc})"]
            if stored != ok:
                flags.append(
                    f"{q.id}: stored as {'correct' if stored else 'not correct'}, "
                    f"re-check says {'correct' if ok else 'not correct'}"
                )
            out.questions[q.id] = {"correct": ok, "attempts": n}
            out.flags += flags
    return out


def grade_folder(klass, folder) -> list[GradedReport]:
    """Grade every ``*.html`` / ``*.json`` report in ``folder`` (not recursive).

    Unreadable files become a row with a flag, never a crash. Recordings handed in by
    more than one student are flagged in every report that contains them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PracticalError(f"{folder}: no such folder of reports")
    if not getattr(klass, "has_secret", False):
        raise PracticalError(
            "grading needs the instructor's class file (CLASS.instructor.toml, with the secret), "
            "not the students' pack"
        )
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".html", ".htm", ".json") or not path.is_file():
            continue
        try:
            out.append(grade_progress(klass, read_report(path), path.name))
        except PracticalError as exc:
            out.append(GradedReport(path.name, "", "", flags=[f"unreadable: {exc}"]))
    seen: dict[str, list[GradedReport]] = {}
    for r in out:
        for digest in set(r.evidence_digests.values()):
            seen.setdefault(digest, []).append(r)
    shared: dict[int, set[str]] = {}
    for group in seen.values():
        students = {r.student_id for r in group}
        if len(students) > 1:
            for r in group:
                shared.setdefault(id(r), set()).update(students - {r.student_id})
    for r in out:
        if id(r) in shared:
            r.flags.append(f"same recording as {', '.join(sorted(shared[id(r)]))}")
    return out


def _cell_text(text: str) -> str:
    """A student's words as a spreadsheet cell: a leading = + - @ would make a formula
    in the instructor's spreadsheet, so such text gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def gradebook_csv(reports: list[GradedReport], klass=None) -> str:
    """One row per student: score per practical, 1/0 and attempts per question, flags.

    Students on the class roster without any report get an empty row (so nobody is
    missed). Columns: ``student_id``, then per practical ``<p> score``, ``<p> max`` and
    per question ``<p>:<q>`` and ``<p>:<q> attempts``, then ``flags`` and ``files``. A
    free-text question has one column ``<p>:<q> (to mark by instructor)`` holding the
    student's words; it is in neither the score nor the max.
    """
    from vlab.practicals.loader import load_practical
    from vlab.practicals.unknowns import normalise_student_id

    practicals = sorted({r.practical for r in reports if r.practical})
    questions = {p: [q for _, q in load_practical(p).questions()] for p in practicals}
    qids = {p: [q.id for q in qs if q.auto_graded] for p, qs in questions.items()}
    texts = {p: [q.id for q in qs if not q.auto_graded] for p, qs in questions.items()}
    rows: dict[str, dict] = {}
    order: list[str] = []
    for sid in getattr(klass, "roster", ()) or ():
        rows[normalise_student_id(sid)] = {"student_id": sid, "flags": [], "files": []}
        order.append(normalise_student_id(sid))
    for r in reports:
        key = normalise_student_id(r.student_id) or f"?{r.file}"
        if key not in rows:
            rows[key] = {"student_id": r.student_id or "?", "flags": [], "files": []}
            order.append(key)
        row = rows[key]
        row["files"].append(r.file)
        row["flags"] += [f"{r.practical}: {f}" if r.practical else f for f in r.flags]
        if not r.practical:
            continue
        if f"{r.practical} score" in row:
            row["flags"].append(f"{r.practical}: more than one report")
        row[f"{r.practical} score"] = r.score
        row[f"{r.practical} max"] = len(qids[r.practical])
        for q in qids[r.practical]:
            res = r.questions.get(q, {"correct": False, "attempts": 0})
            row[f"{r.practical}:{q}"] = int(res["correct"])
            row[f"{r.practical}:{q} attempts"] = res["attempts"]
        for q in texts[r.practical]:
            row[f"{r.practical}:{q}{TO_MARK}"] = _cell_text(r.questions.get(q, {}).get("text", ""))
    header = ["student_id"]
    for p in practicals:
        header += [f"{p} score", f"{p} max"]
        for q in qids[p]:
            header += [f"{p}:{q}", f"{p}:{q} attempts"]
        header += [f"{p}:{q}{TO_MARK}" for q in texts[p]]
    header += ["flags", "files"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for key in order:
        row = rows[key]
        row = {**row, "flags": " | ".join(row["flags"]), "files": " ".join(row["files"])}
        w.writerow([row.get(h, "") for h in header])
    return buf.getvalue()
