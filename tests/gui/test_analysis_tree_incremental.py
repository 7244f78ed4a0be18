"""The analysis workspace follows a long Repeat run without rebuilding (issue 10, item 1).

A Repeat run at 10x adds a few sweeps per refresh to ~1,000 in memory; rebuilding the whole
sweep tree (and redoing every analysis) at each refresh stalled the GUI for ~100 ms. Work
is counted here (tree items created, analyses redone), not timed.
"""

from __future__ import annotations

import copy
import gc

import pytest
from PySide6.QtCore import Qt
from shiboken6 import isValid

from vlab.gui.analysis_windows import AnalysisWindow, sweeps_from_run
from vlab.protocols import load_protocol
from vlab.sim.cell import Cell
from vlab.sim.engine import run_protocol

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def family():
    p = load_protocol("vc_step_family").with_changes(sweeps=4)
    return sweeps_from_run(run_protocol(Cell("squid"), p), p)


@pytest.fixture
def cycles(family):
    """``cycles(c)``: cycle ``c`` of a Repeat run of ``family`` (new sweep objects)."""

    def make(c: int, n: int | None = None) -> list:
        out = []
        for s in family[:n]:
            t = copy.copy(s)
            t.provenance = dict(
                s.provenance, run_id="repeat", cycle=c, repeat=True, n_sweeps=len(family)
            )
            out.append(t)
        return out

    return make


def _leaf(win, sweep):
    return next(leaf for leaf, s in win._leaves if s is sweep)


def test_a_refresh_that_appends_keeps_every_item(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = [s for c in range(5) for s in cycles(c)]
    win.set_sweeps(rec)
    items = {id(s): _leaf(win, s) for s in rec}
    run2 = _leaf(win, rec[5]).parent()
    run2.setExpanded(True)  # the student opened run 2
    created = win.counts["items_created"]
    rec += cycles(5)
    win.set_sweeps(rec)
    assert all(_leaf(win, s) is items[id(s)] for s in rec[:-4])  # the same objects
    assert win.counts["items_created"] - created == 4 + 1  # the new sweeps and their run
    assert _leaf(win, rec[5]).parent() is run2 and run2.isExpanded()
    assert len(win._leaves) == len(rec)


def test_dropped_sweeps_leave_and_the_others_keep_their_numbers(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = [s for c in range(3) for s in cycles(c)]
    win.set_sweeps(rec)
    text = _leaf(win, rec[6]).text(0)
    assert text.startswith("#7 ")
    created = win.counts["items_created"]
    rec = rec[5:] + cycles(3)  # the memory budget dropped the oldest five
    win.set_sweeps(rec)
    assert [s for _, s in win._leaves] == rec
    assert _leaf(win, rec[1]).text(0) == text  # sweep #7 stays #7
    assert win.counts["items_created"] - created == 4 + 1
    assert win.sweep_tree.topLevelItem(0).childCount() == 3  # runs: rest of 2, 3, 4


def test_nothing_is_recomputed_while_the_ticks_stay(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = cycles(0)
    win.set_sweeps(rec)
    assert win.ticked_sweeps() == rec and win.iv is not None
    done = win.counts["recomputed"]
    nxt = cycles(1)
    win.set_sweeps(rec + nxt[:2])  # the next cycle is filling: the whole one stays ticked
    assert win.ticked_sweeps() == rec and win.counts["recomputed"] == done
    win.set_sweeps(rec + nxt)  # ... until it is whole
    assert win.ticked_sweeps() == nxt and win.counts["recomputed"] == done + 1


def test_ticks_the_student_made_are_kept_and_recompute_once(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = cycles(0) + cycles(1)
    win.set_sweeps(rec)
    first_run = win.sweep_tree.topLevelItem(0).child(0)
    done = win.counts["recomputed"]
    first_run.setCheckState(0, Qt.CheckState.Checked)  # the student ticks run 1
    qtbot.waitUntil(lambda: win.counts["recomputed"] == done + 1)
    assert not win.follow_box.isChecked()
    done += 1
    win.set_sweeps(rec + cycles(2))
    assert win.counts["recomputed"] == done  # nothing ticked changed
    assert set(map(id, win.ticked_sweeps())) == set(map(id, rec))


def test_a_recompute_redraws_into_the_same_curves(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    win.set_sweeps(cycles(0))
    curves = win.iv_plot.getPlotItem().listDataItems()
    legend = [label.text for _, label in win.iv_plot.getPlotItem().legend.items]
    made = win.counts["plot_items_created"]
    win.set_sweeps(cycles(0) + cycles(1))  # the next whole cycle: every analysis redone
    assert win.counts["recomputed"] == 3 and win.counts["plot_items_created"] == made
    again = win.iv_plot.getPlotItem().listDataItems()
    assert len(again) == len(curves) and all(a is b for a, b in zip(again, curves, strict=True))
    assert [label.text for _, label in win.iv_plot.getPlotItem().legend.items] == legend
    assert len(win.phase_plot.getPlotItem().listDataItems()) == 4  # one loop per sweep


def _live_tree_items() -> int:
    from PySide6.QtWidgets import QTreeWidgetItem

    gc.collect()
    # type(), not isinstance(): isinstance on a dead weak proxy in the heap raises
    return sum(1 for o in gc.get_objects() if issubclass(type(o), QTreeWidgetItem) and isValid(o))


def test_the_items_of_dropped_runs_are_freed(qtbot, cycles):
    """PySide6's takeChild leaves a taken item owned by its old parent: the soak's tree
    kept every run the memory budget had dropped (18 items a cycle), and its upkeep grew
    with them for as long as the Repeat run lasted."""
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = [s for c in range(3) for s in cycles(c)]
    win.set_sweeps(rec)
    first_run = win.sweep_tree.topLevelItem(0).child(0)
    first_leaf = _leaf(win, rec[0])
    base = _live_tree_items()
    for c in range(3, 13):  # ten more cycles, the budget keeps three runs
        rec = rec[4:] + cycles(c)
        win.set_sweeps(rec)
    assert not isValid(first_run) and not isValid(first_leaf)  # freed, with its sweeps
    assert win.sweep_tree.topLevelItem(0).childCount() == 3
    assert _live_tree_items() == base  # 3 runs of 4 sweeps and their condition, still


def test_a_partly_dropped_run_frees_only_its_dropped_sweeps(qtbot, cycles):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    rec = [s for c in range(2) for s in cycles(c)]
    win.set_sweeps(rec)
    gone, kept = _leaf(win, rec[0]), _leaf(win, rec[1])
    win.set_sweeps(rec[1:])  # the budget dropped one sweep of run 1
    assert not isValid(gone) and isValid(kept) and _leaf(win, rec[1]) is kept
