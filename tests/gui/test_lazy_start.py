"""What the rig window hides at start is built when first shown (issue 10, item 7): the
Practical tab's list of practicals (every practical file parsed) and the *Inside the
membrane* view (six pyqtgraph plots). Both must work as before once shown.

What is imported before the first paint is checked in a fresh process by
``test_first_paint.py``.
"""

from __future__ import annotations

import math

import pytest

from vlab.rig import Rig

pytestmark = pytest.mark.gui


def test_the_practical_list_is_read_when_its_tab_is_first_selected(qtbot, monkeypatch):
    import vlab.practicals.loader as loader
    from vlab.gui.main_window import MainWindow
    from vlab.practicals import available_practicals, load_practical

    expected = [n for _o, n in sorted((load_practical(n).order, n) for n in available_practicals())]
    parsed: list[str] = []
    real_parse = loader.parse_practical

    def counting_parse(*args, **kwargs):
        parsed.append(kwargs.get("source", "?"))
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(loader, "parse_practical", counting_parse)
    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.first_painted, timeout=20_000):
        win.show()
    combo = win.practical.practical_combo
    assert parsed == [] and combo.count() == 0  # nothing read for the first paint

    win.docks["practical"].raise_()  # the student clicks the Practical tab
    qtbot.waitUntil(lambda: combo.count() > 0, timeout=5000)
    assert [combo.itemData(i) for i in range(combo.count())] == expected
    assert len(parsed) == len(expected)  # each file read once (was twice)
    assert win.practical.problems_label.isHidden()  # every built-in practical loads

    # and it works as before: choose one, type an ID, press Open
    combo.setCurrentIndex(combo.findData("hyperkalaemia"))
    win.practical.student_field.setText("s1")
    win.practical.open_button.click()
    assert win.practical.session is not None
    assert win.practical.session.practical.name == "hyperkalaemia"
    assert win.rig.cell.prep.name == "mammalian"  # its first step's preset is on the rig
    win.docks["stimulator"].raise_()
    win.docks["practical"].raise_()  # selected again: not read again
    assert combo.count() == len(expected) and len(parsed) == len(expected) + 1  # + the open
    win.close()


def test_the_membrane_view_is_built_when_first_shown_and_then_works(qtbot):
    from vlab.gui.main_window import MainWindow
    from vlab.gui.panels.membrane_view import MembraneView
    from vlab.practicals import ControlLock

    win = MainWindow(Rig("squid"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.scope.ring) > 0, timeout=60_000)  # streaming
    dock = win.docks["membrane_view"]
    assert win._membrane_view is None and not isinstance(dock.widget(), MembraneView)

    # set before it exists: the scope's cursors and a graded step hiding the reversals
    win.scope.set_cursors(0.004, 0.012)
    win._practical_lock(ControlLock(hidden=frozenset({"reversals"})))
    dock.toggleViewAction().trigger()  # View > Inside the membrane (Ctrl+M)
    mv = dock.widget()
    assert isinstance(mv, MembraneView) and mv is win.membrane_view
    assert mv.cursor_positions() == pytest.approx((0.004, 0.012))
    qtbot.waitUntil(lambda: "Vm" in mv.latest(), timeout=10_000)  # fed by the stream
    assert -0.1 < mv.latest()["Vm"] < 0.06  # a membrane potential, V
    assert all(math.isnan(v) for v in mv.driving_forces().values())  # V - E would show E

    mv.cursor_lines[2][1].setValue(0.015)  # dragged on the gates plot: the scope follows
    assert win.scope.cursor_positions() == pytest.approx((0.004, 0.015))
    win._practical_lock(ControlLock())  # the step is over: the reversals come back
    qtbot.waitUntil(lambda: math.isfinite(mv.driving_forces()["K"]), timeout=10_000)
    win.close()
