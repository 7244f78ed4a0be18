"""Export speed: vlab's CSV writer against numpy.savetxt writing the same rows.

A long gap-free recording (100 000 samples, 8 channels, 1 s at 10 us) is written once by
vlab (header, units, atomic write) and once by ``numpy.savetxt`` with the same number
format; the ratio is printed. Also times NPZ. Results: docs/performance.md.

Usage: ``.venv/bin/python bench/bench_export.py``
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from bench_engine import median_time  # bench/ is the script's folder

from vlab.recording import Sweep, write_csv
from vlab.recording.export_npz import write_npz


def main() -> None:
    n = 100_000
    t = np.arange(n) * 1e-5
    ch = {
        "Vm": -0.065 + 0.01 * np.sin(t * 300),
        "Im": 1e-9 * np.cos(t * 200),
        "command": np.zeros(n),
        "m": np.full(n, 0.05),
        "h": np.full(n, 0.6),
        "n": np.full(n, 0.32),
        "INa": np.full(n, -1e-9),
        "IK": np.full(n, 1e-9),
    }
    sweep = Sweep(0, 1e-5, ch, provenance={"mode": "IC"})
    rows = np.column_stack([np.zeros(n), t * 1e3] + list(ch.values()))
    fmt = ["%d", "%.10g"] + ["%.8g"] * len(ch)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        vlab_csv = median_time(lambda: write_csv([sweep], out / "a.csv", {}))
        baseline = median_time(lambda: np.savetxt(out / "b.csv", rows, fmt=fmt, delimiter=","))
        npz = median_time(lambda: write_npz([sweep], out / "c.npz", {}))
    print(
        f"CSV, 100k rows x 10 columns: vlab {vlab_csv * 1e3:.0f} ms, numpy.savetxt "
        f"{baseline * 1e3:.0f} ms, ratio {vlab_csv / baseline:.2f}"
    )
    print(f"NPZ, same sweep: vlab {npz * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
