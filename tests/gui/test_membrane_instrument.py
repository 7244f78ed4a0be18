"""The membrane view as an instrument (issue 10, item 5): Vm and the net ionic current with a
zero line, cursors linked to the scope, a freeze-frame on a spike, a time axis in seconds.

Physics, not vlab's numbers: in current clamp C dV/dt = I_inj - I_ion, so with no injected
current the net ionic current is zero where Vm peaks, inward (negative) while a spike
rises and outward (positive) while it falls.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot):
    from vlab.gui.panels.membrane_view import MembraneView

    v = MembraneView(window=0.02)
    qtbot.addWidget(v)
    return v


def _spike(view, freeze: bool = False, seconds: float = 0.03):
    """Stream gap-free current clamp with one 1 ms suprathreshold pulse at 5 ms."""
    rig = Rig("squid")
    sim = RigSimulator(rig)
    view.freeze_box.setChecked(freeze)
    sim.step(0.005)
    sim.stimulate(20e-2 * rig.cell.values["area"], 1e-3)  # 20 uA/cm2 for 1 ms
    while sim.time < 0.005 + seconds:
        view.add_block(sim.step(0.0005))
    view.flush()


def test_net_ionic_current_is_zero_at_the_peak_inward_up_outward_down(view):
    _spike(view, seconds=0.012)
    t, vm, iion = view._t, view._buf["Vm"], view._buf["Iion"]
    assert vm.max() > 0.0  # a spike
    k = int(np.argmax(vm))
    assert abs(iion[k]) < 0.05 * np.max(np.abs(iion))
    rising = np.nonzero((vm[:k] > -0.02) & (t[:k] > 0.0065))[0]  # after the pulse
    falling = np.nonzero(vm[k:] < -0.02)[0]
    assert rising.size and iion[rising[0]] < 0  # same V (-20 mV): inward on the way up
    assert falling.size and iion[k + falling[0]] > 0  # ... outward on the way down
    assert "net ionic current" in view.cursor_label.text()


def test_freeze_frame_on_a_spike_in_gap_free(view):
    _spike(view, freeze=True, seconds=0.03)
    assert view.frozen and view.pause_button.text() == "Resume"
    spike_t = view._spike_t
    assert view._t[0] < spike_t < view._t[-1]
    assert view._t[-1] - spike_t >= 0.5 * view.window_s  # the spike sits mid-window
    t_end = view._t[-1]
    view.add_block(SimpleNamespace(t=np.array([t_end + 1.0]), data={"Vmem": np.array([0.0])}))
    assert view._t[-1] == t_end  # frozen: new data does not move the picture
    view.pause_button.click()  # Resume
    assert not view.frozen and view.pause_button.text() == "Pause"


def test_time_axis_says_seconds_not_kiloseconds(view):
    t = 1389.0 + np.arange(1000) * 2e-5
    view.add_block(SimpleNamespace(t=t, data={"Vmem": np.full(t.size, -0.065)}, reversal={}))
    view.flush()
    axis = view.plots[-1].getAxis("bottom")
    axis.updateAutoSIPrefix()
    assert axis.labelUnitPrefix == "" and axis.autoSIPrefixScale == 1.0


def test_cursors_are_linked_to_the_scope(idle_window):
    win = idle_window
    mv = win.membrane_view
    win.scope.set_cursors(0.004, 0.012)
    assert mv.cursor_positions() == pytest.approx((0.004, 0.012))
    mv.cursor_lines[2][1].setValue(0.015)  # drag cursor 2 on the gates plot
    assert win.scope.cursor_positions() == pytest.approx((0.004, 0.015))
    assert mv.cursor_lines[0][1].value() == pytest.approx(0.015)  # every plot follows
