"""Shared fixtures: progress files go to a temporary folder, never the user's; and a
headless student who answers every question from the key and records with the engine."""

from __future__ import annotations

import pytest
from students import complete


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VLAB_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.fixture
def headless_student():
    """``complete(session)``: work through every step with correct answers."""
    return complete
