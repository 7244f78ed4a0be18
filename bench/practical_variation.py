"""How different are the students' keys? For every practical and typed question: the
share of student pairs whose keys differ by more than the question's tolerance.

A neighbour's answer is useless to copy when almost every pair differs beyond the
tolerance. Per practical it also copies whole answer sheets: for every ordered pair
(copier, source) of students, the source's keys are marked against the copier's, and the
script prints the share of pairs for which the copied sheet gets at least one, and at least
half, of the practical's variable typed questions wrong (those whose keys are not the same
for everyone). Run: ``.venv/bin/python bench/practical_variation.py [N_STUDENTS] [PRACTICAL ...]``
(default 20 students, 190 pairs, every practical; under a minute with a warm numba
cache). The figure in docs/practicals.md comes from this script.
"""

from __future__ import annotations

import itertools
import sys

from vlab.practicals import PracticalSession, builtin_practicals, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.session import tolerance_si


def class_of(n: int):
    """The figure's class pack and its n student IDs."""
    ids = [f"student-{k:03d}" for k in range(n)]
    return create_class("variation", ids, secret=b"variation-figure-secret-32bytes!").pack(), ids


def measure(name: str, n: int = 20, echo: bool = False):
    """One practical: rows ``(name, question, kind, share of pairs apart)`` per typed
    question, and the list of per-question "copied key wrong" flags over every ordered
    pair for its variable questions."""
    klass, ids = class_of(n)
    p = load_practical(name)
    sessions = [PracticalSession(p, s, klass=klass, autosave=False) for s in ids]
    rows, wrong_by_question = [], []
    for _, q in p.questions():
        if q.kind in ("recording", "text"):  # no key: a sweep, or the instructor marks it
            continue
        keys = [s.key(q.id) for s in sessions]
        pairs = list(itertools.combinations(keys, 2))
        if q.kind == "numeric":
            apart = sum(abs(a - b) > tolerance_si(q, a) for a, b in pairs)
        else:
            apart = sum(a != b for a, b in pairs)
        rows.append((name, q.id, q.kind, apart / len(pairs)))
        if echo:
            print(
                f"{name:18s} {q.id:18s} {q.kind:8s} {100 * apart / len(pairs):5.0f} %", flush=True
            )
        wrong = [copied_wrong(q, keys[i], keys[j]) for i, j in ordered(n)]
        if any(wrong):
            wrong_by_question.append(wrong)
    return rows, wrong_by_question


def main(n: int = 20, only: tuple[str, ...] = ()) -> int:
    rows = []
    sheets = []
    for name in sorted(only or builtin_practicals()):
        practical_rows, wrong_by_question = measure(name, n, echo=True)
        rows.extend(practical_rows)
        if wrong_by_question:
            sheets.append((name, len(wrong_by_question), copied_sheets(wrong_by_question)))
    numeric = [r for r in rows if r[2] == "numeric"]
    good = sum(r[3] >= 0.9 for r in numeric)
    print(
        f"\n{len(numeric)} typed questions; {good} ({100 * good / len(numeric):.0f} %) differ "
        f"beyond tolerance for at least 90 % of the {n * (n - 1) // 2} student pairs; "
        f"median share {100 * sorted(r[3] for r in numeric)[len(numeric) // 2]:.0f} %"
    )
    print(f"\ncopying a neighbour's whole sheet ({n * (n - 1)} ordered pairs):")
    print(f"{'practical':18s} variable  >=1 wrong  >=half wrong")
    for name, n_var, (one, half) in sheets:
        print(f"{name:18s} {n_var:8d} {100 * one:8.0f} % {100 * half:9.0f} %")
    at_90 = sum(half >= 0.9 for _, _, (_, half) in sheets)
    print(
        f"{at_90} of {len(sheets)} practicals with variable typed questions: a copied sheet "
        "gets at least half of them wrong for at least 90 % of pairs"
    )
    return 0


def ordered(n: int) -> list[tuple[int, int]]:
    """Every (copier, source) pair of n students."""
    return [(i, j) for i in range(n) for j in range(n) if i != j]


def copied_wrong(q, mine, theirs) -> bool:
    """Whether the source's key, typed by the copier, is marked wrong against the
    copier's key (numeric: outside the question's tolerance around the copier's key)."""
    if q.kind == "numeric":
        return bool(abs(theirs - mine) > tolerance_si(q, mine))
    return bool(theirs != mine)


def copied_sheets(wrong_by_question: list[list[bool]]) -> tuple[float, float]:
    """Shares of ordered pairs whose copied sheet has at least one, and at least half,
    of the variable questions wrong."""
    per_pair = [sum(col) for col in zip(*wrong_by_question, strict=True)]
    n_var = len(wrong_by_question)
    one = sum(w >= 1 for w in per_pair) / len(per_pair)
    half = sum(2 * w >= n_var for w in per_pair) / len(per_pair)
    return one, half


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, tuple(sys.argv[2:])))
