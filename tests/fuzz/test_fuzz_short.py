"""The fuzz harness, short form: a few hundred seeded cases over every kind of file.

The long run (``.venv/bin/python tests/fuzz/fuzz_files.py --cases 10000``) is recorded in
docs/reliability.md.
"""

from __future__ import annotations

import fuzz_files


def test_short_fuzz_run_has_no_uncaught_errors_hangs_or_blowups():
    failures: list[str] = []
    counts = fuzz_files.run(cases=200, seed=20261202, seconds=20, report=failures.append)
    assert not failures, failures[0]
    for target, c in counts.items():
        assert sum(c.values()) >= 10, (target, c)
        assert c["uncaught"] == c["hang"] == c["memory"] == c["bad-message"] == 0, (target, c)
    refused = sum(c["refused"] for c in counts.values())
    loaded = sum(c["ok"] for c in counts.values())
    assert refused > 50 and loaded > 20, counts  # the mutations both break and keep files
