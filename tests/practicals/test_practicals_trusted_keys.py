"""Keys you can trust: each practical's keys for two fixed students of a fixed class,
compared with values derived without vlab's engine.

The expected values come from

- formulas (Nernst, GHK, Ohm's law, HH's closed-form h-infinity) on the concentrations
  and constants the preparation files declare (written out here as literals);
- NEURON 9 runs made for these two students' unknowns
  (``tests/data/neuron_reference/practical_keys``, by its ``make_practical_keys.py``):
  threshold searches, spikes and voltage-clamp families at the student's temperature,
  channel densities and Na+, paired pulses, the mammalian cell in raised K+ and the
  mystery drug's steady current (``hh``; the Pospischil et al. 2008 cell).

Only the student's unknowns come from vlab (the HMAC randomiser under test elsewhere).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from vlab.practicals import PracticalSession, load_practical
from vlab.practicals.classes import create_class
from vlab.practicals.session import tolerance_si

SECRET = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
CLASS = create_class("trusted-keys", ["alpha-01", "gamma-01"], secret=SECRET)
STUDENTS = ("alpha-01", "gamma-01")
DATA = Path(__file__).resolve().parents[1] / "data" / "neuron_reference"
NEURON_KEYS = DATA / "practical_keys" / "practical_keys.csv"

R, F, T0 = 8.314462618, 96485.33212, 273.15  # CODATA 2018
#: declared in resources/preparations: mammalian solutions (mM) at 37 degC
MAMMAL = {"K": (5.0, 140.0), "Na": (145.0, 15.0), "Cl": (120.0, 7.0)}
#: squid: Na_in and Cl_out (mM)
SQUID_NA_IN, SQUID_CL_OUT = 55.2, 560.0
#: squid specific membrane capacitance, 1 uF/cm2 (F/m2)
SQUID_CM = 1e-2


def nernst(z: int, out: float, inside: float, t_c: float) -> float:
    return R * (t_c + T0) / (z * F) * math.log(out / inside)


def ghk(k_out: float, k_in: float, t_c: float, p=(1.0, 0.05, 0.0)) -> float:
    """GHK voltage; the cell's Cl- channels are closed at rest (gCl = 0), so P_Cl = 0."""
    (ko, ki), (nao, nai), (clo, cli) = (k_out, k_in), MAMMAL["Na"], MAMMAL["Cl"]
    pk, pna, pcl = p
    num = pk * ko + pna * nao + pcl * cli
    den = pk * ki + pna * nai + pcl * clo
    return R * (t_c + T0) / F * math.log(num / den)


def h_inf_hh(v_mv: float) -> float:
    a = 0.07 * math.exp(-(v_mv + 65.0) / 20.0)
    b = 1.0 / (math.exp(-(v_mv + 35.0) / 10.0) + 1.0)
    return a / (a + b)


def squid_rest_hh(k_out_mM: float, t_c: float) -> float:
    """Resting potential (mV) of HH's squid membrane in ``k_out_mM`` K+ outside: zero net
    steady-state current of HH's (1952) conductances (gNa 120, gK 36, gL 0.3 mS/cm2).
    E_Na stays 50 mV; E_K moves from HH's -77 mV by the Nernst shift at the axon's
    temperature from the default 16.35 mM; the leak is a fixed mix of K+ and Na+
    conductance that reverses at -54.3 mV by default, so its reversal follows E_K (the
    squid preparation file's ``[leak] carriers``)."""
    from scipy.optimize import brentq

    e_na = 50.0
    e_k = -77.0 + 1e3 * nernst(1, k_out_mM, 16.35, t_c)
    f_k = (-54.3 - e_na) / (-77.0 - e_na)
    e_l = f_k * e_k + (1.0 - f_k) * e_na

    def vtrap(x: float, y: float) -> float:
        return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / math.expm1(x / y)

    def current(v: float) -> float:
        am, bm = 0.1 * vtrap(-(v + 40.0), 10.0), 4.0 * math.exp(-(v + 65.0) / 18.0)
        an, bn = 0.01 * vtrap(-(v + 55.0), 10.0), 0.125 * math.exp(-(v + 65.0) / 80.0)
        m, n = am / (am + bm), an / (an + bn)
        return 120.0 * m**3 * h_inf_hh(v) * (v - e_na) + 36.0 * n**4 * (v - e_k) + 0.3 * (v - e_l)

    return brentq(current, -100.0, -55.0, xtol=1e-9)


