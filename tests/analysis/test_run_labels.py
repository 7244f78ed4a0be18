"""Runs are labelled by what differed about the cell (docstring of vlab.analysis.runs):
drugs at the cell, concentrations away from the preparation's defaults, the clamp mode,
the protocol and the Repeat cycle. Expected labels are written out by hand from that format."""

from __future__ import annotations

import numpy as np

from vlab.analysis.runs import CONTROL, condition_of, group_runs
from vlab.recording import Sweep

SQUID = {"squid": {"K_out": 10.0, "Na_out": 440.0}}


def _sweep(run_id="r1", **prov) -> Sweep:
    p = {"run_id": run_id, "mode": "VC", "protocol_name": "Voltage-step family", **prov}
    return Sweep(index=0, dt=1e-4, channels={"Im": np.zeros(4)}, provenance=p)


def test_a_drug_that_blocks_is_named_with_its_concentration():
    s = _sweep(drugs={"TEA": {"concentration_M": 0.01, "fraction_blocked": 0.9}})
    assert condition_of(s) == "TEA 10 mM"


def test_a_washed_out_drug_is_control():
    s = _sweep(drugs={"TTX": {"concentration_M": 1e-12, "fraction_blocked": 0.001}})
    assert condition_of(s) == CONTROL


def test_changed_concentrations_are_named_against_the_preparations_defaults():
    s = _sweep(preparation="squid", concentrations={"K_out": 100.0, "Na_out": 440.0})
    (run,) = group_runs([s], defaults=SQUID)
    assert run.condition == "K_out 100 mM"
    assert run.title == "Run 1 · VC · Voltage-step family · K_out 100 mM"


def test_repeat_cycles_and_modes_are_in_the_title():
    a = _sweep(repeat=True, cycle=0, mode="CC")
    b = _sweep(repeat=True, cycle=2, mode="CC")
    runs = group_runs([a, b])
    assert [r.title for r in runs] == [
        "Run 1 (repeat 1) · CC · Voltage-step family · control",
        "Run 2 (repeat 3) · CC · Voltage-step family · control",
    ]
    (single,) = group_runs([_sweep(run_id="r9", mode=None)])
    assert single.title.startswith("Run 1 · ") and single.repeat_cycle is None
