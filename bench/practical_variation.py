"""How different are the students' keys? For every practical and typed question: the
share of student pairs whose keys differ by more than the question's tolerance.

A neighbour's answer is useless to copy when almost every pair differs beyond the
tolerance. Run: ``.venv/bin/python bench/practical_variation.py [N_STUDENTS] [PRACTICAL ...]``
(default 20 students, 190 pairs, every practical; under a minute with a warm numba
cache). The figure in docs/practicals.md comes from this script.
"""

from __future__ import annotations

import itertools
import sys

from vlab.practicals import PracticalSession, builtin_practicals, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.session import tolerance_si


def main(n: int = 20, only: tuple[str, ...] = ()) -> int:
    ids = [f"student-{k:03d}" for k in range(n)]
    klass = create_class("variation", ids, secret=b"variation-figure-secret-32bytes!").pack()
    rows = []
    for name in sorted(only or builtin_practicals()):
        p = load_practical(name)
        sessions = [PracticalSession(p, s, klass=klass, autosave=False) for s in ids]
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
            print(
                f"{name:18s} {q.id:18s} {q.kind:8s} {100 * apart / len(pairs):5.0f} %", flush=True
            )
    numeric = [r for r in rows if r[2] == "numeric"]
    good = sum(r[3] >= 0.9 for r in numeric)
    print(
        f"\n{len(numeric)} typed questions; {good} ({100 * good / len(numeric):.0f} %) differ "
        f"beyond tolerance for at least 90 % of the {n * (n - 1) // 2} student pairs; "
        f"median share {100 * sorted(r[3] for r in numeric)[len(numeric) // 2]:.0f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, tuple(sys.argv[2:])))