def expected(name: str, u: dict) -> dict[str, object]:
    """Expected keys (SI) of practical ``name`` for unknowns ``u`` (SI values)."""
    if name == "nernst":
        return {
            "ek_default": nernst(1, *MAMMAL["K"], 37.0),
            "ena_default": nernst(1, *MAMMAL["Na"], 37.0),
            "ek_new": nernst(1, u["K_out"], MAMMAL["K"][1], 37.0),
            "ena_temp": nernst(1, *MAMMAL["Na"], u["temp"]),
            "ecl": nernst(-1, MAMMAL["Cl"][0], u["Cl_in"], 37.0),
        }
    if name == "hearing":
        ek_apical = nernst(1, u["K_endo"], u["K_cell"], 37.0)
        v_apical = u["V_cell"] - u["EP"]
        return {
            "ek_apical": ek_apical,
            "v_apical": v_apical,
            "df_apical": v_apical - ek_apical,
            "ek_basal": nernst(1, u["K_peri"], u["K_cell"], 37.0),
        }
    if name == "ghk_rest":
        return {"ghk": ghk(u["K_out"], u["K_in"], 37.0)}
    if name == "sign_conventions":
        e_cl = nernst(-1, SQUID_CL_OUT, u["Cl_in"], 6.3)
        g_cl = 10.0 * u["area"]  # 1 mS/cm2 = 10 S/m2 on the student's patch (S)
        return {
            "ecl": e_cl,
            "icl_zero": g_cl * (0.0 - e_cl),
            "current_m100": "outward" if -0.1 - e_cl > 0 else "inward",
            "flow_m100": "in" if -0.1 - e_cl > 0 else "out",  # an anion moves against I
            "flow_zero": "in" if 0.0 - e_cl > 0 else "out",
        }
    if name == "separate_currents":
        return {"ena_nernst": nernst(1, u["Na_out"], SQUID_NA_IN, 6.3)}
    if name == "ohm_driving_force":
        return {"g_leak": u["gL"] * u["area"]}  # S/m2 on the student's patch (m2)
    if name == "passive_properties":
        # a pure leak (gNa = gK = 0): R_in = 1/(gL A), tau = Cm/gL, C = Cm A
        g_in = u["gL"] * u["area"]  # S/m2 * m2
        return {"r_in": 1.0 / g_in, "tau_m": SQUID_CM / u["gL"], "c_m": SQUID_CM * u["area"]}
    if name == "na_inactivation":
        from scipy.optimize import brentq

        v_rest = squid_rest_hh(u["K_out"], u["temp"])
        v_half = brentq(lambda v: h_inf_hh(v) - 0.5, -90.0, -40.0, xtol=1e-9)
        return {"rest": v_rest * 1e-3, "h_rest": h_inf_hh(v_rest), "v_half": v_half * 1e-3}
    return {}


COVERED = [
    "nernst",
    "hearing",
    "ghk_rest",
    "sign_conventions",
    "separate_currents",
    "ohm_driving_force",
    "passive_properties",
    "na_inactivation",
]


def _unknowns_si(session) -> dict:
    out = {}
    for u in session.practical.unknowns:
        x = session.unknowns[u.name]
        out[u.name] = float(x) if u.kind == "range" else x
    return out


