"""The rig fits the screens schools have: 1024x768 and 1366x768 laptops, and a projector.

Screenshot tests (offscreen): the window is laid out at the size a maximised window gets
on such a screen (the task bar and title bar take ~70 px of the 768), every panel is
shown in turn, and :func:`layout_check.layout_problems` lists what a student would see as
broken (clipped or squeezed widgets, text that does not fit, overlaps, sideways scrolling,
a tool bar folding its buttons away, a scope narrower than half the window).
"""

from __future__ import annotations

import pytest
from layout_check import layout_problems
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication, QHeaderView, QMenu, QTabBar

from vlab.gui.geometry import place_window, remember_window

LAPTOPS = {"1024x768": QSize(1024, 700), "1366x768": QSize(1366, 700)}


@pytest.fixture
def still_window(idle_window, rig):
    """The rig window without its simulation thread, after a VC family (full tables)."""
    from vlab.protocols import load_protocol

    rig.set_protocol(load_protocol("vc_step_family"))
    idle_window.run_protocol_now()
    return idle_window


def _each_panel(win):
    """Raise each tabbed panel in turn (yielding its key) so that each is laid out."""
    for key, dock in win.docks.items():
        if dock in win._tab_docks:
            dock.raise_()
            QApplication.processEvents()
            yield key


@pytest.mark.parametrize("screen", sorted(LAPTOPS))
def test_every_panel_fits_a_laptop_screen(still_window, screen, tmp_path):
    win = still_window
    win.resize(LAPTOPS[screen])
    QApplication.processEvents()
    problems = []
    for key in _each_panel(win):
        problems += [f"{key}: {p}" for p in layout_problems(win, check_screen=False)]
        assert not win.grab().isNull()  # the screenshot a student would see
    assert problems == []
    # the scope's tool bar shows every button and the scope has at least half the width
    assert win.centralWidget().width() >= win.width() // 2
    for b in (win.scope.keep_box, win.scope.clear_button, win.scope.cursor_button):
        assert b.isVisible() and not b.visibleRegion().isEmpty()


def test_the_checker_sees_a_squeezed_window(still_window):
    """The check is not vacuous: the same window at 700x500 is reported broken."""
    still_window.resize(700, 500)
    QApplication.processEvents()
    assert layout_problems(still_window, check_screen=False)


def test_projector_scale_scales_menus_tables_tabs_and_plots(still_window):
    win = still_window
    base = QApplication.font().pointSizeF()
    axis_before = win.scope.vm_plot.getAxis("left").label.font().pointSizeF()
    win.set_ui_scale(1.5)
    win.resize(LAPTOPS["1366x768"])
    QApplication.processEvents()
    assert QApplication.font().pointSizeF() == pytest.approx(1.5 * base, rel=0.02)
    menu = win.menuBar().findChildren(QMenu)[0]
    assert menu.font().pointSizeF() == pytest.approx(1.5 * base, rel=0.02)
    assert win.menuBar().font().pointSizeF() == pytest.approx(1.5 * base, rel=0.02)
    for bar in win.findChildren(QTabBar):
        assert bar.font().pointSizeF() == pytest.approx(1.5 * base, rel=0.02)
    for h in win.findChildren(QHeaderView):
        assert h.font().pointSizeF() == pytest.approx(1.5 * base, rel=0.02)
    assert win.amplifier.vm_readout.font().pointSizeF() > 1.5 * base
    axis_after = win.scope.vm_plot.getAxis("left").label.font().pointSizeF()
    assert axis_after == pytest.approx(1.5 * axis_before, rel=0.05)
    # nothing clipped; the tabbed side panels may scroll at this size
    problems = []
    for key in _each_panel(win):
        problems += [
            f"{key}: {p}"
            for p in layout_problems(win, check_screen=False, vertical_scroll=True)
            if "sideways" not in p or "Stimulator" in p or "Amplifier" in p
        ]
    assert problems == []
    win.close()
    assert QApplication.font().pointSizeF() == pytest.approx(base)  # restored


# ---------------------------------------------------------------- placement on the screen
def _frame_fits(win, area: QRect) -> bool:
    g = win.geometry()
    return g.width() <= area.width() and g.height() + 40 <= area.height() and area.contains(g)


@pytest.mark.parametrize("w,h", [(1024, 768), (1366, 768), (1280, 800)])
def test_small_screens_open_maximised(qtbot, w, h):
    from PySide6.QtWidgets import QWidget

    win = QWidget()
    qtbot.addWidget(win)
    area = QRect(0, 0, w, h)
    assert place_window(win, None, QSize(1280, 800), area) is True
    assert _frame_fits(win, area)


def test_a_large_screen_opens_at_the_default_size_centred(qtbot):
    from PySide6.QtWidgets import QWidget

    win = QWidget()
    qtbot.addWidget(win)
    area = QRect(0, 0, 1920, 1080)
    assert place_window(win, None, QSize(1280, 800), area) is False
    assert win.size() == QSize(1280, 800)
    assert win.x() == (1920 - 1280) // 2


