"""Report figures are scaled to the evidence: a voltage-clamp current figure spans the
ionic current, not the capacitive transient after each command step; evidence says the
step it was recorded in."""

from __future__ import annotations

import re

import numpy as np
import pytest

from vlab.practicals import PracticalSession, load_practical, simulate_sweeps
from vlab.practicals.report import render_report, svg_trace, transient_masks, y_range

IONIC = ("INa", "IK", "IL", "ICl", "IM", "Ih")


def _answered(name: str, qid: str):
    p = load_practical(name)
    s = PracticalSession(p, "figure-student", autosave=False)
    step, _ = p.question(qid)
    i = p.step_index(step.id)
    s.go_to(i)
    sweeps = simulate_sweeps(s.preset(i), tag=s.recording_tag(i))
    assert s.check_recording(qid, sweeps).correct
    return s, i, sweeps


def _ticks(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'text-anchor="end" fill="#566074">([-0-9.e]+)<', svg)]


@pytest.mark.parametrize(
    ("name", "qid"),
    [
        ("ohm_driving_force", "record_leak"),  # small leak currents: 30x flattened before
        ("na_inactivation", "rec_recovery"),  # steps at a different time in every sweep
    ],
)
def test_vc_evidence_figure_spans_the_ionic_current_not_the_transient(name, qid):
    s, i, sweeps = _answered(name, qid)
    ev = s.progress.evidence[qid]
    assert ev["provenance"]["mode"] == "VC"
    family = [x for x in sweeps if x.index in ev["family"]["sweeps"]]
    ionic = np.concatenate([sum(x.channels[c] for c in IONIC) for x in family]) * 1e9
    im = np.concatenate([x.channels["Im"] for x in family]) * 1e9
    lo, hi = float(ionic.min()), float(ionic.max())
    span = hi - lo
    # the transient reaches far beyond the ionic current: a min..max figure is flattened
    assert max(im.max() - hi, lo - im.min()) > span
    page = render_report(s.progress, session=s)
    fig = page[page.index('<div class="fig">') :]
    first_svg = fig[: fig.index("</svg>")]
    ticks = _ticks(first_svg)
    assert len(ticks) >= 2
    # the axis covers the ionic current (ticks every <= span/2, so some lie inside) ...
    assert min(ticks) <= lo + 0.6 * span and max(ticks) >= hi - 0.6 * span
    # ... and does not reach out to the transients
    assert lo - 0.3 * span <= min(ticks) and max(ticks) <= hi + 0.3 * span


def test_transient_masks_follow_the_downsampling():
    """A 3000-sample trace with steps at 500 and 2500, shown as 300 min/max samples:
    only the bins holding the 0.1 ms after each step are left out."""
    dt, raw_n = 10e-6, 3000
    raw = np.zeros(raw_n)
    raw[500:510] = 1e4  # transient, 0.1 ms
    raw[2500:2510] = -1e4
    raw[520:540] = -50.0  # an early inward current right after the window
    shown = np.array(
        [[raw[a : a + 20].min(), raw[a : a + 20].max()] for a in range(0, 3000, 20)]
    ).ravel()
    (mask,) = transient_masks([shown], raw_n, [[500, 2500]], dt)
    assert mask.sum() == 4  # two bins of two samples
    assert y_range([shown], robust=True, exclude=[mask]) == (-50.0, 0.0)
    stride = raw[::10]
    (every,) = transient_masks([stride], raw_n, [[500, 2500]], dt, how="stride")
    assert y_range([stride], robust=True, exclude=[every]) == (-50.0, 0.0)
    svg = svg_trace([shown], raw_n * dt, "nA", 1.0, exclude=[mask])
    assert max(_ticks(svg)) < 100  # the 1e4 transient is clipped, not scaled to


def test_evidence_is_tied_to_its_step():
    s, i, _ = _answered("ohm_driving_force", "record_leak")
    step = s.practical.steps[i]
    page = render_report(s.progress, session=s)
    assert f"recorded in step {i + 1} ({step.title})" in page
    assert f"ohm_driving_force, step {step.id}" in page  # provenance table row