def _neuron_keys() -> dict[tuple[str, str], tuple[dict, dict]]:
    """``(practical, student) -> (unknowns, {question: value})`` from the NEURON table."""
    out: dict[tuple[str, str], tuple[dict, dict]] = {}
    with open(NEURON_KEYS, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            u = {}
            for item in r["unknowns"].split(";"):
                k, _, v = item.partition("=")
                try:
                    u[k] = float(v)
                except ValueError:
                    u[k] = v
            out.setdefault((r["practical"], r["student"]), (u, {}))[1][r["question"]] = float(
                r["value_si"]
            )
    return out


NEURON_COVERED = sorted({name for name, _ in _neuron_keys()})


@pytest.mark.parametrize("name", NEURON_COVERED)
@pytest.mark.parametrize("student", STUDENTS)
def test_simulated_keys_agree_with_neuron(name, student):
    """Keys that need a simulation agree with NEURON runs for the same student's unknowns."""
    unknowns, want = _neuron_keys()[(name, student)]
    s = PracticalSession(load_practical(name), student, klass=CLASS.pack(), autosave=False)
    drawn = _unknowns_si(s)
    same = drawn.keys() == unknowns.keys() and all(
        drawn[k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v)
        for k, v in unknowns.items()
    )
    assert same, (
        f"{name}: the students' unknowns are now {drawn}; put them into "
        "tests/data/neuron_reference/practical_keys/make_practical_keys.py and re-run it"
    )
    for qid, value in want.items():
        _, q = s.practical.question(qid)
        got = float(s.key(qid))
        tol = tolerance_si(q, value)
        assert abs(got - value) <= tol, (name, student, qid, got, value, tol)


#: checked in test_practicals_trusted_keys_hh.py (HH integrated by SciPy, HH's velocity)
HH_COVERED = ["time_scales", "threshold_peak", "axon_propagation"]


def test_every_practical_has_an_independent_key_table():
    from vlab.practicals import builtin_practicals

    assert set(builtin_practicals()) <= set(COVERED) | set(NEURON_COVERED) | set(HH_COVERED)


@pytest.mark.parametrize("name", COVERED)
@pytest.mark.parametrize("student", STUDENTS)
def test_keys_agree_with_independent_values(name, student):
    s = PracticalSession(load_practical(name), student, klass=CLASS.pack(), autosave=False)
    want = expected(name, _unknowns_si(s))
    assert want, name
    for qid, value in want.items():
        _, q = s.practical.question(qid)
        got = s.key(qid)
        if q.kind == "choice":
            assert got == value, (name, student, qid)
        else:
            tol = tolerance_si(q, float(value))
            assert abs(float(got) - float(value)) <= tol, (name, student, qid, got, value, tol)


def test_the_two_students_get_different_unknowns():
    """The table is not one student twice: their unknowns differ (an unknown drawn from a
    short grid may coincide, as the refractory axons' gNa do)."""
    for name in COVERED + NEURON_COVERED:
        p = load_practical(name)
        if not p.unknowns:
            continue
        a, b = (
            PracticalSession(p, sid, klass=CLASS.pack(), autosave=False).unknowns
            for sid in STUDENTS
        )
        assert a != b, name


def test_passive_keys_differ_between_the_two_students_beyond_tolerance():
    """Copying a neighbour's R_in, tau or C is wrong: the closed forms differ by more
    than each question's tolerance for the two students."""
    p = load_practical("passive_properties")
    a, b = (
        expected(p.name, _unknowns_si(PracticalSession(p, sid, klass=CLASS.pack(), autosave=False)))
        for sid in STUDENTS
    )
    for qid in ("r_in", "tau_m", "c_m"):
        _, q = p.question(qid)
        assert abs(a[qid] - b[qid]) > tolerance_si(q, a[qid]), qid


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        ("4.2 MΩ", "resistance", 4.2e6),
        ("4.2 Mohm", "resistance", 4.2e6),
        ("300 kohm", "resistance", 3e5),
        ("1.2 nF", "capacitance", 1.2e-9),
        ("15 pF", "capacitance", 1.5e-11),
        ("1 uF", "capacitance", 1e-6),
    ],
)
def test_resistance_and_capacitance_units_the_passive_answers_use(text, dimension, si):
    from vlab.units import parse_quantity

    assert parse_quantity(text, dimension).value == pytest.approx(si)


def test_passive_keys_are_the_closed_forms_at_every_corner():
    """The passive step settles before and during the step at every corner of the
    unknowns, so R_in, tau and C are 1/(gL A), C_m/gL and C_m A to 1 % (the baseline used
    to start 50 ms after release from v_init: 6 % off for the slowest, largest patch)."""
    p = load_practical("passive_properties")
    ranges = {u.name: (u.low, u.high) for u in p.unknowns}
    for gl in ranges["gL"]:
        for area in ranges["area"]:
            s = PracticalSession(p, "corner", autosave=False)
            s.unknowns = {"gL": gl, "area": area}
            want = {"r_in": 1.0 / (gl * area), "tau_m": SQUID_CM / gl, "c_m": SQUID_CM * area}
            for qid, value in want.items():
                assert float(s.key(qid)) == pytest.approx(value, rel=0.01), (qid, gl, area)
