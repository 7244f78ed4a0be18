"""Checking a student's work: answer keys, feedback and progress.

:func:`answer_key` computes every answer of a practical for one student ID (the
instructor's key, ``vlab practical answers``). :class:`PracticalSession` is what the GUI
panel and the headless tests drive: it grades typed answers and recorded sweeps, gives
feedback, tracks which steps are complete and saves :class:`~vlab.practicals.progress.Progress`
after every change.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from vlab.practicals.answers import AnswerContext, evaluate
from vlab.practicals.checks import best_sweep, describe_condition, parse_condition
from vlab.practicals.errors import PracticalError
from vlab.practicals.model import Practical, Question, Step
from vlab.practicals.progress import (
    Progress,
    load_progress_with_notice,
    save_progress,
    seal_of,
)
from vlab.practicals.rigsetup import ControlLock, resolved
from vlab.practicals.unknowns import (
    draw_unknowns,
    normalise_student_id,
    practice_seed,
    substitute,
)

__all__ = ["Feedback", "PracticalSession", "answer_key", "format_answer", "parse_number"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """Result of checking one answer: ``correct`` and a message for the student."""

    correct: bool
    message: str


def _unit_factor(unit: str) -> float:
    if unit in ("", "1"):
        return 1.0
    from vlab.units import parse_quantity

    q = parse_quantity(f"1 {unit}")
    if q.dimension == "temperature":
        return 1.0
    return q.value


def format_answer(q: Question, value) -> str:
    """A key value as the student would write it: ``-77.0 mV``, or the choice label."""
    if q.kind == "choice":
        return f"{value} ({q.choice_label(value)})"
    if q.kind == "recording":
        return "a sweep with " + "; ".join(q.require)
    x = float(value) / _unit_factor(q.unit)
    text = f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"
    return f"{text} {q.unit}".strip() if q.unit != "1" else text


def tolerance_si(q: Question, key: float) -> float:
    """Accepted absolute error (SI) of a numeric question for this key value."""
    tol = 0.0 if math.isnan(q.tolerance) else q.tolerance
    if not math.isnan(q.rel_tolerance):
        tol = max(tol, q.rel_tolerance * abs(key))
    return tol


def parse_number(text: str, unit: str) -> float:
    """A student's numeric answer in SI: ``"-77"`` (in ``unit``) or ``"-0.077 V"``.

    Raises ValueError with a message for the student.
    """
    from vlab.units import UnitError, parse_quantity

    s = str(text).strip().replace("\u2212", "-").replace(",", ".").replace("\u00b5", "u")
    if not s:
        raise ValueError("type a number first")
    try:
        return float(s) * _unit_factor(unit)
    except ValueError:
        pass
    if unit in ("", "1"):
        raise ValueError(f"{text!r} is not a number")
    dim = parse_quantity(f"1 {unit}").dimension
    try:
        return parse_quantity(s, dim).value
    except UnitError:
        raise ValueError(
            f"{text!r} is not a number in {unit} (e.g. '-65' or '-65 {unit}')"
        ) from None


def _key_for(practical: Practical, step: Step, q: Question, unknowns: dict, ctx: AnswerContext):
    if q.kind in ("recording", "text"):
        return None
    if q.kind == "choice" and q.correct:
        return q.correct
    value = evaluate(q.answer, ctx)
    if q.kind == "choice":
        return str(value)
    return float(value)


#: answer functions whose value a live read-out would show: graded mode hides that
#: read-out (see :data:`vlab.practicals.model.HIDEABLE_READOUTS`) while the step is open
GIVEAWAY_READOUTS = {
    "nernst": "reversals",
    "nernst_of": "reversals",
    "reversal": "reversals",
    "driving_force": "reversals",
    "closer": "reversals",
    "current_direction": "reversals",
    "ion_flow": "reversals",
    "below_reversal": "reversals",
    "apical_driving_force": "reversals",
    "ghk": "ghk",
}
DEFAULT_ATTEMPTS = 3
DEFAULT_CHOICE_ATTEMPTS = 1


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def answer_key(practical: Practical, student_id: str, seed: str | None = None) -> dict[str, object]:
    """Every computed answer for ``student_id``: question id -> SI float or choice key.

    ``seed`` is the student's class seed (default: the public practice seed of the ID).
    Recording questions are absent (they are checked against sweeps, see
    :mod:`vlab.practicals.checks`).
    """
    unknowns = draw_unknowns(practical, student_id, seed)
    key: dict[str, object] = {}
    for step in practical.steps:
        ctx = AnswerContext(practical, step, unknowns)
        for q in step.questions:
            v = _key_for(practical, step, q, unknowns, ctx)
            if v is not None:
                key[q.id] = v
    return key


def _downsample(x: np.ndarray, n: int = 1000) -> list[float]:
    """At most ``n`` samples (min/max pairs, so spikes survive), 5 significant digits."""
    if x.size <= n:
        return [float(f"{v:.5g}") for v in x]
    # min/max pairs keep spikes visible
    edges = np.linspace(0, x.size, n // 2 + 1).astype(int)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        seg = x[a:b]
        i, j = int(np.argmin(seg)), int(np.argmax(seg))
        out += [float(f"{seg[min(i, j)]:.5g}"), float(f"{seg[max(i, j)]:.5g}")]
    return out


def _most_telling(conds, sweeps, pos, chk):
    """Of the sweeps that pass, the one whose main channel varies most (a step to +20 mV
    shows more than one to -100 mV); brief transients are ignored (percentiles)."""
    from vlab.practicals.checks import check_sweep

    def spread(sw) -> float:
        ch = sw.mode.recorded if sw.mode is not None else "Vm"
        x = sw.channels.get(ch)
        if x is None or len(x) < 2:
            return 0.0
        lo, hi = np.percentile(x, [1, 99])
        return float(hi - lo)

    best = (spread(sweeps[pos]), pos, chk)
    for k, sw in enumerate(sweeps):
        if k == pos:
            continue
        c = check_sweep(conds, sw)
        if c.passed and (sp := spread(sw)) > best[0]:
            best = (sp, k, c)
    return best[1], best[2]


def _sig(x: np.ndarray, digits: int = 6) -> list[float]:
    return [float(f"{v:.{digits}g}") for v in np.asarray(x, dtype=float)]


def command_steps(sw) -> list[int]:
    """Sample indices where the sweep's command changes (by more than 0.1 % of its range)."""
    cmd = sw.channels.get("command")
    return [] if cmd is None else step_indices(cmd)


