"""Mutants of the answer keys (vlab/practicals/answers.py) that no test noticed
(docs/testing.md, mutation section). Expected values from formulas and the drug data
files (Kd), never from vlab's own output."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from practical_toml import practical_toml

from vlab.practicals import PracticalError, load_practical
from vlab.practicals.answers import AnswerContext, evaluate, parse_call
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


# ------------------------------------------------ the squid spike against NEURON's run
#: NEURON 9's HH membrane, 1 ms pulse of 10 uA/cm2 at 5 ms, 6.3 degC (the squid
#: preparation with single_pulse; tests/data/neuron_reference/README.md)
NEURON_PULSE = (
    Path(__file__).resolve().parents[1] / "data" / "neuron_reference" / "nrn_a_pulse10_trace.csv"
)
E_NA_MV, E_K_MV = 50.0, -77.0  # HH 1952, as in NEURON's hh


def _neuron_trace() -> dict[str, np.ndarray]:
    with NEURON_PULSE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def _neuron_point(phase: str, v_mv: float) -> dict[str, float]:
    """NEURON's currents (mA/cm2) and conductances where its spike passes ``v_mv``."""
    d = _neuron_trace()
    v, k = d["v_mV"], int(np.argmax(d["v_mV"]))
    if phase == "rising":
        i = int(np.nonzero((v[:k] < v_mv) & (v[1 : k + 1] >= v_mv))[0][-1] + 1)
    else:
        i = int(k + np.nonzero((v[k:-1] > v_mv) & (v[k + 1 :] <= v_mv))[0][0] + 1)
    ina, ik, il = d["ina_mA_cm2"][i], d["ik_mA_cm2"][i], d["il_mA_cm2"][i]
    return {
        "net": ina + ik + il,
        "INa": ina,
        "IK": ik,
        "gNa": ina / (v[i] - E_NA_MV),
        "gK": ik / (v[i] - E_K_MV),
    }


def _squid_pulse() -> AnswerContext:
    p = parse_practical(practical_toml("pulse"), "pulse.toml")  # squid, CC, single_pulse
    return AnswerContext(p, p.steps[0], {})


@pytest.mark.parametrize(("phase", "v_mv"), [("rising", 0.0), ("falling", -60.0)])
def test_the_spikes_choice_keys_agree_with_neuron(phase, v_mv):
    """Which way the net current flows, and which current and conductance is larger,
    where the spike passes 0 mV rising (Na+ wins) and -60 mV falling (K+ wins)."""
    ref = _neuron_point(phase, v_mv)
    ctx, at = _squid_pulse(), f"{phase},{v_mv:g} mV"
    assert evaluate(f"net_current_direction:{at}", ctx) == (
        "outward" if ref["net"] > 0 else "inward"
    )
    assert evaluate(f"larger_current:{at}", ctx) == (
        "INa" if abs(ref["INa"]) > abs(ref["IK"]) else "IK"
    )
    assert evaluate(f"larger_conductance:{at}", ctx) == ("gNa" if ref["gNa"] > ref["gK"] else "gK")


def test_the_spike_fires_once_and_undershoots_as_in_neuron():
    d = _neuron_trace()
    v, k = d["v_mV"], int(np.argmax(d["v_mV"]))
    ctx = _squid_pulse()
    assert evaluate("fires", ctx) == "yes"
    n_neuron = int(np.sum((v[:-1] < 0) & (v[1:] >= 0)))
    assert n_neuron == 1 and evaluate("spike_count", ctx) == n_neuron
    assert evaluate("spike:ahp", ctx) * 1e3 == pytest.approx(v[k:].min(), abs=0.3)
    # the same cell with no stimulus (gap-free) rests where it started: no spike
    assert evaluate("fires:gap_free", ctx) == "no"


def test_rest_lies_closer_to_e_k_and_the_k_current_flows_out_at_rest():
    """NEURON's resting membrane (-65 mV): E_K -77 mV is nearer than E_Na +50 mV, and
    IK = gK (V - E_K) > 0 (outward)."""
    d = _neuron_trace()
    assert abs(d["v_mV"][0] - E_K_MV) < abs(d["v_mV"][0] - E_NA_MV) and d["ik_mA_cm2"][0] > 0
    ctx = _squid_pulse()
    assert evaluate("closer:K,Na", ctx) == evaluate("closer:Na,K", ctx) == "K"
    assert evaluate("current_direction:K", ctx) == "outward"


# ---------------------------------------------------------------- gate time constants
def _hh_tau_n_ms(v_mv: float) -> float:
    """HH 1952 n gate at 6.3 degC: tau = 1 / (alpha + beta), ms."""
    a = 0.01 * (v_mv + 55.0) / (1.0 - math.exp(-(v_mv + 55.0) / 10.0))
    b = 0.125 * math.exp(-(v_mv + 65.0) / 80.0)
    return 1.0 / (a + b)


def test_a_gate_time_constant_is_read_at_the_protocols_step_or_refused():
    """vc_step_family steps from -100 to +60 mV by 10 mV: +10 mV is a step (within
    0.5 mV: +9.8 mV too), +7 mV is not."""
    p = parse_practical(
        practical_toml("vc", preset={"mode": "VC", "protocol": "vc_step_family"}), "vc.toml"
    )
    ctx = AnswerContext(p, p.steps[0], {})
    tau = _hh_tau_n_ms(10.0) * 1e-3  # 1.429 ms
    assert evaluate("gate_tau:n,10 mV", ctx) == pytest.approx(tau, rel=0.01)
    assert evaluate("gate_tau:n,9.8 mV", ctx) == pytest.approx(tau, rel=0.01)
    with pytest.raises(PracticalError, match=r"has no step to 7 mV$"):
        evaluate("gate_tau:n,7 mV", ctx)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("nernst", "answer function 'nernst' takes ION (1..1 arguments), got 0: 'nernst'"),
        ("rest:x", "answer function 'rest' takes no arguments (0..0 arguments), got 1: 'rest:x'"),
    ],
)
def test_a_call_with_the_wrong_arguments_shows_the_signature(call, message):
    with pytest.raises(PracticalError, match=f"^{re.escape(message)}$"):
        parse_call(call)


def _vc_family() -> AnswerContext:
    p = parse_practical(
        practical_toml("vc", preset={"mode": "VC", "protocol": "vc_step_family"}), "vc.toml"
    )
    return AnswerContext(p, p.steps[0], {})


def test_an_unknown_ion_and_an_empty_voltage_range_are_named_for_the_author():
    with pytest.raises(PracticalError, match=r"failed: unknown ion 'Xx'; allowed: .+, L \(leak\)$"):
        evaluate("nernst:Xx", _squid_pulse())
    # vc_step_family steps from -100 mV: only one point at or below -95 mV
    msg = "fewer than 2 I-V points between -inf and -95 mV"
    with pytest.raises(PracticalError, match=f"failed: {re.escape(msg)}$"):
        evaluate("iv_slope:IL,steady,,,-95 mV", _vc_family())
