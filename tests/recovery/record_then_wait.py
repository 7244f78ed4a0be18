"""Child process of the kill -9 test: records sweeps into a recovery journal, forever.

After each sweep is journaled it prints ``<index> <sha256 of the Vm bytes>``; the test kills
it with SIGKILL after a few lines, mid-recording.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from vlab.protocols import load_protocol
from vlab.recording.budget import compact_sweep
from vlab.recording.journal import Journal
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

rig = Rig("squid")
protocol = load_protocol("vc_step_family")
rig.set_protocol(protocol)
journal = Journal(Path(sys.argv[1]))
journal.state(rig.state_dict())
sim = RigSimulator(rig)
n = 0
while True:
    for block in sim.run_episode(protocol):
        if block.record is None:
            continue
        sweep = compact_sweep(block.record)
        journal.sweep(sweep)
        digest = hashlib.sha256(sweep["Vm"].tobytes()).hexdigest()
        print(n, digest, flush=True)
        n += 1