def step_indices(cmd) -> list[int]:
    """Sample indices where a command trace changes (by more than 0.1 % of its range)."""
    x = np.asarray(cmd, dtype=float)
    if x.size < 2:
        return []
    span = float(x.max() - x.min())
    if span == 0.0:
        return []
    return [int(k) + 1 for k in np.nonzero(np.abs(np.diff(x)) > 1e-3 * span)[0]]


def sweep_record(sw, conds) -> dict:
    """The sweep at full resolution, as far as the grader needs it to re-check ``conds``:
    ``{"index", "dt", "channels": {name: [...]}, "provenance": {...}}`` (SI, 6 digits)."""
    names = {"Vm", "command"} | {c.arg for c in conds if c.func in ("max", "min", "mean")}
    return {
        "index": int(sw.index),
        "dt": float(sw.dt),
        "channels": {c: _sig(sw.channels[c]) for c in sorted(names) if c in sw.channels},
        "provenance": {k: v for k, v in sw.provenance.items() if k != "protocol_toml"},
    }


def _evidence(sw, sweeps, chk, conds=()) -> dict:
    """What the report needs from the sweep that answered a recording question: its
    checks and provenance, its traces, the other sweeps of the same run (overlay), and
    the sweep itself at full resolution for the grader (:func:`sweep_record`)."""
    n = len(next(iter(sw.channels.values())))
    primary = sw.mode.recorded if sw.mode is not None else "Vm"
    run = sw.provenance.get("run_id")
    family = [x for x in sweeps if run is not None and x.provenance.get("run_id") == run] or [sw]
    family = sorted(family, key=lambda x: x.index)[:25]
    ev = {
        "sweep": int(sw.index),
        "checks": [list(r) for r in chk.results],
        "provenance": {k: v for k, v in sw.provenance.items() if k != "protocol_toml"},
        "duration": float(sw.dt) * n,
        "traces": {
            c: _downsample(np.asarray(sw.channels[c])) for c in ("Vm", "Im") if c in sw.channels
        },
        "family": {
            "channels": [primary],
            "sweeps": [int(x.index) for x in family],
            "chosen": [x is sw for x in family].index(True),
            "traces": {
                c: [_downsample(np.asarray(x.channels[c]), 300) for x in family if c in x.channels]
                for c in (primary,)
            },
            # where each sweep's command steps (sample indices): a figure leaves the
            # capacitive transients after them out of its y range
            "steps": [command_steps(x) for x in family],
            "samples": n,
        },
        "record": sweep_record(sw, conds),
    }
    return ev


