"""Every answer function takes exactly the arguments its documented signature shows.

The signature text (``vlab practical answers`` prints it for practical authors) is the
reference: names outside brackets are required, bracketed ones optional. One argument
more or fewer must be refused with the one-line message, never reach the function.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from vlab.practicals.answers import REGISTRY, parse_call
from vlab.practicals.errors import PracticalError


def _arity(signature: str) -> tuple[int, int]:
    names = re.findall(r"[A-Z_]+", signature)
    optional = re.findall(r"[A-Z_]+", "".join(re.findall(r"\[.*\]", signature)))
    return len(names) - len(optional), len(names)


def test_the_arity_rule_reads_signatures():
    assert _arity("CHANNEL,KIND[,PROTOCOL[,VMIN,VMAX]]") == (2, 5)
    assert _arity("[PROTOCOL]") == (0, 1)
    assert _arity("") == (0, 0)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_answer_function_takes_what_its_signature_shows(name):
    low, high = _arity(REGISTRY[name].signature)
    for n in (low, high):
        args = ",".join(["x"] * n)
        assert parse_call(f"{name}:{args}" if n else name) == (name, ["x"] * n)
    with pytest.raises(PracticalError, match=r"arguments\), got"):
        parse_call(f"{name}:" + ",".join(["x"] * (high + 1)))
    if low:
        with pytest.raises(PracticalError, match=r"arguments\), got"):
            parse_call(f"{name}:" + ",".join(["x"] * (low - 1)) if low > 1 else name)


def test_iv_line_fits_the_points_from_vmin_to_vmax_inclusive(monkeypatch):
    """VMIN and VMAX are the first and last I-V points of the fit (both ends kept).

    Points on I = g(V - E) (g = 2 nS, E = -70 mV) except +d at VMAX = -20 mV: the least-
    squares slope over x = -60, -40, -20 mV is g + d (x3 - mean x) / sum (x - mean x)^2
    = g + d * 0.02 / 0.0008 = g + 25 d. A point far off the line beyond VMAX is left out.
    """
    from vlab.practicals import answers

    v = np.array([-0.080, -0.060, -0.040, -0.020, 0.0])
    i = 2e-9 * (v + 0.070)
    d = 1e-10
    i[3] += d
    i[4] += 5e-9
    monkeypatch.setattr(answers, "_iv", lambda *a, **k: (v, i))
    slope, _ = answers._line(None, "Iion", "steady", "", "-60 mV", "-20 mV")
    assert slope == pytest.approx(2e-9 + 25 * d, rel=1e-9)
    with pytest.raises(PracticalError, match="fewer than 2 I-V points"):
        answers._line(None, "Iion", "steady", "", "-50 mV", "-45 mV")
