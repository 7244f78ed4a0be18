"""``vlab practical list`` and ``vlab practical answers NAME --student ID``.

``vlab.cli`` parses the command line and calls :func:`run`; bad input raises
``ValueError`` (:class:`~vlab.practicals.errors.PracticalError`) with a one-line message,
which the CLI prints before exiting with status 2.
"""

from __future__ import annotations

from vlab.practicals.errors import PracticalError

__all__ = ["run", "list_text", "answers_text"]


def list_text() -> str:
    """One line per built-in practical: name, title, steps, questions, minutes."""
    from vlab.practicals.loader import builtin_practicals, load_practical

    practicals = [load_practical(n) for n in builtin_practicals()]
    practicals.sort(key=lambda p: (p.order, p.name))
    width = max((len(p.name) for p in practicals), default=4)
    lines = []
    for p in practicals:
        n_q = len(p.questions())
        lines.append(
            f"{p.name:<{width}}  {p.title}  ({len(p.steps)} steps, {n_q} questions, ~{p.minutes} min)"
        )
    return "\n".join(lines)


def answers_text(name: str, student_id: str) -> str:
    """The instructor's key for one student: unknowns, then every answer by step."""
    from vlab.practicals.loader import load_practical
    from vlab.practicals.session import answer_key, format_answer, tolerance_si
    from vlab.practicals.unknowns import draw_unknowns, format_unknown

    p = load_practical(name)
    key = answer_key(p, student_id)
    out = [f"{p.title} ({p.name}) - answer key for student {student_id!r}"]
    unknowns = draw_unknowns(p, student_id)
    if unknowns:
        out.append(
            "unknowns: "
            + ", ".join(f"{u.name} = {format_unknown(u, unknowns[u.name])}" for u in p.unknowns)
        )
    for i, step in enumerate(p.steps, 1):
        out.append(f"step {i}: {step.title}")
        for q in step.questions:
            if q.kind == "numeric":
                value = key[q.id]
                assert isinstance(value, float), "a numeric question's key is a number"
                tol = tolerance_si(q, value)
                from dataclasses import replace

                tol_text = format_answer(replace(q, kind="numeric"), tol)
                out.append(f"  {q.id}: {format_answer(q, key[q.id])}  (accepted +/- {tol_text})")
            elif q.kind == "choice":
                out.append(f"  {q.id}: {format_answer(q, key[q.id])}")
            else:
                out.append(f"  {q.id}: record {'; '.join(q.require)}")
    return "\n".join(out)


def run(args) -> int:
    """Entry point used by ``vlab.cli``: ``args.action`` is 'list' or 'answers'."""
    if args.action == "list":
        print(list_text())
        return 0
    if args.action == "answers":
        if not args.name:
            raise PracticalError("which practical? usage: vlab practical answers NAME --student ID")
        if not str(args.student or "").strip():
            raise PracticalError("--student ID is needed: every student has their own unknowns")
        print(answers_text(args.name, args.student))
        return 0
    raise PracticalError(f"unknown action {args.action!r}; use 'list' or 'answers'")
