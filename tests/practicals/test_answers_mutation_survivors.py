"""Mutants of the answer keys (vlab/practicals/answers.py) that no test noticed
(docs/testing.md, mutation section). Expected values from formulas and the drug data
files (Kd), never from vlab's own output."""

from __future__ import annotations

import re

import pytest
from practical_toml import practical_toml

from vlab.practicals import PracticalError, load_practical
from vlab.practicals.answers import AnswerContext, evaluate
from vlab.practicals.loader import parse_practical

#: TTX's Kd on squid Na+ channels, nM (resources/drugs; Kd / (Kd + c) stays unblocked)
TTX_KD_NM = 5.1


def _partial(ttx_nm: float) -> AnswerContext:
    """ttx_driving_force's second step: TEA 50 mM and TTX (the unknown) in the bath."""
    p = load_practical("ttx_driving_force")
    (step,) = [s for s in p.steps if s.id == "partial"]
    (na_in,) = [u for u in p.unknowns if u.name == "Na_in"]
    return AnswerContext(p, step, {"ttx": ttx_nm * 1e-6, "Na_in": na_in.low})  # mM


def test_remaining_without_a_drug_named_compares_with_no_drug_at_all():
    """``remaining:CHANNEL,V`` (no DRUG): the peak with the step's drugs over the peak
    without any. TEA does not touch INa, so the Na+ current keeps the unblocked share
    Kd / (Kd + c) of TTX, the same as when only TTX is taken away."""
    ctx = _partial(2.0)
    expect = TTX_KD_NM / (TTX_KD_NM + 2.0)
    assert evaluate("remaining:INa,0 mV", ctx) == pytest.approx(expect, abs=0.005)
    assert evaluate("remaining:INa,0 mV,TTX", ctx) == pytest.approx(expect, abs=0.005)


def test_remaining_names_the_steps_drugs_when_the_drug_is_not_among_them():
    ctx = _partial(2.0)
    msg = (
        "answer 'remaining:Iion,0 mV,4-AP' in step 'partial' failed: "
        "remaining: '4-AP' is not among the step's drugs (TEA, TTX)"
    )
    with pytest.raises(PracticalError, match=f"^{re.escape(msg)}$"):
        evaluate("remaining:Iion,0 mV,4-AP", ctx)
    p = parse_practical(practical_toml("nodrug"), "nodrug.toml")
    ctx = AnswerContext(p, p.steps[0], {})
    msg = (
        "answer 'remaining:INa,0 mV,TTX' in step 'a' failed: "
        "remaining: 'TTX' is not among the step's drugs (none)"
    )
    with pytest.raises(PracticalError, match=f"^{re.escape(msg)}$"):
        evaluate("remaining:INa,0 mV,TTX", ctx)
