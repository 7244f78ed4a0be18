"""Greek mu (U+03BC) is accepted wherever the micro sign (U+00B5) or 'u' is (issue 11)."""

from __future__ import annotations

import pytest

from vlab.units import parse_quantity


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        ("10 \u03bcA/cm2", "current_density", 0.1),
        ("1 \u03bcF/cm2", "capacitance_density", 0.01),
        ("25 \u03bcs", "time", 25e-6),
        ("3 \u03bcM", "concentration", 3e-3),
    ],
)
def test_greek_mu_equals_micro_sign_and_u(text, dimension, si):
    greek = parse_quantity(text, dimension)
    micro = parse_quantity(text.replace("\u03bc", "\u00b5"), dimension)
    ascii_u = parse_quantity(text.replace("\u03bc", "u"), dimension)
    assert greek.value == micro.value == ascii_u.value == pytest.approx(si)
