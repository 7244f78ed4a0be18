"""Axon recordings (Vm at places along the axon) reach every file format: an ABF or ATF of
an axon run used to hold only the stimulus current, silently dropping the recorded sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabf
import pytest

from vlab.cli import main

SITES = ["Vm@1cm", "Vm@3cm"]


@pytest.fixture(scope="module")
def axon_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("axon")
    for ext in ("csv", "abf"):
        args = ["run", "single_pulse", "--preparation", "squid_axon", "--record", ",".join(SITES)]
        assert main([*args, "--out", str(d / f"axon.{ext}")]) == 0
    return d


def test_abf_of_an_axon_run_holds_every_recorded_site(axon_files):
    abf = pyabf.ABF(str(axon_files / "axon.abf"))
    assert set(SITES) <= set(abf.adcNames)
    table = pd.read_csv(axon_files / "axon.csv", comment="#")
    for site in SITES:
        abf.setSweep(0, abf.adcNames.index(site))
        assert abf.adcUnits[abf.adcNames.index(site)] == "mV"
        csv_mv = table[f"{site}_mV"].to_numpy()
        assert len(abf.sweepY) == len(csv_mv)
        span = np.ptp(csv_mv)
        assert span > 80  # an action potential passed the site
        # ABF stores 16-bit integers: within 0.1 % of the sweep's range (issue 14)
        assert np.max(np.abs(abf.sweepY - csv_mv)) <= 1e-3 * span
