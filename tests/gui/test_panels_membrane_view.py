"""Inside-the-membrane view: driving forces, readouts, rolling window."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.gui.panels.membrane_view import MembraneView
from vlab.rig.simulator import BLOCK_VARIABLES, Block

pytestmark = pytest.mark.gui


def make_block(t0=0.0, n=100, dt=1e-5, vm=-0.065, e=None, **values):
    t = t0 + np.arange(n) * dt
    data = {k: np.zeros(n) for k in BLOCK_VARIABLES}
    data["Vm"] = np.full(n, vm)  # the amplifier's output (the scope's)
    data["Vmem"] = np.full(n, vm)  # the membrane's own potential (this view's)
    for k, v in values.items():
        data[k] = np.full(n, v)
    rev = e or {"Na": 0.050, "K": -0.077, "Cl": -0.054, "L": -0.0543}
    return Block(t=t, data=data, reversal=rev, blocked={}, mode="CC")


@pytest.fixture
def view(qtbot):
    w = MembraneView(None)
    qtbot.addWidget(w)
    w.resize(1100, 330)  # as docked under the scope: plots a few hundred px wide, not
    w.show()  # 8 px (where pyqtgraph would downsample every curve)
    return w


def test_driving_force_na(view):
    view.add_block(make_block(INa=-1e-9, IK=2e-9))
    df = view.driving_forces()
    assert df["Na"] == pytest.approx(-0.115)
    assert df["K"] == pytest.approx(0.012)
    view.flush()  # curves and readouts are drawn by a timer; draw now
    assert "\u2212115 mV" in view.readout["Na"].text()
    assert "12 mV" in view.readout["K"].text()
    assert "\u22121 nA" in view.current_readout["Na"].text()
    assert "2 nA" in view.current_readout["K"].text()
    x, y = view.curves["dNa"].getData()
    assert np.allclose(y, -0.115)


def test_rolling_window_and_new_sweep(view):
    view.set_window(0.002)
    for k in range(10):
        view.add_block(make_block(t0=k * 1e-3, n=100, dt=1e-5))
    view.flush()  # curves are drawn by a timer; draw now
    x, _ = view.curves["m"].getData()
    assert x[-1] - x[0] <= 0.002 + 1e-9
    # time going back = a new sweep: the chart restarts
    view.add_block(make_block(t0=0.0, n=50))
    view.flush()  # curves are drawn by a timer; draw now
    x, _ = view.curves["m"].getData()
    assert x[0] == 0.0 and len(x) == 50


def test_optional_curves_appear_when_present(view):
    assert view.curves["ICl"].getViewBox() is None
    view.add_block(make_block(gCl=1e-6, ICl=1e-9))
    assert view.curves["ICl"].getViewBox() is not None


def test_clear(view):
    view.add_block(make_block())
    view.clear()
    assert view.readout["Na"].text() == "\u2014"
    assert view.curves["m"].getData()[0] is None or len(view.curves["m"].getData()[0]) == 0


def test_with_real_simulator(qtbot, view):
    import vlab.rig.simulator as sim_mod
    from vlab.rig.rig import Rig

    rig = Rig("squid")
    sim = sim_mod.RigSimulator(rig)
    for _ in range(3):
        view.add_block(sim.step(0.005))
    assert view.driving_forces()["Na"] == pytest.approx(-0.115, abs=0.002)
    # TTX lowers gNa but leaves the Na+ driving force alone
    rig.bath.apply("TTX", 1e-3, equilibrated=True)
    view.add_block(sim.step(0.005))
    assert view.driving_forces()["Na"] == pytest.approx(-0.115, abs=0.002)


def test_readouts_are_set_once_a_frame_not_once_a_block(view, monkeypatch):
    """A Repeat run at 10x delivers ~100 blocks a second: the numbers follow the frames."""
    view.show()
    calls = []
    monkeypatch.setattr(view, "_update_readout", lambda: calls.append(1))
    for k in range(20):
        view.add_block(make_block(t0=k * 1e-3, n=100, dt=1e-5))
    assert calls == []
    view._on_timer()  # the draw timer's tick
    view._on_timer()  # nothing new since: nothing to set
    assert calls == [1]


def test_a_resting_cell_is_not_magnified_into_numerical_dust(qtbot):
    """At rest pyqtgraph's auto-range put a flat Vm on a +-0.5 V axis, and once Vm moved by
    microvolts it zoomed to 0.4 mV of Vm and tens of fA of net current (the settling after a
    spike), making noise look like a signal. Spans now have a floor: 20 mV for voltages,
    C x 1 mV/ms for currents (C = cm x area); a spike still fits."""
    from vlab.rig.rig import Rig

    rig = Rig("squid")
    c = 0.01 * 1e-7  # squid: 1 uF/cm2 = 0.01 F/m2 over 1e-3 cm2 = 1e-7 m2 -> 1 nF
    w = MembraneView(rig)
    qtbot.addWidget(w)
    w.show()
    w.add_block(make_block(t0=0.0, n=100, dt=1e-5, vm=-0.065))  # perfectly flat
    w.flush()
    lo, hi = w.plots[0].viewRange()[1]
    assert 0.020 <= hi - lo <= 0.030 and lo < -0.065 < hi
    for k in range(1, 5):
        w.add_block(make_block(t0=k * 1e-3, n=100, dt=1e-5, vm=-0.065 + 1e-6 * k, Iion=3e-14 * k))
    w.flush()
    lo, hi = w.plots[0].viewRange()[1]
    assert 0.020 <= hi - lo <= 0.030 and lo < -0.065 < hi
    lo, hi = w.plots[1].viewRange()[1]
    assert c <= hi - lo <= 1.5 * c and lo < 0 < hi
    w.add_block(make_block(t0=5e-3, n=100, dt=1e-5, vm=+0.040))  # a spike's peak
    w.flush()
    lo, hi = w.plots[0].viewRange()[1]
    assert lo < -0.065 and hi > 0.040


def test_axes_are_blitted_not_replayed(qtbot):
    """Replaying pyqtgraph's axis pictures (text and all) at every repaint was the largest
    stall site of the idle 30-minute soak (AxisItem.paint, docs/performance.md); the axes of
    the scope and the membrane view are kept as pixmaps instead."""
    from PySide6.QtWidgets import QGraphicsItem

    from vlab.gui.scope import Scope

    scope = Scope()
    view = MembraneView(None)
    qtbot.addWidget(scope)
    qtbot.addWidget(view)
    plots = [scope.vm_plot, scope.im_plot, *view.plots]
    for p in plots:
        for name in ("left", "bottom"):
            mode = p.getAxis(name).cacheMode()
            assert mode == QGraphicsItem.CacheMode.DeviceCoordinateCache, (p, name)
    for head in view.titles:  # a title and its key: outside the data, never over a curve,
        # and not cached: under X (xcb) its device cache stayed a blank pixmap (no titles
        # on screen, while offscreen grabs showed them)
        assert head.cacheMode() == QGraphicsItem.CacheMode.NoCache


def _repeat_family_blocks(cycles: int):
    """The blocks of a Repeat run of the voltage-step family (17 sweeps of 30 ms), each
    sweep in two chunks as at 10x, grouped by cycle."""
    from vlab.protocols import load_protocol
    from vlab.rig.rig import Rig
    from vlab.rig.simulator import RigSimulator

    rig = Rig("squid")
    protocol = load_protocol("vc_step_family")
    sim = RigSimulator(rig)
    sim.start_episode(protocol, repeat=True)
    out: list[list] = [[] for _ in range(cycles)]
    cycle = 0
    while cycle < cycles:
        b = sim.step(0.02 if not out[cycle] or out[cycle][-1].sweep_done else 0.1)
        if b is None:
            continue
        out[cycle].append(b)
        if b.episode_done:
            cycle += 1
    return rig, out


def test_repeat_sweeps_leave_the_axes_standing(qtbot, monkeypatch):
    """At 10x Repeat the view drew a new time axis every frame (its range followed the
    newest sample) and re-fitted its y axes to every sweep: each change redraws an axis,
    text and all, and that was most of its painting (bench/bench_soak.py). A sweep now
    fills a page of the window's width, and the y ranges of a protocol's sweeps only grow,
    so from the second cycle on no axis changes; the curves still show the newest sweep."""
    rig, cycles = _repeat_family_blocks(2)
    w = MembraneView(rig)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    changes: list[str] = []
    for k, p in enumerate(w.plots):
        for side in ("left", "bottom"):
            axis = p.getAxis(side)
            real = axis.setRange
            monkeypatch.setattr(
                axis,
                "setRange",
                lambda a, b, real=real, n=f"{k}.{side}": (changes.append(n), real(a, b)),
            )
    for b in cycles[0]:
        w.add_block(b)
        w.flush()
    assert w.plots[0].viewRange()[0] == pytest.approx([0.0, w.window_s])
    first = list(changes)
    # the first data (and the layout settling), not once per frame (34 frames)
    assert sum(n.endswith("bottom") for n in first) <= 2 * len(w.plots)
    changes.clear()
    for b in cycles[1]:
        w.add_block(b)
        w.flush()
        x, y = w.curves["Vm"].getOriginalDataset()
        assert x[-1] == pytest.approx(b.t[-1]) and y[-1] == pytest.approx(b.data["Vmem"][-1])
    assert changes == []
    # the newest sweep (+60 mV step) is in sight on every fitted plot
    for k, name in ((0, "Vm"), (1, "Iion"), (3, "gK"), (4, "IK"), (5, "dNa")):
        lo, hi = w.plots[k].viewRange()[1]
        y = w._buf[name]
        assert lo <= y.min() and y.max() <= hi, name


def test_a_new_run_gets_y_ranges_of_its_own(qtbot):
    """The ranges only grow within a run (its Repeat cycles share one scale); a new run of
    the same protocol starts from its own first sweep, as the scope does."""
    rig, cycles = _repeat_family_blocks(1)
    w = MembraneView(rig)
    qtbot.addWidget(w)
    w.show()
    for b in cycles[0]:  # the family: steps from -100 to +60 mV
        w.add_block(b)
        w.flush()
    assert w.plots[0].viewRange()[1][1] > 0.060
    w.begin_run()
    for b in cycles[0]:
        w.add_block(b)
        w.flush()
        if b.sweep_done:
            break  # the new run's first sweep: a step to -100 mV from -65 mV
    lo, hi = w.plots[0].viewRange()[1]
    assert lo < -0.100 and -0.065 < hi < 0.0


def _single_pulse_view(qtbot, cutoff):
    """The membrane view fed as the rig window feeds it: every block of one single-pulse
    sweep (10 uA/cm2 from 5 to 6 ms, current clamp) straight from the rig's simulator, in
    small chunks; squid at 12 degC with 40 mM Na+ inside (so E_Na is Nernst's, unpinned)
    and the amplifier's low-pass at ``cutoff`` Hz (None: bypassed)."""
    from vlab.protocols import load_protocol
    from vlab.rig.rig import Rig
    from vlab.rig.simulator import RigSimulator

    rig = Rig("squid")
    rig.set_parameters({"Na_in": "40 mM", "temperature": "12 degC"})
    rig.set_filter(cutoff)
    sim = RigSimulator(rig)
    sim.start_episode(load_protocol("single_pulse"))
    w = MembraneView(rig, window=0.05)  # the whole 30 ms sweep
    qtbot.addWidget(w)
    w.resize(1100, 330)
    w.show()
    blocks = []
    while sim.episodic:
        b = sim.step(0.002)
        if b is not None:
            blocks.append(b)
            w.add_block(b)
    w.flush()
    return w, blocks


@pytest.mark.parametrize("cutoff", [None, 10e3, 2e3, 1e3])
def test_vm_peaks_where_the_net_ionic_current_crosses_zero(qtbot, cutoff):
    """After the stimulus C dV/dt = -I_ion: Vm is at its maximum where the net ionic
    current turns from inward to outward, to one sample, whatever the amplifier's filter.
    The view once drew the amplifier's Vm (filtered: at 1 kHz its peak came 0.44 ms after
    the zero crossing, where h had fallen by a third) against the membrane's own currents."""
    w, blocks = _single_pulse_view(qtbot, cutoff)
    t, vm, iion = w._t, w._buf["Vm"], w._buf["Iion"]
    dt = t[1] - t[0]
    assert t[0] == 0.0 and t.size == sum(b.n for b in blocks)  # the whole sweep is shown
    after = t > 6e-3 + dt / 2  # the stimulus has ended
    k = int(np.argmax(np.where(after, vm, -np.inf)))
    assert vm[k] > 0.0  # a spike
    up = np.nonzero(after[1:] & (iion[:-1] < 0) & (iion[1:] >= 0))[0] + 1
    assert up.size, "the net ionic current never turned outward"
    assert abs(k - int(up[0])) <= 1
    amp = np.concatenate([b.data["Vm"] for b in blocks])  # what the scope shows
    if cutoff == 1e3:  # the amplifier's peak is late by about the filter's group delay
        assert (int(np.argmax(amp)) - k) * dt >= 0.3e-3


def test_driving_force_at_the_peak_is_v_peak_minus_nernst_at_any_filter(qtbot):
    """V - E_Na at the spike's peak is V_peak - E_Na with E_Na = RT/F ln([Na]o/[Na]i)
    (Nernst, computed here), and the membrane view's traces, the cursor read-out and the
    "Now" panel are the same with the amplifier's filter at 1 kHz as with it bypassed:
    the filter shapes what the amplifier records, not the membrane."""
    import math

    from vlab.gui.panels.membrane_view import _fmt

    views = {c: _single_pulse_view(qtbot, c) for c in (None, 1e3)}
    (w0, _), (w1, b1) = views[None], views[1e3]
    for name in ("Vm", "dNa", "dK", "h", "Iion"):
        assert np.array_equal(w0._buf[name], w1._buf[name]), name
    conc = w1.rig.cell.values  # mM; Na_out is the squid's sea water, ~440 mM
    assert conc["Na_in"] == 40.0 and conc["temperature"] == 12.0
    r, f, temp = 8.314462618, 96485.33212, 273.15 + 12.0
    e_na = r * temp / f * math.log(conc["Na_out"] / conc["Na_in"])
    vm = w1._buf["Vm"]
    k = int(np.argmax(vm))
    assert w1._buf["dNa"][k] == pytest.approx(vm[k] - e_na, abs=0.05e-3)
    # cursor 1 on the peak: the read-out gives the membrane's peak and ~zero net current
    t_peak = float(w1._t[k])
    w1.set_cursors(t_peak, t_peak + 1e-3)
    text = w1.cursor_label.text()
    assert _fmt(vm[k], "V") in text
    assert abs(w1.values_at(t_peak)["Iion"]) < 0.02 * np.max(np.abs(w1._buf["Iion"]))
    # the "Now" panel: the membrane's last potential, not a digitised one
    assert w1.latest()["Vm"] == b1[-1].data["Vmem"][-1]
    assert _fmt(b1[-1].data["Vmem"][-1], "V") in w1.vm_label.text()


def test_the_window_width_does_not_hide_qwidget_window(view):
    """The rolling window's width is ``window_s``; ``window()`` stays QWidget's (the top
    level). Before, a float attribute ``window`` hid the method."""
    view.set_window(0.2)
    assert view.window_s == pytest.approx(0.2)
    assert view.window() is view


def test_a_frame_draws_each_curve_once_and_scrolling_redraws_none(view, monkeypatch):
    """Each frame moves the x range as the window scrolls. With pyqtgraph's clip-to-view
    and auto-downsampling on, every move made each curve of the six linked plots clip and
    decimate its data again (up to three times a frame, the largest part of the view's
    frames in a 10x Repeat soak), and each new y range rebuilt each curve's path. The view
    decimates its data itself, once a frame."""
    view.set_window(0.05)
    for k in range(60):  # 60 ms at 10 us: more samples than pixel columns
        view.add_block(make_block(t0=k * 1e-3, n=100, dt=1e-5, INa=-1e-9 * (k % 7)))
    shown = [c for c in view.curves.values() if c.scene() is not None]
    calls = []
    for c in shown:
        monkeypatch.setattr(c, "updateItems", lambda *a, c=c, **k: calls.append(c))
    view.flush()
    drawn = [c for name, c in view.curves.items() if c in shown and name not in view._empty]
    assert drawn and sorted(map(id, calls)) == sorted(map(id, drawn))  # once each
    calls.clear()
    x0, x1 = view.plots[0].viewRange()[0]
    view.plots[0].setXRange(x0 + 0.001, x1 + 0.001, padding=0)  # the next frame's scroll
    for p in view.plots:  # and new y ranges for the data
        y0, y1 = p.viewRange()[1]
        p.setYRange(y0 - 1.0, y1 + 1.0, padding=0)
    assert calls == []


def test_the_curves_keep_the_window_and_its_peaks_at_two_points_a_column(view):
    view.set_window(0.05)
    for k in range(60):
        view.add_block(make_block(t0=k * 1e-3, n=100, dt=1e-5, vm=-0.065 + 0.1 * (k == 30)))
    view.flush()
    x, y = view.curves["Vm"].getData()
    columns = view.plots[0].getViewBox().width()
    assert x.size <= 2 * columns + 2
    assert x[0] == pytest.approx(0.06 - 1e-5 - 0.05, abs=1e-9)  # the window's oldest sample
    assert x[-1] == pytest.approx(0.06 - 1e-5)
    assert y.max() == pytest.approx(0.035)  # the one block at +35 mV is not lost