@pytest.mark.parametrize(
    "saved",
    [
        {"x": 900, "y": 600, "w": 1280, "h": 800, "maximised": False},  # from a bigger screen
        {"x": -3000, "y": 5000, "w": 500, "h": 400, "maximised": False},  # off screen
        {"x": 10, "y": 10, "w": 99999, "h": 99999},
    ],
)
def test_a_remembered_place_is_moved_into_the_screen(qtbot, saved):
    from PySide6.QtWidgets import QWidget

    win = QWidget()
    qtbot.addWidget(win)
    area = QRect(0, 0, 1024, 768)
    assert place_window(win, saved, QSize(1280, 800), area) is False
    assert _frame_fits(win, area)


@pytest.mark.parametrize("saved", [{"x": "left"}, {"w": None}, [], "garbage"])
def test_a_damaged_remembered_place_falls_back_to_the_default(qtbot, saved):
    from PySide6.QtWidgets import QWidget

    win = QWidget()
    qtbot.addWidget(win)
    area = QRect(0, 0, 1920, 1080)
    assert place_window(win, saved, QSize(1280, 800), area) is False
    assert win.size() == QSize(1280, 800)


def test_a_remembered_place_round_trips_through_the_settings(qtbot, tmp_path):
    from PySide6.QtWidgets import QWidget

    from vlab.settings import Settings

    win = QWidget()
    qtbot.addWidget(win)
    area = QRect(0, 0, 1920, 1080)
    place_window(win, {"x": 100, "y": 120, "w": 900, "h": 600}, QSize(1280, 800), area)
    s = Settings(tmp_path / "settings.json")
    s.set("window_geometry", {"main": remember_window(win)})
    s.save()
    again = Settings(tmp_path / "settings.json").get("window_geometry")["main"]
    assert (again["w"], again["h"], again["maximised"]) == (900, 600, False)


def test_the_rig_window_remembers_its_place_when_closed(qtbot, rig):
    from vlab.gui.main_window import MainWindow
    from vlab.settings import Settings

    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    win.show_placed()
    win.resize(700, 560)
    QApplication.processEvents()
    win.close()
    saved = Settings().get("window_geometry")["main"]
    assert (saved["w"], saved["h"]) == (700, 560)


# ---------------------------------------------------------------- labels on the scope
def _label_rects(scope):
    return {
        ion: line.label.sceneBoundingRect()
        for ion, line in scope.e_lines.items()
        if line.isVisible() and line.label.isVisible()
    }


@pytest.mark.parametrize("preparation", ["squid", "mammalian"])
def test_reversal_labels_inside_the_plot_and_apart(qtbot, preparation):
    """E_Na (+61 mV on the mammalian cell) sits near the top of the Vm plot: its label must
    not be cut off there, and no two E labels may overlap."""
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig(preparation), start_worker=False)
    qtbot.addWidget(win)
    win.resize(LAPTOPS["1024x768"])
    win.show()
    win.run_protocol_now()
    win.scope.autoscale()
    QApplication.processEvents()
    view = win.scope.vm_plot.vb.sceneBoundingRect()
    rects = _label_rects(win.scope)
    assert "Na" in rects
    for ion, r in rects.items():
        assert view.contains(r), f"E{ion} label {r} cut off by the plot {view}"
    items = list(rects.items())
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1 :]:
            assert not ra.intersects(rb), f"E{a} and E{b} labels overlap"
    win.close()


@pytest.mark.parametrize("screen", sorted(LAPTOPS))
def test_the_axon_bench_fits_a_laptop_screen(qtbot, screen):
    from vlab.gui.axon_view import AxonWindow
    from vlab.gui.worker import live_threads

    w = AxonWindow(preparation="squid_axon")
    qtbot.addWidget(w)
    w.resize(LAPTOPS[screen])
    w.show()
    qtbot.waitExposed(w)
    assert layout_problems(w, check_screen=False, min_central_share=0) == []
    w.close()
    assert not w.host.worker_thread.isRunning() and not live_threads()


def test_the_axon_bench_opens_within_the_screen(qtbot, rig):
    """Opened from the rig window, the bench is placed like the rig: within the screen."""
    from vlab.gui.axon_view import AxonWindow
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    win.open_axon_bench()
    bench = next(w for w in win.extra_windows() if isinstance(w, AxonWindow))
    area = bench.screen().availableGeometry()
    assert bench.isVisible()
    assert bench.width() <= area.width() and bench.height() <= area.height()
    win.close()


@pytest.mark.parametrize("screen", sorted(LAPTOPS))
def test_an_open_graded_practical_fits_a_laptop_screen(still_window, screen):
    """The practical panel with a long title, the graded-mode banner, a written-answer
    box and the score line: no sideways scrolling or clipped control at either size (at
    1024 px it once needed 532 px in a 488 px dock, hiding Open and Export report)."""
    from vlab.practicals.classes import create_class

    win = still_window
    win.resize(LAPTOPS[screen])
    pack = create_class("phys101", ["s002"], title="Physiology 101", secret=b"s" * 32).pack()
    win.practical.open_practical("threshold_peak", "s002", klass=pack)
    win.docks["practical"].raise_()
    win.practical.go_to(3)  # typed questions and a written answer
    QApplication.processEvents()
    assert "explain_collapse" in win.practical.question_boxes
    assert layout_problems(win, check_screen=False) == []
    for b in (win.practical.open_button, win.practical.report_button):
        assert b.isVisible() and b.visibleRegion().boundingRect().width() == b.width()


