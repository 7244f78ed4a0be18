"""The scope's legend names the newest overlaid sweeps, and follows new sweeps by
re-pointing its rows instead of rebuilding them (rebuilding them for every sweep of a
Repeat run at 10x cost the GUI thread measurable time in bench/bench_soak.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_legend_names_the_newest_sweeps_and_reuses_its_rows(idle_window):
    from vlab.protocols import load_protocol

    win = idle_window
    scope = win.scope
    scope.keep_box.setChecked(True)  # overlay both runs
    win.run_protocol_now(load_protocol("threshold_search"))  # 12 sweeps
    n = scope.LEGEND_MAX
    rows = list(scope.legend.items)
    assert [label.text for _, label in rows] == [f"sweep {k}" for k in range(13 - n, 13)]
    assert [sample.item for sample, _ in rows] == [sw.vm_item for sw in scope.sweeps[-n:]]
    win.run_protocol_now(load_protocol("vc_step_family"))  # 17 more, numbered from 1
    after = list(scope.legend.items)
    assert [label.text for _, label in after] == [f"sweep {k}" for k in range(18 - n, 18)]
    assert [sample.item for sample, _ in after] == [sw.vm_item for sw in scope.sweeps[-n:]]
    assert [id(x) for row in after for x in row] == [id(x) for row in rows for x in row]
    assert scope.legend.isVisible()


def test_fading_old_sweeps_keeps_their_data_and_bounds(qtbot, monkeypatch):
    """Every new sweep fades the older ones. PlotDataItem.setPen would pass each whole
    trace to its curve again (a new path per faded sweep, for every sweep at 10x), and a
    new pen on the curve makes it compute its bounds from the data again (2-4 ms of each
    sweep-completing frame in bench/bench_soak.py): the fade is the items' opacity."""
    import numpy as np
    import pyqtgraph as pg

    from vlab.gui.scope import Scope

    scope = Scope()
    qtbot.addWidget(scope)
    t = np.linspace(0.0, 0.03, 3000)
    for k in range(5):
        scope._new_sweep(k)
        sw = scope.sweeps[-1]
        sw.vm_item.setData(t, np.sin(t + k))
        sw.im_item.setData(t, np.cos(t + k))
    for sw in scope.sweeps:  # every curve's bounds are known (as after a paint)
        for it in (sw.vm_item, sw.im_item):
            it.curve.boundingRect()
    oldest = scope.sweeps[0].vm_item
    opacity = oldest.opacity()
    updates, rebounded = [], []
    real = pg.PlotDataItem.updateItems
    monkeypatch.setattr(
        pg.PlotDataItem,
        "updateItems",
        lambda self, *a, **k: (updates.append(self), real(self, *a, **k)),
    )
    real_bounds = pg.PlotCurveItem.dataBounds
    monkeypatch.setattr(
        pg.PlotCurveItem,
        "dataBounds",
        lambda self, *a, **k: (rebounded.append(self), real_bounds(self, *a, **k))[1],
    )
    faded = {id(it) for sw in scope.sweeps for it in (sw.vm_item, sw.im_item)}
    scope._new_sweep(5)  # fades the five before it (and makes its own curves)
    for sw in scope.sweeps:
        for it in (sw.vm_item, sw.im_item):
            it.curve.boundingRect()
    assert [u for u in updates if id(u) in faded] == []
    assert [c for c in rebounded if id(c.parentItem()) in faded] == []
    assert oldest.opacity() < opacity  # ... which did fade
    assert scope.sweeps[-1].vm_item.opacity() == 1.0  # the newest is drawn opaque
    colours = {sw.vm_item.curve.opts["pen"].color().name() for sw in scope.sweeps}
    assert len(colours) == 6  # each sweep keeps its own colour


