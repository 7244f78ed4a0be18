"""Keys you can trust, for the practicals on gate kinetics, current balance and
propagation (time_scales, threshold_peak, axon_propagation): the two students and the
class of ``test_practicals_trusted_keys``, expected values derived without vlab's engine:

- ``time_scales``: Hodgkin & Huxley's (1952) rate equations, tau = 1 / (phi (alpha + beta))
  with phi = 3 ** ((T - 6.3 degC) / 10 degC);
- ``threshold_peak``: HH's equations integrated here with SciPy (``solve_ivp``, tight
  tolerances) for the 10 uA/cm2 1 ms pulse at the student's temperature (E's pinned as in
  HH 1952), checked first against NEURON's ``hh`` at 6.3 degC (``tests/data``);
- ``axon_propagation``: HH's computed velocity of the 476 um axon at 18.5 degC (18.8 m/s)
  scaled by the square root of the diameter (Rushton 1951; cable theory), travel times
  from distance over velocity, collision at the midpoint of two simultaneous stimuli.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from vlab.practicals import PracticalSession, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.session import tolerance_si

#: the class and students of test_practicals_trusted_keys.py (same fixed secret)
SECRET = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
CLASS = create_class("trusted-keys", ["alpha-01", "gamma-01"], secret=SECRET)
STUDENTS = ("alpha-01", "gamma-01")
DATA = Path(__file__).resolve().parents[1] / "data" / "neuron_reference"

#: HH (1952): mS/cm2 and mV; squid patch of 0.001 cm2, 1 uF/cm2
G_NA, G_K, G_L = 120.0, 36.0, 0.3
E_NA, E_K, E_L = 50.0, -77.0, -54.3
AREA_CM2 = 1e-3
#: HH (1952): computed conduction velocity of their 476 um axon at 18.5 degC (m/s)
HH_VELOCITY, HH_DIAMETER = 18.8, 476e-6


def rates(v: float, phi: float = 1.0) -> dict[str, tuple[float, float]]:
    """HH (1952) alpha, beta (1/ms) of m, h, n at v (mV, rest -65), times phi."""

    def vtrap(x: float, y: float) -> float:  # x / (exp(x / y) - 1), finite at x = 0
        return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / math.expm1(x / y)

    return {
        "m": (phi * 0.1 * vtrap(-(v + 40.0), 10.0), phi * 4.0 * math.exp(-(v + 65.0) / 18.0)),
        "h": (
            phi * 0.07 * math.exp(-(v + 65.0) / 20.0),
            phi / (1.0 + math.exp(-(v + 35.0) / 10.0)),
        ),
        "n": (phi * 0.01 * vtrap(-(v + 55.0), 10.0), phi * 0.125 * math.exp(-(v + 65.0) / 80.0)),
    }


def steady(v: float) -> tuple[float, float, float]:
    r = rates(v)
    return tuple(a / (a + b) for a, b in (r["m"], r["h"], r["n"]))


def currents(v, m, h, n) -> tuple[float, float, float]:
    """INa, IK, IL (uA/cm2, outward positive)."""
    return G_NA * m**3 * h * (v - E_NA), G_K * n**4 * (v - E_K), G_L * (v - E_L)


def hh_spike(t_c: float, area_cm2: float = AREA_CM2) -> dict[str, float]:
    """The single 10 uA/cm2, 1 ms pulse (5-6 ms) at t_c degC on a patch of ``area_cm2``,
    integrated here."""
    phi = 3.0 ** ((t_c - 6.3) / 10.0)
    rest = brentq(lambda v: sum(currents(v, *steady(v))), -70.0, -60.0)

    def rhs(t, y):
        v, m, h, n = y
        stim = 10.0 if 5.0 <= t < 6.0 else 0.0
        r = rates(v, phi)
        dv = stim - sum(currents(v, m, h, n))  # C = 1 uF/cm2: mV/ms
        return [dv] + [a * (1 - x) - b * x for x, (a, b) in zip((m, h, n), r.values(), strict=True)]

    # piecewise, so the pulse's edges are the ends of solver runs, not inside one
    y0, ts, ys = [rest, *steady(rest)], [], []
    for a, b in ((0.0, 5.0), (5.0, 6.0), (6.0, 20.0)):
        seg = solve_ivp(
            rhs, (a, b), y0, method="LSODA", rtol=1e-10, atol=1e-10, max_step=0.005,
            t_eval=np.arange(a, b, 0.001),
        )  # fmt: skip
        ts.append(seg.t)
        ys.append(seg.y)
        y0 = solve_ivp(rhs, (a, b), y0, method="LSODA", rtol=1e-10, atol=1e-10).y[:, -1]
    tt, (v, m, h, n) = np.concatenate(ts), np.concatenate(ys, axis=1)
    ina, ik, il = currents(v, m, h, n)
    stim = np.where((tt >= 5.0) & (tt < 6.0), 10.0, 0.0)
    dvdt = stim - (ina + ik + il)
    kp = int(np.argmax(v))
    # threshold: where dV/dt last rises through 10 mV/ms (10 V/s) before the peak
    up = np.nonzero((dvdt[: kp - 1] < 10.0) & (dvdt[1:kp] >= 10.0))[0]
    kt = int(up[-1] + 1)
    gna, gk = G_NA * m[kp] ** 3 * h[kp], G_K * n[kp] ** 4
    nA = area_cm2 * 1e-6  # uA/cm2 on the patch -> A
    return {
        "rest": rest * 1e-3,
        "v_threshold": v[kt] * 1e-3,
        "ina_threshold": ina[kt] * nA,
        "iout_threshold": (ik[kt] + il[kt]) * nA,
        "net_threshold": "inward" if ina[kt] + ik[kt] + il[kt] < 0 else "outward",
        "peak": v[kp] * 1e-3,
        "gna_peak": gna * area_cm2 * 1e-3,  # mS/cm2 -> S
        "gk_peak": gk * area_cm2 * 1e-3,
        "weighted": (gna * E_NA + gk * E_K + G_L * E_L) / (gna + gk + G_L) * 1e-3,
        "df_rest": (rest - E_NA) * 1e-3,
        "df_peak": (v[kp] - E_NA) * 1e-3,
        "ina_peak": ina[kp] * nA,
        "ina_min": ina.min() * nA,
    }


def _pulse_trace() -> dict[str, np.ndarray]:
    """NEURON's hh: the 10 uA/cm2 1 ms pulse at 6.3 degC."""
    with open(DATA / "nrn_a_pulse10_trace.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def _unknowns_si(session) -> dict:
    return {u.name: session.unknowns[u.name] for u in session.practical.unknowns}


def expected(name: str, u: dict) -> dict[str, object]:
    if name == "time_scales":
        phi = 3.0 ** ((u["temperature"] - 6.3) / 10.0)
        r = rates(u["V_step"] * 1e3, phi)
        tau = {g: 1e-3 / (a + b) for g, (a, b) in r.items()}
        return {
            "tau_m": tau["m"],
            "tau_h": tau["h"],
            "tau_n": tau["n"],
            "fastest": min(tau, key=tau.__getitem__),
        }
    if name == "threshold_peak":
        sp = hh_spike(u["temperature"], u["area"] * 1e4)  # m2 -> cm2
        return {k: v for k, v in sp.items() if k not in ("rest", "ina_min")}
    if name == "axon_propagation":
        v = HH_VELOCITY * math.sqrt(u["diameter"] / HH_DIAMETER)
        return {
            "velocity": v,
            "delay": (abs(0.045 - u["s_mid"]) - abs(0.005 - u["s_mid"])) / v,
            "passages_r2": 1.0,
            "meet": u["s2"] / 2.0,
            "passages_between": 1.0,
        }
    return {}


COVERED = [
    "time_scales",
    "threshold_peak",
    "axon_propagation",
]  # also listed in test_practicals_trusted_keys.HH_COVERED


def test_the_independent_hh_integration_reproduces_neuron():
    """The test's own HH integration is right: at 6.3 degC it gives NEURON's spike."""
    tr = _pulse_trace()
    sp = hh_spike(6.3)
    k = int(np.argmax(tr["v_mV"]))
    assert sp["peak"] * 1e3 == pytest.approx(tr["v_mV"][k], abs=0.2)
    assert sp["rest"] * 1e3 == pytest.approx(-65.0, abs=0.05)
    ina_min = tr["ina_mA_cm2"].min() * AREA_CM2 * 1e-3
    assert sp["ina_min"] == pytest.approx(ina_min, rel=0.02)


@pytest.mark.parametrize("name", COVERED)
@pytest.mark.parametrize("student", STUDENTS)
def test_keys_agree_with_independent_values(name, student):
    s = PracticalSession(load_practical(name), student, klass=CLASS.pack(), autosave=False)
    want = expected(name, _unknowns_si(s))
    computed = [q.id for _, q in s.practical.questions() if q.kind in ("numeric",) or q.answer]
    assert sorted(want) == sorted(computed), name  # every computed key has a row
    for qid, value in want.items():
        _, q = s.practical.question(qid)
        got = s.key(qid)
        if q.kind == "choice":
            assert got == value, (name, student, qid)
        else:
            tol = tolerance_si(q, float(value))
            assert abs(float(got) - float(value)) <= tol, (name, student, qid, got, value, tol)


def test_the_students_differ_where_the_physics_says_so():
    """Temperature and step voltage change the time constants, the diameter the velocity:
    the two students' independent values differ beyond the tolerance."""
    for name, qids in (
        ("time_scales", ("tau_m", "tau_h", "tau_n")),
        ("threshold_peak", ("peak", "df_peak", "ina_threshold", "gna_peak")),
        ("axon_propagation", ("velocity", "delay")),
    ):
        p = load_practical(name)
        a, b = (
            expected(
                name, _unknowns_si(PracticalSession(p, sid, klass=CLASS.pack(), autosave=False))
            )
            for sid in STUDENTS
        )
        for qid in qids:
            _, q = p.question(qid)
            assert abs(a[qid] - b[qid]) > tolerance_si(q, a[qid]), (name, qid)


def test_peak_driving_force_collapses_and_ina_is_largest_on_the_rise():
    """What the practical's text claims: at the peak |V - E_Na| is a small fraction of its
    value at rest, and INa there is well below its largest (on the rising phase)."""
    sp = hh_spike(6.3)
    assert abs(sp["df_peak"]) < 0.15 * abs(sp["df_rest"])
    assert abs(sp["ina_peak"]) < 0.6 * abs(sp["ina_min"])