@pytest.mark.parametrize("size", sorted(LAPTOPS))
def test_membrane_view_keys_sit_above_the_curves(qtbot, size):
    """Each plot's key names its curves above the data, within the plot. Inside the plot a
    legend hid the curves under it (n's rise at 1024 px), and one wider than its plot lost
    its left edge ("m (Na+ act.)" its "m")."""
    import re

    from vlab.gui.main_window import MainWindow
    from vlab.gui.panels.membrane_view import _CURVES
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    win.resize(LAPTOPS[size])
    win.show()
    win.docks["membrane_view"].show()
    mv = win.membrane_view
    win.run_protocol_now()
    mv.flush()
    QApplication.processEvents()
    widths = set()
    for k, (plot, head) in enumerate(zip(mv.plots, mv.titles, strict=True)):
        view = plot.getViewBox().sceneBoundingRect()
        m = head.document().documentMargin()  # the text, without its document's margin
        r = head.mapRectToScene(head.boundingRect().adjusted(m, m, -m, -m))
        assert plot.sceneBoundingRect().contains(r), f"title {k} {r} cut off by its plot"
        assert r.bottom() <= view.top() + 1, f"title {k} {r} over the data {view}"
        assert r.left() >= view.left() - 1 and r.right() <= view.right() + 1
        text = re.sub(r"<[^>]+>", "", head.toPlainText())
        names = [lab for row, _, _, lab in _CURVES.values() if row + 2 == k]
        shown = [n for n in names if n in _CURVES and mv.curves[n].getViewBox() is not None]
        for key in (n for n in _CURVES if _CURVES[n][0] + 2 == k):
            label = re.sub(r"<[^>]+>", "", _CURVES[key][3])
            if mv.curves[key].getViewBox() is not None and len(shown) > 1:
                assert label in text, f"{label!r} missing from {text!r}"
        widths.add(round(view.width()))
    assert len(widths) == 1, f"the plots' widths differ: {widths}"  # no title squeezes one
    win.shutdown()
    win.close()


@pytest.mark.parametrize("screen", sorted(LAPTOPS))
@pytest.mark.parametrize(
    "preparation,protocol",
    [
        ("squid", "vc_step_family"),
        ("squid", "threshold_search"),
        ("mammalian", "fi_steps"),
        ("mammalian", "vc_step_family"),
    ],
)
def test_the_sweep_legend_leaves_the_reversal_labels_readable(qtbot, screen, preparation, protocol):
    """The scope names its newest sweeps in a legend. Inside the Vm plot (bottom right) it
    hid the traces under it and, at 1024 px, reached E_K's or E_Cl's label: it now sits in
    a strip above the plot, which closes when there is no legend (gap-free)."""
    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.rig import Rig

    rig = Rig(preparation)
    rig.set_protocol(load_protocol(protocol))
    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    win.resize(LAPTOPS[screen])
    win.show()
    win.run_protocol_now()
    win.scope.autoscale()
    win.scope.redraw()
    QApplication.processEvents()
    legend = win.scope.legend
    assert legend.isVisible() and len(legend.items) == win.scope.LEGEND_MAX
    box = legend.sceneBoundingRect()
    assert win.scope.vm_plot.sceneBoundingRect().contains(box), "legend cut off"
    assert not box.intersects(win.scope.vm_plot.vb.sceneBoundingRect()), "legend over traces"
    for ion, r in _label_rects(win.scope).items():
        assert not box.intersects(r), f"the legend covers E{ion}'s label at {screen}"
    strip = (
        win.scope.vm_plot.vb.sceneBoundingRect().top() - win.scope.vm_plot.sceneBoundingRect().top()
    )
    win.scope.set_display("gap-free")
    QApplication.processEvents()
    assert not legend.isVisible()
    gap_free = (
        win.scope.vm_plot.vb.sceneBoundingRect().top() - win.scope.vm_plot.sceneBoundingRect().top()
    )
    assert gap_free < strip - box.height() / 2  # the strip closed: the Vm plot has its height back
    win.close()


def test_the_analysis_window_fits_a_1024_px_screen(qtbot):
    """Its I-V controls in one row made it 1,059 px wide at least: on a 1024x768 laptop the
    row and the plot's right edge were cut off (seen under Xvfb + openbox)."""
    from vlab.gui.geometry import FRAME_ALLOWANCE
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    analysis = win._ensure_analysis()
    assert analysis.minimumSizeHint().width() <= 1024 - FRAME_ALLOWANCE.width()
    win.shutdown()
