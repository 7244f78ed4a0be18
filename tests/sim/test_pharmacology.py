"""Drug action: bath exchange and receptor binding as two first-order processes,
per-preparation/per-side potencies and state-dependent local-anaesthetic block.

Expected values come from the cited constants through closed forms (exponential
exchange, first-order unbinding, one-site occupancy) or from scipy's ODE solver run on
the two published rate equations, never from vlab's own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from vlab.sim import kernel as K
from vlab.sim.cell import Cell
from vlab.sim.drugs import Bath, DrugError, bind_step, parse_drug_application
from vlab.sim.engine import Membrane

K_OFF_TTX = 1.42e-2  # 1/s, Schwarz, Ulbricht & Wagner (1973)
KD_TTX_NODE = 3.6e-6  # mM (3.6 nM), same source
KD_TTX_SQUID = 5.1e-6  # mM, Toxicon 1985;23:725
TAU_BATH_SQUID = 2e-3 / (6e-3 / 60)  # s: 2 ml chamber at 6 ml/min (V/Q)
TAU_BATH_NODE = 0.1e-3 / (3e-3 / 60)  # s: 0.1 ml node pool at 3 ml/min


def _block(bath, drug="TTX", target="Na"):
    return bath.occupancy().get(drug, {}).get(target, 0.0)


def test_unbinding_is_first_order_with_the_published_rate():
    # at zero concentration, B(t) = B0 exp(-k_off t): 70 s after washing 37 % of the
    # block is left (the 36 %), not 91 %
    b = bind_step(1.0, 0.0, K_OFF_TTX / KD_TTX_NODE, K_OFF_TTX, 70.0)
    assert b == pytest.approx(math.exp(-K_OFF_TTX * 70.0), rel=1e-12)
    assert 0.36 < b < 0.38


def _two_process(c_applied, c0, b0, tau, kd, koff, t_end):
    """Reference: bath exchange + binding integrated by scipy (LSODA, tight tolerances)."""
    kon = koff / kd

    def rhs(t, y):
        c, b = y
        return [(c_applied - c) / tau, kon * c * (1 - b) - koff * b]

    sol = solve_ivp(rhs, (0, t_end), [c0, b0], method="LSODA", rtol=1e-10, atol=1e-13)
    return sol.y[:, -1]


def test_ttx_wash_out_on_the_frog_node_follows_exchange_then_unbinding():
    bath = Bath("myelinated_axon")
    bath.apply("TTX", 100e-6, equilibrated=True)  # 100 nM
    b0 = _block(bath)
    assert b0 == pytest.approx(100 / 103.6, rel=1e-12)
    bath.wash("TTX")
    for _ in range(70):
        bath.advance(1.0)
    c_ref, b_ref = _two_process(0.0, 100e-6, b0, TAU_BATH_NODE, KD_TTX_NODE, K_OFF_TTX, 70.0)
    assert _block(bath) == pytest.approx(b_ref, abs=2e-3)
    # rebinding while the small node pool clears adds only a little to pure unbinding
    assert b0 * math.exp(-K_OFF_TTX * 70) < _block(bath) < 0.45


def test_ttx_wash_in_on_the_squid_is_limited_by_the_chamber():
    bath = Bath("squid")
    bath.apply("TTX", 100e-6)
    for _ in range(30):
        bath.advance(1.0)
    c_ref, b_ref = _two_process(100e-6, 0.0, 0.0, TAU_BATH_SQUID, KD_TTX_SQUID, K_OFF_TTX, 30.0)
    assert bath.concentrations()["TTX"] == pytest.approx(100e-6 * (1 - math.exp(-30 / 20)))
    assert _block(bath) == pytest.approx(b_ref, abs=2e-3)
    early = Bath("squid")
    early.apply("TTX", 100e-6)
    early.advance(10.0)
    _, b10 = _two_process(100e-6, 0.0, 0.0, TAU_BATH_SQUID, KD_TTX_SQUID, K_OFF_TTX, 10.0)
    assert _block(early) == pytest.approx(b10, abs=2e-3)
    assert _block(early) < 0.8  # not the 95 % in 10 s of a one-step exchange


def test_bath_exchange_time_constant_is_volume_over_flow():
    bath = Bath("mammalian")  # 1 ml chamber at 4 ml/min: 15 s
    bath.apply("TEA", 10.0)
    bath.advance(15.0)
    assert bath.concentrations()["TEA"] == pytest.approx(10.0 * (1 - math.exp(-1)), rel=1e-9)
    # TEA binds in milliseconds: bound fraction follows the concentration (Kd 5 mM)
    c = bath.concentrations()["TEA"]
    assert _block(bath, "TEA", "K") == pytest.approx(c / (c + 5.0), abs=0.01)


def test_tea_acts_on_squid_from_inside_only_and_never_on_the_m_current():
    out, inside = Cell("squid"), Cell("squid")
    out.set_drug("TEA", 50.0, "outside")
    inside.set_drug("TEA", 0.4, "inside")
    assert out.block_fractions()["K"] == 0.0  # Tasaki & Hagiwara 1957
    assert inside.block_fractions()["K"] == pytest.approx(0.5)  # Kd 0.4 mM
    ctx = Cell("mammalian")
    ctx.set_drug("TEA", 5.0)
    assert ctx.block_fractions()["K"] == pytest.approx(0.5)  # Kv2.1 IC50 5 mM
    assert ctx.kernel_params()[K.P_GM] == Cell("mammalian").kernel_params()[K.P_GM]


def test_ttx_from_inside_does_nothing():
    cell = Cell("squid")
    cell.set_drug("TTX", 1e-3, "inside")  # Narahashi, Anderson & Moore 1966
    assert cell.block_fractions()["Na"] == 0.0


def test_internal_perfusion_is_refused_where_there_is_none():
    bath = Bath("mammalian")
    with pytest.raises(DrugError, match="no internal perfusion"):
        bath.apply("TEA", 1.0, side="inside")
    with pytest.raises(DrugError, match="side"):
        parse_drug_application("TEA:sideways=1mM")
    assert parse_drug_application("TEA:in=20mM")[1:] == (20.0, "inside")


@pytest.mark.parametrize("c", [0.1, 10.0])  # 100 uM and 10 mM
def test_tonic_lidocaine_block_at_minus_80_mV_is_resting_occupancy(c):
    """Bean, Cohen & Tsien (1983): resting-state Kd 440 uM. At -80 mV the cortical cell's
    Na+ channels are all resting (h ~ 1), so block = c / (c + 440 uM)."""
    cell = Cell("mammalian")
    cell.set_drug("lidocaine", c)
    mem = Membrane(cell)
    mem.reset(v0=-0.080)
    mem.state[:, K.S_B] = 0.0  # start unblocked; let it bind for 20 s at -80 mV
    out = mem.advance("voltage-clamp", np.full(2001, -0.080), 10e-3, ("lido_bound",))
    assert out["lido_bound"][0, -1] == pytest.approx(c / (c + 0.44), rel=0.01)


def test_bath_lidocaine_blocks_conduction_in_the_squid_axon():
    from vlab.sim.cable import Axon

    def run(drug=None):
        ax = Axon("squid_axon")
        if drug:
            ax.cell.set_drug(*drug)
        cmd = np.zeros(1201)
        cmd[50:150] = 20e-6
        return ax.run(command=cmd, sample_interval=1e-5, record={"far": 0.04}, dt_max=1e-5).traces[
            "far"
        ]

    assert run().max() > 0.0
    assert run(("lidocaine", 10.0)).max() < -0.05  # 10 mM: conduction fails


def test_pronase_by_internal_perfusion_prolongs_the_propagated_spike():
    """Armstrong, Bezanilla & Rojas (1973): without Na+ inactivation the action potential
    of the perfused squid axon is greatly prolonged."""
    from vlab.sim.cable import Axon

    def width_above_0(drug=None):
        ax = Axon("squid_axon")
        if drug:
            ax.cell.set_drug(*drug)
        cmd = np.zeros(2001)
        cmd[50:150] = 20e-6
        v = ax.run(command=cmd, sample_interval=1e-5, record={"far": 0.04}, dt_max=1e-5)
        return np.count_nonzero(v.traces["far"][0] > 0.0) * 1e-5

    control = width_above_0()
    assert control > 0
    assert width_above_0(("pronase", 1.0)) > 3 * control
    with pytest.raises(DrugError, match="inside"):
        Axon("squid_axon").apply_drug_locally("pronase", 1.0, 0.01, 0.02)


def test_changing_preparation_drops_internal_perfusion_and_pronase_damage():
    bath = Bath("squid")
    bath.apply("TEA", 10.0, equilibrated=True)  # inside, on the squid
    bath.apply("pronase", 1.0, equilibrated=True)
    assert bath.pronase_removed == 1.0 and bath.sides()["TEA"] == "inside"
    bath.preparation = "mammalian"  # no internal perfusion there
    assert "TEA" not in bath.concentrations() and bath.pronase_removed == 0.0
    bath.advance(1.0)  # nothing left that the new chamber cannot exchange
