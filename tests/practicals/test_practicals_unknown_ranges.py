"""Per-student unknowns stay physically sensible: at every corner of a practical's
unknown ranges each step's cell still has a stable resting state (it does not fire on
its own), so widening an unknown for variety cannot hand a student a broken cell."""

from __future__ import annotations

import itertools

import pytest

from vlab.practicals import builtin_practicals, load_practical
from vlab.practicals.rigsetup import build_cell, resolved


def _corners(practical):
    ranges = [u for u in practical.unknowns if u.kind == "range"]
    choices = {u.name: u.options[0] for u in practical.unknowns if u.kind == "choice"}
    for ends in itertools.product(*[(u.low, u.high) for u in ranges]):
        yield {**choices, **{u.name: x for u, x in zip(ranges, ends, strict=True)}}


@pytest.mark.parametrize("name", sorted(builtin_practicals()))
def test_every_corner_of_the_unknowns_gives_a_stable_rest(name):
    p = load_practical(name)
    for unknowns in _corners(p):
        for step in p.steps:
            preset = resolved(step.preset, p, unknowns)
            if "drug_names" in preset.locked or preset.drugs:
                continue  # drugs that take away the stable rest are part of those steps
            assert build_cell(preset).rest().stable, (name, step.id, unknowns)


@pytest.mark.parametrize(
    ("step", "spacing"), [(0.0, "linear"), (0.5, "linear"), (0.0, "log")], ids=str
)
def test_draws_stay_in_the_declared_range_and_fill_it(step, spacing):
    """Every student's value lies in [low, high] and 200 students reach both ends of it
    (a draw outside the range would give a cell the practical's author never checked)."""
    from vlab.practicals.model import Unknown
    from vlab.practicals.unknowns import draw_unknown, practice_seed

    u = Unknown(name="x", kind="range", low=2.0, high=12.0, step=step, spacing=spacing)
    values = [draw_unknown("p", u, practice_seed(f"s{k}")) for k in range(200)]
    assert all(2.0 <= v <= 12.0 for v in values)
    assert min(values) < 2.5 and max(values) > 11.0
    if step:
        assert all((v - 2.0) / 0.5 == pytest.approx(round((v - 2.0) / 0.5)) for v in values)


def test_every_spike_anatomy_axon_fires_once_and_peaks_after_the_pulse():
    """spike_anatomy's personal internal Na+ and temperature: at every corner the single
    pulse fires exactly one spike (its recording question asks for one), and the spike
    peaks after the 1 ms pulse has ended, as its text says ("the pulse is over", so the
    net ionic current is zero at the peak), below a personal E_Na."""
    import numpy as np

    from vlab.practicals.answers import AnswerContext, _spikes

    p = load_practical("spike_anatomy")
    for unknowns in _corners(p):
        ctx = AnswerContext(p, p.steps[0], unknowns)
        cell = ctx.cell()
        res = ctx.run()
        assert len(_spikes(res, cell)[0]) == 1, unknowns
        v = res.data["Vm"][0]
        assert res.t[int(np.argmax(v))] > 6e-3, unknowns  # pulse: 5 to 6 ms
        assert v.max() < cell.reversal("Na"), unknowns


@pytest.mark.parametrize("name", sorted(builtin_practicals()))
def test_a_rest_read_in_i0_is_not_preceded_by_a_spike(name):
    """A step that records in I=0 (to read the resting potential) shows no spike at any
    corner of the unknowns: the cell starts at the preparation's v_init and settles to
    its own rest without firing (a start-up spike would be read as part of the rest)."""
    from vlab.practicals.answers import AnswerContext

    p = load_practical(name)
    for unknowns in _corners(p):
        for step in p.steps:
            preset = resolved(step.preset, p, unknowns)
            if preset.mode != "I=0" or preset.drugs or not preset.protocol:
                continue
            v = AnswerContext(p, step, unknowns).run().data["Vm"]
            assert v.max() < -0.02, (name, step.id, unknowns, v.max())


@pytest.mark.parametrize(
    ("name", "step", "qid"), [("spike_anatomy", 0, "peak"), ("temperature", 1, "peak_warm")]
)
def test_the_locked_filter_keeps_the_peak_on_the_scope_within_tolerance(name, step, qid):
    """A spike's peak is read on the scope, behind the 10 kHz filter the step locks: at
    every corner of the unknowns the filtered peak, read to 0.1 mV, still lies within the
    question's tolerance of the key (the filter lowers a 24 degC spike by 0.9 mV)."""
    import numpy as np

    from vlab.practicals import PracticalSession
    from vlab.practicals.answers import AnswerContext
    from vlab.practicals.rigsetup import filter_hz
    from vlab.practicals.session import tolerance_si
    from vlab.rig.simulator import _OutputStage

    p = load_practical(name)
    _, q = p.question(qid)
    cutoff = filter_hz(p.steps[step].preset.filter)
    assert cutoff == 10_000.0
    for unknowns in _corners(p):
        res = AnswerContext(p, p.steps[step], unknowns).run()
        v = res.data["Vm"][0]
        shown = _OutputStage(1.0).process(v, float(res.t[1] - res.t[0]), cutoff, 0.0)
        s = PracticalSession(p, "corner", autosave=False)
        s.unknowns = unknowns
        key = float(s.key(qid))
        assert abs(np.max(shown) - key) + 1e-4 <= tolerance_si(q, key), (unknowns, np.max(shown))


@pytest.mark.parametrize("na_in", [8.0, 120.0])
def test_the_iv_reversal_a_student_reads_lies_within_a_third_of_the_tolerance(na_in):
    """ttx_driving_force's reversal potentials are read to 2 mV: the rig records each
    family (capacitive transients, the 10 kHz filter, the digitiser) and the analysis
    window's I-V of those recordings crosses zero within 0.6 mV of the key, for the
    lowest and highest E_Na and the most TTX."""
    from vlab.analysis.family import compute_iv
    from vlab.practicals import PracticalSession
    from vlab.practicals.rigsetup import apply_preset
    from vlab.practicals.session import tolerance_si
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    p = load_practical("ttx_driving_force")
    unknowns = {"ttx": p.unknown("ttx").high, "Na_in": na_in}
    s = PracticalSession(p, "corner", autosave=False)
    s.unknowns = unknowns
    for index, qid in ((0, "e_control"), (1, "e_ttx")):
        rig = Rig()
        apply_preset(rig, resolved(p.steps[index].preset, p, unknowns))
        rig.set_filter(10_000.0)
        blocks = RigSimulator(rig).run_episode()
        iv = compute_iv([b.record for b in blocks if b.sweep_done], None, "peak")
        key = float(s.key(qid))
        _, q = p.question(qid)
        assert abs(iv.reversal.e_rev - key) <= tolerance_si(q, key) / 3, (qid, iv.reversal, key)
