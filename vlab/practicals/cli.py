"""``vlab practical list | answers | class | grade``.

- ``list``: the practicals;
- ``class CLASS_ID --roster FILE``: a new class (instructor file with the secret, and the
  students' pack), see :mod:`vlab.practicals.classes`;
- ``answers NAME --class CLASS.instructor.toml [--student ID]``: answer keys (one student,
  or the whole roster); refused without the instructor's class file;
- ``grade --class CLASS.instructor.toml REPORTS_DIR [--out CSV]``: the gradebook
  (:mod:`vlab.practicals.grade`).

``vlab.cli`` builds the parser with :func:`add_arguments` and calls :func:`run`; bad input
raises ``ValueError`` (:class:`~vlab.practicals.errors.PracticalError`) with a one-line
message, which the CLI prints before exiting with status 2.
"""

from __future__ import annotations

from vlab.practicals.errors import PracticalError

__all__ = ["add_arguments", "answers_text", "list_text", "run"]

ACTIONS = ("list", "answers", "class", "grade")


def add_arguments(parser) -> None:
    """The sub-commands of ``vlab practical`` (on an argparse sub-parser)."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="the practicals")
    an = sub.add_parser("answers", help="answer keys (needs the instructor's class file)")
    an.add_argument("name", nargs="?", help="practical")
    an.add_argument("--student", default="", help="one student's ID (default: the roster)")
    cl = sub.add_parser("class", help="create a class: instructor file + students' pack")
    cl.add_argument("name", nargs="?", help="class ID")
    cl.add_argument("--roster", default="", help="text/CSV file of student IDs")
    cl.add_argument("--students", default="", help="comma-separated student IDs")
    cl.add_argument("--title", default="", help="a title shown to students")
    cl.add_argument("--practice", action="store_true", help="practice mode instead of graded")
    cl.add_argument("--attempts", type=int, default=3, help="attempts per typed answer")
    cl.add_argument(
        "--choice-attempts", type=int, default=1, help="attempts per multiple-choice answer"
    )
    cl.add_argument("--practicals", default="", help="comma-separated practicals (default all)")
    cl.add_argument("--out", default="", help="folder for the two files (default: here)")
    gr = sub.add_parser("grade", help="re-check a folder of reports into a gradebook CSV")
    gr.add_argument("name", nargs="?", help="folder of reports")
    gr.add_argument("--out", default="", help="gradebook CSV (default REPORTS_DIR/gradebook.csv)")
    for p in (an, gr):
        p.add_argument(
            "--class", dest="class_file", default="", help="the instructor's CLASS.instructor.toml"
        )


def list_text() -> str:
    """One line per practical (built-in and the user's own): name, title, size; then
    every file that cannot be used, with the reason."""
    from vlab.practicals.loader import (
        available_practicals,
        load_practical,
        practical_problems,
        unstable_steps,
        user_practicals,
    )

    problems = practical_problems()
    mine = user_practicals()
    practicals = [load_practical(p) for n, p in available_practicals().items() if n not in problems]
    practicals.sort(key=lambda p: (p.order, p.name))
    width = max((len(p.name) for p in practicals), default=4)
    lines = []
    for p in practicals:
        n_q = len(p.questions())
        lines.append(
            f"{p.name:<{width}}  {p.title}  ({len(p.steps)} steps, {n_q} questions, ~{p.minutes} min)"
        )
        if p.name in mine:
            lines[-1] += "  [yours]"
        for sid in unstable_steps(p):
            lines.append(
                f"  warning: in step {sid!r} the cell has no stable rest (it fires on its own)"
            )
    lines += [f"cannot be used: {n}: {why}" for n, why in problems.items()]
    return "\n".join(lines)


def answers_text(name: str, student_id: str, klass) -> str:
    """The instructor's key for one student of ``klass`` (an
    :class:`~vlab.practicals.classes.InstructorClass`): unknowns, then every answer by step."""
    from vlab.practicals.loader import load_practical
    from vlab.practicals.session import answer_key, format_answer, tolerance_si
    from vlab.practicals.unknowns import draw_unknowns, format_unknown

    p = load_practical(name)
    seed = klass.seed_for(student_id)
    key = answer_key(p, student_id, seed)
    out = [f"{p.title} ({p.name}) - answer key for student {student_id!r}, class {klass.class_id}"]
    unknowns = draw_unknowns(p, student_id, seed)
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
            elif q.kind == "text":
                out.append(f"  {q.id}: free text, to mark by instructor")
            else:
                out.append(f"  {q.id}: record {'; '.join(q.require)}")
    return "\n".join(out)


def _instructor_class(args, action: str):
    from vlab.practicals.classes import load_class

    usage = {
        "answers": "vlab practical answers NAME --class CLASS.instructor.toml [--student ID]",
        "grade": "vlab practical grade --class CLASS.instructor.toml REPORTS_DIR",
    }[action]
    if not getattr(args, "class_file", ""):
        raise PracticalError(
            f"this needs the class secret: {usage} (make a class with 'vlab practical class')"
        )
    klass = load_class(args.class_file)
    if not klass.has_secret:
        raise PracticalError(
            f"{args.class_file} is the students' class pack, which holds no secret: "
            f"{action} needs the instructor's file ({klass.class_id}.instructor.toml)"
        )
    return klass


def _class(args) -> int:
    from pathlib import Path

    from vlab.practicals.classes import create_class, read_roster, write_class_files
    from vlab.practicals.loader import load_practical

    if not args.name:
        raise PracticalError(
            "which class? usage: vlab practical class CLASS_ID --roster FILE [--out FOLDER]"
        )
    ids = read_roster(args.roster) if args.roster else []
    ids += [s for s in args.students.split(",") if s.strip()]
    practicals = [p.strip() for p in args.practicals.split(",") if p.strip()]
    for p in practicals:
        load_practical(p)  # an unknown name stops here with a clear message
    c = create_class(
        args.name,
        ids,
        title=args.title,
        graded=not args.practice,
        attempts=args.attempts,
        choice_attempts=args.choice_attempts,
        practicals=practicals,
    )
    out = Path(args.out or ".")
    if not out.is_dir():
        raise PracticalError(f"{out}: no such folder")
    inst, pack = write_class_files(c, out)
    mode = "practice" if args.practice else f"graded, {c.attempts} attempt(s) per typed answer"
    print(f"class {c.class_id}: {len(c.roster)} students, {mode}")
    print(f"instructor file (keep private, it holds the secret): {inst}")
    print(f"students' pack (hand out): {pack}")
    return 0


def _grade(args) -> int:
    from pathlib import Path

    from vlab.practicals.fileio import write_text_atomic
    from vlab.practicals.grade import grade_folder, gradebook_csv

    klass = _instructor_class(args, "grade")
    if not args.name:
        raise PracticalError(
            "which folder? usage: vlab practical grade --class CLASS.instructor.toml REPORTS_DIR"
        )
    reports = grade_folder(klass, args.name)
    out = Path(args.out) if args.out else Path(args.name) / "gradebook.csv"
    write_text_atomic(out, gradebook_csv(reports, klass), shared=True)
    flagged = sum(1 for r in reports if r.flags)
    print(f"{len(reports)} report(s) graded, {flagged} flagged; gradebook: {out}")
    return 0


def run(args) -> int:
    """Entry point used by ``vlab.cli`` (see the module docstring for the actions)."""
    if args.action == "list":
        print(list_text())
        return 0
    if args.action == "class":
        return _class(args)
    if args.action == "grade":
        return _grade(args)
    if args.action == "answers":
        klass = _instructor_class(args, "answers")
        if not args.name:
            raise PracticalError(
                "which practical? usage: vlab practical answers NAME --class "
                "CLASS.instructor.toml [--student ID]"
            )
        student = str(args.student or "").strip()
        for sid in [student] if student else klass.roster:
            print(answers_text(args.name, sid, klass))
        return 0
    raise PracticalError(f"unknown action {args.action!r}; use {', '.join(ACTIONS)}")