class PracticalSession:
    """One student working through one practical.

    Parameters
    ----------
    practical
        The loaded practical.
    student_id
        Seeds the student's unknowns and names their progress file.
    progress
        Earlier progress; by default it is loaded from the user data folder.
    autosave
        Save progress after every change (the GUI does; tests may not).
    root
        Data folder override (see :func:`vlab.practicals.progress.data_dir`).
    klass
        The class (:class:`vlab.practicals.classes.ClassPack`, as students receive it):
        the student's unknowns come from their class seed, and the class may set graded
        mode. Without a class the student practises with public unknowns.
    graded
        Force graded (True) or practice (False) mode; default: graded if the practical
        file or the class says so.

    In **graded** mode each typed question allows a limited number of attempts (the
    question's ``attempts``, else the class's, else the practical's, else 3; multiple
    choice: 1), wrong answers are told only "not correct" (plus a warning when just the
    sign or the unit scale is off), a correct answer cannot be changed, and read-outs
    that show an answer are hidden (:meth:`hidden_readouts`). **Practice** mode keeps
    unlimited attempts with too-high/too-low feedback and hints. Both modes log every
    attempt with its value and time, and accept for a recording question only sweeps
    recorded in that step of this practical (:meth:`recording_tag`).
    """

    def __init__(
        self,
        practical: Practical,
        student_id: str,
        progress: Progress | None = None,
        autosave: bool = True,
        root=None,
        klass=None,
        graded: bool | None = None,
    ) -> None:
        if not str(student_id).strip():
            raise PracticalError(
                "a student ID is needed (it picks your unknowns and names your progress file)"
            )
        self.practical = practical
        self.student_id = str(student_id).strip()
        self.root = root
        self.autosave = autosave
        self.klass = klass
        if klass is not None and not klass.uses(practical.name):
            raise PracticalError(
                f"class {klass.class_id!r} does not use the practical {practical.name!r}"
            )
        self.class_id = klass.class_id if klass is not None else ""
        self.seed = klass.seed_for(self.student_id) if klass else practice_seed(self.student_id)
        if graded is None:
            graded = practical.graded or bool(klass is not None and klass.graded)
        self.graded = bool(graded)
        #: A sentence for the student if their progress file was damaged (kept aside, the
        #: last good state restored), else None.
        self.notice: str | None = None
        #: Why the last save failed ("progress not saved: ..."), or None if it worked. The
        #: practical keeps working (presets, locks, grading) when the disk does not.
        self.save_problem: str | None = None
        if progress is None:
            progress, self.notice = load_progress_with_notice(
                practical.name, self.student_id, root, self.class_id
            )
        self.progress = progress
        self.progress.class_id = self.class_id
        self.progress.mode = "graded" if self.graded else "practice"
        self.unknowns = draw_unknowns(practical, self.student_id, self.seed)
        self._key: dict[str, object] = {}
        self._contexts: dict[str, AnswerContext] = {}

    def render(self, text: str) -> str:
        """Display text with this student's unknowns filled in (``{v}`` -> ``-5 mV``)."""
        return substitute(text, self.practical, self.unknowns, strict=False)

    # ------------------------------------------------------------------ steps
    @property
    def step_index(self) -> int:
        return min(max(self.progress.step, 0), len(self.practical.steps) - 1)

    def go_to(self, index: int) -> Step:
        """Make step ``index`` current (saved) and return it."""
        if not 0 <= index < len(self.practical.steps):
            raise PracticalError(
                f"step {index + 1} does not exist (1..{len(self.practical.steps)})"
            )
        self.progress.step = index
        self._save()
        return self.practical.steps[index]

    def preset(self, index: int | None = None):
        """The resolved rig preset of a step (default: the current one)."""
        step = self.practical.steps[self.step_index if index is None else index]
        return resolved(step.preset, self.practical, self.unknowns)

    def lock(self, index: int | None = None) -> ControlLock:
        """Locked controls and hidden read-outs of a step (default: the current one)."""
        i = self.step_index if index is None else index
        return ControlLock(frozenset(self.preset(i).locked), self.hidden_readouts(i))

    def hidden_readouts(self, index: int | None = None) -> frozenset[str]:
        """Read-outs hidden during a step: the step's ``hide`` list and, in graded mode,
        those that would show an answer of the step (:data:`GIVEAWAY_READOUTS`)."""
        from vlab.practicals.answers import parse_call

        step = self.practical.steps[self.step_index if index is None else index]
        hide = set(step.hide)
        if self.graded:
            for q in step.questions:
                if q.answer:
                    name = parse_call(q.answer)[0]
                    if name in GIVEAWAY_READOUTS:
                        hide.add(GIVEAWAY_READOUTS[name])
        return frozenset(hide)

    def recording_tag(self, index: int | None = None) -> dict:
        """What the rig writes into the provenance of sweeps recorded during a step; a
        recording question accepts only sweeps carrying its own step's tag."""
        step = self.practical.steps[self.step_index if index is None else index]
        return {
            "name": self.practical.name,
            "step": step.id,
            "student": normalise_student_id(self.student_id),
            "class_id": self.class_id,
        }

    def belongs(self, sweep, step: Step) -> bool:
        """True if ``sweep`` was recorded by this student in ``step`` of this practical."""
        tag = sweep.provenance.get("practical") or {}
        return (
            isinstance(tag, dict)
            and tag.get("name") == self.practical.name
            and tag.get("step") == step.id
            and tag.get("student") == normalise_student_id(self.student_id)
            and tag.get("class_id", "") == self.class_id
        )

    # ------------------------------------------------------------------ attempts
    def max_attempts(self, qid: str) -> int | None:
        """Attempts allowed for a typed or choice question (None: unlimited, practice)."""
        if not self.graded:
            return None
        _, q = self.practical.question(qid)
        if q.kind in ("recording", "text"):
            return None
        if q.attempts:
            return q.attempts
        if q.kind == "choice":
            return self.klass.choice_attempts if self.klass else DEFAULT_CHOICE_ATTEMPTS
        if self.klass is not None:
            return self.klass.attempts
        return self.practical.attempts or DEFAULT_ATTEMPTS

    def attempts_used(self, qid: str) -> int:
        return len(self.progress.attempts.get(qid, []))

    def attempts_left(self, qid: str) -> int | None:
        """Attempts still allowed (None: unlimited)."""
        n = self.max_attempts(qid)
        return None if n is None else max(0, n - self.attempts_used(qid))

    def step_complete(self, index: int) -> bool:
        """True when every question of the step is answered correctly (a step without
        questions counts as complete once visited)."""
        step = self.practical.steps[index]
        if not step.questions:
            return self.progress.step >= index or any(
                self.is_correct(q.id) for s in self.practical.steps[index:] for q in s.questions
            )
        return all(self.is_done(q.id) for q in step.questions)

    def is_correct(self, qid: str) -> bool:
        return bool(self.progress.results.get(qid, {}).get("correct"))

    def is_answered(self, qid: str) -> bool:
        """True if the question has a non-empty answer (typed, chosen or written)."""
        return bool(str(self.progress.answers.get(qid, "")).strip())

    def is_done(self, qid: str) -> bool:
        """Correct, or for a free-text question: written (the instructor marks it)."""
        _, q = self.practical.question(qid)
        return self.is_answered(qid) if q.kind == "text" else self.is_correct(qid)

    @property
    def score(self) -> tuple[int, int]:
        """(correct, total) over the automatically graded questions (free-text answers
        are marked by the instructor and count in neither)."""
        qs = [q for _, q in self.practical.questions() if q.auto_graded]
        return sum(self.is_correct(q.id) for q in qs), len(qs)

    @property
    def to_mark(self) -> list[str]:
        """Ids of the free-text questions, which the instructor marks."""
        return [q.id for _, q in self.practical.questions() if not q.auto_graded]

    @property
    def passed(self) -> bool:
        """Every graded question answered correctly and every free-text question written."""
        got, total = self.score
        return got == total and all(self.is_answered(qid) for qid in self.to_mark)

    # ------------------------------------------------------------------ key
    def key(self, qid: str):
        """The correct answer of one question for this student (computed on first use)."""
        if qid not in self._key:
            step, q = self.practical.question(qid)
            ctx = self._contexts.setdefault(
                step.id, AnswerContext(self.practical, step, self.unknowns)
            )
            self._key[qid] = _key_for(self.practical, step, q, self.unknowns, ctx)
        return self._key[qid]

    def mode_text(self) -> str:
        """One line telling the student which mode they are in."""
        if not self.graded:
            return "Practice mode: unlimited attempts, hints after wrong answers."
        parts = []
        for kind, what in (
            ("numeric", "attempt(s) per typed answer"),
            ("choice", "per multiple-choice answer"),
        ):
            n = sorted(
                {
                    self.max_attempts(q.id) or 0
                    for _, q in self.practical.questions()
                    if q.kind == kind
                }
            )
            if n:
                parts.append(f"{'/'.join(str(x) for x in n)} {what}")
        where = f" (class {self.class_id})" if self.class_id else ""
        return f"Graded mode{where}: " + ", ".join(parts) + "; no hints; every attempt is recorded."

    # ------------------------------------------------------------------ grading
    def submit(self, qid: str, answer: str) -> Feedback:
        """Check a typed (numeric) or chosen (choice key) answer, record and save it."""
        step, q = self.practical.question(qid)
        if q.kind == "recording":
            raise PracticalError(
                f"question {qid!r} is answered by recording a sweep, not by typing"
            )
        if q.kind == "text":
            return self._save_text(q, answer)
        if self.graded:
            if self.is_correct(qid):
                return Feedback(True, "Already answered correctly (graded answers are final).")
            if self.attempts_left(qid) == 0:
                n = self.max_attempts(qid)
                return Feedback(False, f"No attempts left for this question ({n} of {n} used).")
        if q.kind == "numeric":
            fb = self._grade_numeric(q, answer)
        else:
            fb = self._grade_choice(q, answer)
        if fb is None:  # unreadable input is not an attempt
            return Feedback(False, self._last_error)
        self.progress.attempts.setdefault(qid, []).append(
            {"value": str(answer), "correct": fb.correct, "time": _now()}
        )
        if self.graded and not fb.correct:
            left = self.attempts_left(qid)
            fb = Feedback(
                False,
                fb.message
                + (f" {left} attempt(s) left." if left else " No attempts left for this question."),
            )
        if fb.correct or not self.is_correct(qid):
            self.progress.answers[qid] = str(answer)
        self._record(qid, fb)
        return fb

    def _save_text(self, q: Question, text: str) -> Feedback:
        """Keep a free-text answer for the instructor (never graded here). Each saved
        version is logged; the last one counts, in every mode."""
        from vlab.practicals.model import TEXT_MAX_CHARS

        text = str(text).replace("\r\n", "\n").strip()
        if not text:
            return Feedback(False, "Write your answer first.")
        if len(text) > TEXT_MAX_CHARS:
            return Feedback(
                False,
                f"Your answer has {len(text)} characters; shorten it to {TEXT_MAX_CHARS} at most.",
            )
        self.progress.attempts.setdefault(q.id, []).append({"value": text, "time": _now()})
        self.progress.answers[q.id] = text
        prev = self.progress.results.get(q.id, {})
        msg = "Saved for your instructor to mark (you may revise it; the last version counts)."
        if q.explanation:
            msg += f" {q.explanation}"
        self.progress.results[q.id] = {
            "correct": False,
            "to_mark": True,
            "feedback": msg,
            "attempts": int(prev.get("attempts", 0)) + 1,
            "time": _now(),
        }
        self._save()
        return Feedback(True, msg)

    def _grade_numeric(self, q: Question, text: str) -> Feedback | None:
        try:
            x = parse_number(text, q.unit)
        except ValueError as exc:
            self._last_error = str(exc)
            return None
        key = float(self.key(q.id))
        tol = tolerance_si(q, key)
        if abs(x - key) <= tol:
            msg = f"Correct: {format_answer(q, key)}."
            return Feedback(True, msg + (f" {q.explanation}" if q.explanation else ""))
        if abs(-x - key) <= tol and key != 0:
            why = (
                "The size is right but the sign is not: think about which way the quantity points."
            )
        elif any(abs(x * s - key) <= tol for s in (1e3, 1e-3, 1e6, 1e-6)):
            why = f"The digits look right but the scale does not: the answer is asked in {q.unit}."
        elif self.graded:  # no direction: a script must not bisect its way to the key
            return Feedback(False, "Not correct.")
        else:
            why = "Your value is too " + ("high" if x > key else "low") + "."
            if abs(x - key) <= 3 * tol:
                why = "Close, but outside the accepted range: " + why[0].lower() + why[1:]
        hint = f" Hint: {q.hint}" if q.hint and not self.graded else ""
        return Feedback(False, f"Not correct. {why}{hint}")

    def _grade_choice(self, q: Question, key_chosen: str) -> Feedback | None:
        keys = dict(q.choices)
        if key_chosen not in keys:
            self._last_error = f"choose one of: {', '.join(keys.values())}"
            return None
        right = str(self.key(q.id))
        if key_chosen == right:
            return Feedback(
                True, f"Correct: {keys[right]}." + (f" {q.explanation}" if q.explanation else "")
            )
        hint = f" Hint: {q.hint}" if q.hint and not self.graded else ""
        return Feedback(False, f"Not correct: '{keys[key_chosen]}' is not right.{hint}")

    def check_recording(self, qid: str, sweeps) -> Feedback:
        """Check recorded sweeps against a recording question; the first sweep meeting every
        condition answers it and is kept as evidence for the report."""
        step, q = self.practical.question(qid)
        if q.kind != "recording":
            raise PracticalError(f"question {qid!r} is not a recording question")
        sweeps = [s for s in (sweeps or []) if getattr(s, "kept", True)]
        if not sweeps:
            return Feedback(False, "Nothing recorded yet: run the protocol, then check again.")
        mine = [s for s in sweeps if self.belongs(s, step)]
        if not mine:
            return Feedback(
                False,
                f"None of your {len(sweeps)} sweeps was recorded in this step of this practical: "
                "with the step open, run the protocol, then check again.",
            )
        sweeps = mine
        conds = [parse_condition(r) for r in q.require]
        pos, chk = best_sweep(conds, sweeps)
        if chk.passed:  # the attempt names the sweep the report shows as evidence
            pos, chk = _most_telling(conds, sweeps, pos, chk)
        self.progress.attempts.setdefault(qid, []).append(
            {
                "sweep": int(sweeps[pos].index),
                "run_id": str(sweeps[pos].provenance.get("run_id", "")),
                "correct": chk.passed,
                "time": _now(),
            }
        )
        if chk.passed:
            sw = sweeps[pos]
            self.progress.evidence[qid] = _evidence(sw, sweeps, chk, conds)
            fb = Feedback(
                True,
                f"Recorded: sweep {sw.index + 1} shows it."
                + (f" {q.explanation}" if q.explanation else ""),
            )
        else:
            lines = [
                f"{'met' if ok else 'NOT met'}: {describe_condition(text)} (measured {meas})"
                for text, ok, meas in chk.results
            ]
            fb = Feedback(
                False,
                f"Not yet: none of your {len(sweeps)} sweeps shows everything. Closest is "
                f"sweep {sweeps[pos].index + 1}: "
                + "; ".join(lines)
                + "."
                + (f" Hint: {q.hint}" if q.hint and not self.graded else ""),
            )
        self._record(qid, fb)
        return fb

    def _record(self, qid: str, fb: Feedback) -> None:
        prev = self.progress.results.get(qid, {})
        if prev.get("correct") and not fb.correct:
            # a later wrong attempt does not undo a correct answer, but is counted
            self.progress.results[qid] = {**prev, "attempts": int(prev.get("attempts", 0)) + 1}
        else:
            self.progress.results[qid] = {
                "correct": fb.correct,
                "feedback": fb.message,
                "attempts": int(prev.get("attempts", 0)) + 1,
                "time": _now(),
            }
        self._save()

    def _save(self) -> None:
        self.progress.seal = seal_of(self.progress, self.seed)
        if not self.autosave:
            return
        try:
            save_progress(self.progress, self.root)
        except PracticalError as exc:
            self.save_problem = str(exc)
        else:
            self.save_problem = None

    def reset(self) -> None:
        """Forget every answer (a fresh start; refused in graded mode); saved."""
        if self.graded:
            raise PracticalError("graded work cannot be reset: every attempt stays recorded")
        self.progress = Progress(
            self.practical.name, self.student_id, class_id=self.class_id, mode="practice"
        )
        self._save()