def test_the_legend_is_named_once_a_frame_not_once_a_sweep(qtbot, monkeypatch):
    """At 10x Repeat several sweeps arrive between two frames; the legend was relabelled
    for each, in the delivery of the blocks, outside the views' turns (frame_pacer)."""
    from vlab.gui.scope import Scope
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    rig = Rig("squid")
    sim = RigSimulator(rig)
    blocks = sim.run_episode(load_protocol("vc_step_family").with_changes(sweeps=3))
    scope = Scope()
    qtbot.addWidget(scope)
    scope.stop_timer()  # frames by hand
    named = []
    real = scope._update_legend
    monkeypatch.setattr(scope, "_update_legend", lambda: (named.append(1), real()))
    first = [b for b in blocks if b.sweep == 0]
    scope.add_blocks(first)  # a new run: the old names go at once
    scope.redraw()
    named.clear()
    scope.add_blocks(blocks[len(first) :])  # two more sweeps before the next frame
    assert named == []
    scope.redraw()
    assert named == [1]
    assert [label.text for _, label in scope.legend.items] == ["sweep 1", "sweep 2", "sweep 3"]


def test_a_new_repeat_cycle_changes_the_picture_at_the_next_frame_only(qtbot, monkeypatch):
    """The blocks of a Repeat run's next cycle arrive outside the scope's turn of the frame
    pacer; clearing the overlay there hid the legend and closed its strip until the next
    frame reopened it: the plots were laid out, and their four axes redrawn, twice a cycle,
    in the same paint as the other views (the longest GUI turns of bench/bench_soak.py).
    Nothing on the scope changes until its frame; then the new sweep replaces the old."""
    from vlab.gui.scope import Scope
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    sim = RigSimulator(Rig("squid"))
    family = load_protocol("vc_step_family").with_changes(sweeps=3)
    scope = Scope()
    qtbot.addWidget(scope)
    scope.stop_timer()  # frames by hand
    for b in sim.run_episode(family):  # the first cycle, a frame after each block
        scope.add_blocks([b])
        scope.redraw()
    strip = []
    monkeypatch.setattr(
        scope.vm_plot.layout, "setRowFixedHeight", lambda row, h: strip.append((row, h))
    )
    curves = [it for p in (scope.vm_plot, scope.im_plot) for it in p.listDataItems()]

    def picture():
        return (
            [
                (c.isVisible(), c.zValue(), c.opacity(), c.curve.opts["pen"].color().name())
                for c in curves
            ],
            [len(c.getData()[0] if c.getData()[0] is not None else ()) for c in curves],
            [label.text for _, label in scope.legend.items],
            scope.legend.isVisible(),
            scope.sweep_label.text(),
            scope.vm_plot.viewRange(),
        )

    before = picture()
    second = [b for b in sim.run_episode(family) if b.sweep == 0]
    assert second[0].t[0] == 0.0  # a new cycle's first sweep
    scope.add_blocks(second)
    assert picture() == before  # the delivery left the picture as it was
    scope.redraw()  # the scope's frame
    assert [sw.index for sw in scope.sweeps] == [0]
    assert [label.text for _, label in scope.legend.items] == ["sweep 1"]
    assert scope.legend.isVisible() and strip == []  # the strip stayed open
    shown = [c for c in curves if c.isVisible()]
    assert shown == [scope.sweeps[0].vm_item, scope.sweeps[0].im_item]


def test_a_reused_curve_pair_takes_its_new_sweeps_colour(qtbot):
    """A new Repeat cycle reuses the old sweeps' curves (making plot items costs ~10 ms a
    sweep); each keeps the colour of the sweep it now draws, and is drawn opaque."""
    from PySide6.QtGui import QColor

    from vlab.gui.scope import SWEEP_COLOURS, Scope
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    sim = RigSimulator(Rig("squid"))
    family = load_protocol("vc_step_family").with_changes(sweeps=3)
    scope = Scope()
    qtbot.addWidget(scope)
    scope.stop_timer()
    for _cycle in range(2):
        for b in sim.run_episode(family):
            scope.add_blocks([b])
            scope.redraw()
    assert [sw.index for sw in scope.sweeps] == [0, 1, 2]
    expected = [QColor(SWEEP_COLOURS[k]).name() for k in range(3)]
    for item in ("vm_item", "im_item"):
        pens = [getattr(sw, item).curve.opts["pen"].color().name() for sw in scope.sweeps]
        assert pens == expected
    assert scope.sweeps[-1].vm_item.opacity() == 1.0
    assert scope.sweeps[0].vm_item.opacity() < 1.0
