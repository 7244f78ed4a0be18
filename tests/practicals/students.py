"""A student working through a practical correctly, for the practicals' tests."""

from __future__ import annotations

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
