"""Cost of crash-recovery journaling per recorded sweep, against recording the sweep itself.

    .venv/bin/python bench/bench_journal.py

Records the sweeps of the vc_step_family protocol (every block variable, as the rig window
keeps them) and times, per sweep, (a) what the window already does — ``compact_sweep`` and
``Recording.append`` — and (b) the journal's ``state`` + ``sweep`` append. Prints both and
their ratio, and the journal's cost as a fraction of one 60 Hz frame (16.7 ms).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from vlab.protocols import load_protocol
from vlab.recording import Recording
from vlab.recording.budget import compact_sweep
from vlab.recording.journal import Journal
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator


def main(repeats: int = 20) -> None:
    rig = Rig("squid")
    protocol = load_protocol("vc_step_family")
    rig.set_protocol(protocol)
    sweeps = [b.record for b in RigSimulator(rig).run_episode(protocol) if b.record is not None]
    state = rig.state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        base, jour = [], []
        for _ in range(repeats):
            rec = Recording()
            journal = Journal(Path(tmp))
            for s in sweeps:
                t0 = time.perf_counter()
                c = compact_sweep(s)
                rec.append(c)
                t1 = time.perf_counter()
                journal.state(state)
                journal.sweep(c)
                t2 = time.perf_counter()
                base.append(t1 - t0)
                jour.append(t2 - t1)
            journal.close()
    nbytes = sum(a.nbytes for a in compact_sweep(sweeps[0]).channels.values())
    b, j = statistics.median(base), statistics.median(jour)
    print(
        f"sweep: {len(sweeps[0]['Vm'])} samples x {len(sweeps[0].channels)} channels, {nbytes} bytes"
    )
    print(f"record (compact + append): {b * 1e6:8.1f} us per sweep (median)")
    print(f"journal (state + sweep):   {j * 1e6:8.1f} us per sweep (median)")
    print(f"journal / record ratio:    {j / b:8.2f}")
    print(f"journal / 60 Hz frame:     {j / (1 / 60) * 100:8.3f} %")


if __name__ == "__main__":
    main()
