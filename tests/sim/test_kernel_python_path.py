"""The uncompiled kernel (``VLAB_NO_JIT=1``, the fallback when numba cannot run) in a
subprocess: it must stay inside its arrays and give the physics of the compiled one.

numba does not check indices: a loop bound taken from the wrong axis of the command
array (``cmd.shape[1]`` sweeps) reads and writes past the arrays without an error, so
mutation testing found such bugs invisible to every test. Plain Python indexing raises
IndexError instead; two sweeps of a few samples cost milliseconds uncompiled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

_RUN = """
import json, numpy as np
from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane
from vlab.sim import jit
assert not jit.JIT_ENABLED
cell = Cell("squid")
mem = Membrane(cell, 2)
mem.reset(v0=-0.065)
cmd = np.array([[-0.065] * 31, [-0.065] + [-0.030] * 30])  # sweep 2 steps to -30 mV
vc = mem.advance("VC", cmd, 25e-6, ("Vm", "IL", "INa", "gNa"))
cc = Membrane(cell, 3)
cc.reset()
ic = cc.advance("CC", np.zeros((3, 41)), 25e-6, ("Vm", "IL"))
print(json.dumps({k: v.tolist() for k, v in vc.items()}
                 | {"cc_" + k: v.tolist() for k, v in ic.items()}))
"""


@pytest.fixture(scope="module")
def uncompiled() -> dict:
    env = dict(os.environ, VLAB_NO_JIT="1")
    done = subprocess.run(
        [sys.executable, "-c", _RUN], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {k: np.asarray(v) for k, v in json.loads(done.stdout).items()}


def test_every_sweep_and_sample_comes_back_with_the_shapes_asked_for(uncompiled):
    assert uncompiled["Vm"].shape == (2, 30)
    assert uncompiled["cc_Vm"].shape == (3, 40)


def test_the_uncompiled_leak_obeys_ohms_law_in_every_sweep(uncompiled):
    """IL = gL·area·(V − E_L) with the squid's gL 0.3 mS/cm² (3 S/m²), area 1e-7 m²,
    E_L −54.3 mV (Hodgkin & Huxley 1952), at each clamped V."""
    g = 3.0 * 1e-7
    v = uncompiled["Vm"]
    np.testing.assert_allclose(uncompiled["IL"], g * (v - (-0.0543)), rtol=1e-9, atol=1e-18)
    np.testing.assert_allclose(v[1], -0.030)  # the second sweep is clamped at its command
    # INa = gNa (V − E_Na), E_Na +50 mV: the recorded pair agrees sample by sample
    np.testing.assert_allclose(
        uncompiled["INa"], uncompiled["gNa"] * (v - 0.050), rtol=1e-9, atol=1e-18
    )


def test_sweeps_of_a_current_clamp_run_at_rest_stay_identical(uncompiled):
    vm = uncompiled["cc_Vm"]
    np.testing.assert_array_equal(vm[0], vm[1])
    np.testing.assert_array_equal(vm[1], vm[2])
