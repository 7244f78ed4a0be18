"""Fixtures for the recording tests: synthetic sweeps built by ``recording_factory``."""

from __future__ import annotations

import pytest
from recording_factory import make_sweep

from vlab.recording import Recording, Sweep


@pytest.fixture
def ic_sweeps() -> list[Sweep]:
    return [make_sweep(i, "IC") for i in range(3)]


@pytest.fixture
def vc_sweeps() -> list[Sweep]:
    return [make_sweep(i, "VC", run_id="run-2", label="TTX") for i in range(3)]


@pytest.fixture
def recording(ic_sweeps, vc_sweeps) -> Recording:
    return Recording(ic_sweeps + vc_sweeps, {"student": "Ada", "area_cm2": 1e-4})
