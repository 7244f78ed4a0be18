"""Shared fixtures: progress files go to a temporary folder, never the user's; and a
headless student who answers every question from the key and records with the engine."""

from __future__ import annotations

import pytest

from vlab.practicals import PracticalSession, simulate_sweeps
from vlab.practicals.session import format_answer


def typed_answer(session: PracticalSession, q) -> str:
    """What a student would type for the correct answer (number in the question's unit)."""
    value = session.key(q.id)
    if q.kind == "choice":
        return str(value)
    return format_answer(q, value).split()[0]


def complete(session: PracticalSession) -> list:
    """Work through every step like a student; returns every feedback."""
    feedback = []
    for i, step in enumerate(session.practical.steps):
        session.go_to(i)
        sweeps = None
        for q in step.questions:
            if q.kind == "recording":
                if sweeps is None:
                    sweeps = simulate_sweeps(session.preset(i), tag=session.recording_tag(i))
                feedback.append(session.check_recording(q.id, sweeps))
            elif q.kind == "text":
                feedback.append(session.submit(q.id, "Because the currents balance there."))
            else:
                feedback.append(session.submit(q.id, typed_answer(session, q)))
    return feedback


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VLAB_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.fixture
def headless_student():
    """``complete(session)``: work through every step with correct answers."""
    return complete
