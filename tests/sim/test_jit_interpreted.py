"""While numba loads in its own thread (``vlab.sim.jit.load_in_background``, started by
the simulation thread so that the first live frame does not wait for it), the kernels
run as plain Python. They must give numba's numbers, bit for bit: runs before and after
the switch sit side by side in one recording.

Fresh processes: this one has numba in and the kernels resolved. numba's import is held
at a gate until the interpreted runs are done, so the order does not depend on timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

GATE = """
import threading
from vlab.sim import jit
gate = threading.Event()
import_numba = jit._import_numba
def held_import_numba():  # (a finder in sys.meta_path would hold every import: CPython
    gate.wait(60)  # calls finders under its global import lock) released by the test
    return import_numba()
jit._import_numba = held_import_numba
"""

SAME_NUMBERS = (
    GATE
    + """
import json, sys
import numpy as np
from vlab.protocols import load_protocol
from vlab.rig.axon_bench import AxonSetup, PulseStimulus, run_pulse
from vlab.sim import jit, kernel
from vlab.sim.cell import Cell
from vlab.sim.engine import run_protocol

def runs():
    out = {}
    for prep in ("squid", "mammalian", "myelinated_axon"):  # hh1952, traub (+M, H), crrss
        for name in ("threshold_search", "vc_step_family"):  # current and voltage clamp
            protocol = load_protocol(name)
            protocol = protocol.with_changes(sweeps=min(protocol.sweeps, 3))
            for drug in (None, "lidocaine"):  # the bound fraction's kernel
                cell = Cell(prep)
                if drug:
                    cell.set_drug(drug, 0.5)
                for var, x in run_protocol(cell, protocol).data.items():
                    out[f"{prep} {name} {drug} {var}"] = x
    axon = AxonSetup("squid_axon").build()  # the cable kernels
    sweep = run_pulse(axon, PulseStimulus(amplitude=1e-6, duration=1e-4, sweep=1e-3))
    out["axon"] = sweep.v
    return out

started = jit.load_in_background()
python = runs()
report = {"started": started, "numba_while_interpreted": "numba" in sys.modules}
gate.set()
jit._loader.join()
# the loader prepared the kernel for the argument types of its first call as Python
report["advance_prepared"] = len(kernel.advance.signatures)
report["rebound"] = type(kernel.advance).__module__.split(".")[0]
compiled = runs()
report["compared"] = len(python)
report["different"] = sorted(
    k for k in python if not np.array_equal(python[k], compiled[k], equal_nan=True)
)
report["axon_samples"] = int(python["axon"].size)
print(json.dumps(report))
"""
)


def _run(code: str) -> dict:
    env = dict(os.environ)
    env.pop("VLAB_NO_JIT", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_kernels_run_as_python_while_numba_loads_give_numbas_numbers_bit_for_bit():
    got = _run(SAME_NUMBERS)
    assert got["started"] is True
    assert got["numba_while_interpreted"] is False  # every run above was plain Python
    assert got["advance_prepared"] >= 1
    assert got["rebound"] == "numba"  # later calls go straight to the compiled kernel
    assert got["compared"] > 50 and got["axon_samples"] > 0
    assert got["different"] == []


FALLBACK = """
import json
import numpy as np
from vlab.sim import jit, kernel
from vlab.sim.cell import Cell

P = Cell("squid").kernel_params()
S0 = np.array([[-65.0, 0.05, 0.6, 0.32, 0.0, 0.0, 0.0]] * 2)
cmd = np.array([[-65.0, -20.0, -20.0], [-65.0, -20000.0, -20000.0]])  # sweep 2: absurd

resolved = []
resolve = jit._resolve
def counted(stub):
    resolved.append(stub.__name__)
    return resolve(stub)
jit._resolve = counted
jit._interpreting = True  # as while the loader thread runs (none here: nothing to race)
S, out = S0.copy(), np.zeros((2, kernel.N_REC, 2))
status = kernel.advance(kernel.MODE_VC, cmd, 0.025, 1, P, S, out, True)
jit._interpreting = False
S_ref, out_ref = S0.copy(), np.zeros((2, kernel.N_REC, 2))
status_ref = kernel.advance(kernel.MODE_VC, cmd, 0.025, 1, P, S_ref, out_ref, True)
print(json.dumps({
    "resolved": resolved,
    "status": list(status), "status_ref": list(status_ref),
    "same_state": bool(np.array_equal(S, S_ref, equal_nan=True)),
    "same_sweep_1": bool(np.array_equal(out[0], out_ref[0])),
}))
"""


def test_where_python_raises_and_numba_gives_inf_the_call_is_numbas():
    """At -20 V the rates' exponentials overflow: Python raises OverflowError, compiled
    (numpy error model) they are inf. The interpreted call's writes (the first sweep's
    state, advanced before the second sweep failed) are undone and the compiled kernel
    runs instead: the same state and status as the compiled kernel alone."""
    got = _run(FALLBACK)
    assert got["resolved"] == ["advance"]  # the fallback, once
    assert got["status"] == got["status_ref"]
    assert got["same_state"] and got["same_sweep_1"]
