"""Memory that saving, exporting and reopening a large recording needs beyond its data.

Builds a recording as the rig window stores it (float32 sweeps, 3 channels of 30,000
samples: Vm, Im and the command), then writes it in each format and reopens the ``.vlab``,
each under ``tracemalloc`` (numpy reports its buffers to it). Prints the peak of traced
memory during each step, also as a multiple of the recording's data, and what was still
allocated afterwards (a first NWB export loads pynwb's namespaces once, ~47 MiB).

Usage::

    .venv/bin/python bench/export_memory.py                       # 100 sweeps, 34 MiB
    .venv/bin/python bench/export_memory.py --sweeps 250 --formats atf,abf,reopen

Figures: docs/reliability.md ("Flat memory"). The suite's short form is
tests/recording/test_export_memory.py.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc

import numpy as np

from vlab.recording.budget import compact_sweep
from vlab.recording.export import export_sweeps
from vlab.recording.model import Recording, Sweep
from vlab.recording.session import load_session

FORMATS = ["vlab", "npz", "abf", "atf", "nwb", "reopen"]  # csv too on request (slow)


def recording(n_sweeps: int, samples: int = 30_000) -> Recording:
    rng = np.random.default_rng(0)
    sweeps = []
    for k in range(n_sweeps):
        channels = {
            "Vm": -0.065 + 1e-3 * rng.standard_normal(samples),
            "Im": 1e-10 * rng.standard_normal(samples),
            "command": np.full(samples, -0.065),
        }
        sweep = Sweep(k, 2e-5, channels, provenance={"mode": "current_clamp", "repeat": True})
        sweeps.append(compact_sweep(sweep, kept=True))
    return Recording(sweeps)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=100)
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated; 'reopen'")
    args = ap.parse_args()
    rec = recording(args.sweeps)
    data = sum(a.nbytes for s in rec.sweeps for a in s.channels.values())
    print(f"{args.sweeps} sweeps, data {data / 2**20:.1f} MiB")
    folder = tempfile.mkdtemp(prefix="vlab-export-memory-")
    saved = os.path.join(folder, "x.vlab")
    for fmt in args.formats.split(","):
        if fmt == "reopen" and not os.path.exists(saved):
            export_sweeps(rec, saved)
        tracemalloc.start()
        t = time.perf_counter()
        if fmt == "reopen":
            result = load_session(saved, progress=lambda f: None)
        else:
            result = export_sweeps(rec, os.path.join(folder, "x." + fmt), progress=lambda f: None)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del result
        print(
            f"{fmt:7s} peak {peak / 2**20:7.1f} MiB ({peak / data:4.2f}x the data), "
            f"{current / 2**20:6.1f} MiB held after, {time.perf_counter() - t:5.1f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
