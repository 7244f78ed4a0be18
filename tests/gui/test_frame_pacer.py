"""The live views redraw in turns (vlab/gui/frame_pacer.py): Qt painted the scope, the
membrane view and the analysis window in one paint event whenever their own timers met
in one turn of the event loop, and that was the longest stretch of GUI-thread work of the
10x Repeat soak (bench/bench_soak.py, docs/performance.md)."""

from __future__ import annotations

import pytest

from vlab.gui.frame_pacer import FramePacer

pytestmark = pytest.mark.gui


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_client_draws_per_tick_in_turns_at_most_at_its_rate(qapp):
    clock = Clock()
    pacer = FramePacer(hz=60, clock=clock)
    pacer.stop()  # driven by hand
    drawn: list[str] = []
    busy = {"a": True, "b": True, "c": False}

    def client(name):
        def redraw() -> bool:
            if busy[name]:
                drawn.append(name)
            return busy[name]

        return redraw

    pacer.add("a", client("a"), hz=60)
    pacer.add("b", client("b"), hz=10)
    pacer.add("c", client("c"), hz=60)
    names = []
    for _ in range(12):  # 12 ticks 1/60 s apart, the event loop idle in between
        names.append(pacer.tick())
        clock.now += 1 / 60
        pacer.went_idle()
    assert drawn == [n for n in names if n is not None]  # one frame per tick at most
    assert names[:2] == ["a", "b"]  # turns go round
    assert pacer.frames("b") == 2  # 10 Hz over 0.2 s, not every other tick
    assert pacer.frames("a") == 10 and pacer.frames("c") == 0  # an idle client gives way
    busy["c"] = True
    assert pacer.tick() == "c"  # it is asked first after "a" drew


def test_the_rig_window_paces_its_views(qtbot, monkeypatch):
    """In the rig window the scope and the membrane view have no timers of their own; with
    new data for both, one tick redraws one of them and the next tick the other."""
    from vlab.gui import gc_guard
    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    monkeypatch.setattr(gc_guard, "due", lambda: False)  # its turn: the test below
    rig = Rig("squid")
    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    win.show()
    win.docks["membrane_view"].show()
    mv = win.membrane_view
    win.pacer.stop()  # driven by hand
    clock = win.pacer.clock = Clock()
    assert not win.scope._timer.isActive() and not mv._draw_timer.isActive()
    sim = RigSimulator(rig)
    sim.start_episode(load_protocol("vc_step_family"))
    win.scope.begin_episode(0.03)
    blocks = []
    while len(blocks) < 4:
        b = sim.step(0.01)
        if b is not None:
            blocks.append(b)
    views = {"scope": win.scope.redraw, "membrane view": mv._on_timer}
    win.on_blocks(blocks[:1])  # the scope draws its first data at once (the test below)
    clock.now += 1.0
    assert win.pacer.tick() == "membrane view" and win.pacer.tick() is None
    for b in blocks[1:]:
        win.on_blocks([b])  # new data for both views
        turns = []
        for _ in range(2):
            clock.now += 1.0  # every view is due
            name = win.pacer.tick()
            assert name in views
            assert not views[name]()  # it drew at its turn: nothing left for it
            turns.append(name)
        assert sorted(turns) == ["membrane view", "scope"]  # one per tick, both in two
    x, _ = mv.curves["Vm"].getOriginalDataset()
    assert x[-1] == pytest.approx(blocks[-1].t[-1])  # nothing lost: the newest data shown
    win.shutdown()
    assert not win.pacer.timer.isActive()


def test_garbage_collection_takes_a_turn_of_its_own(qtbot, monkeypatch):
    """A full collection (gc_guard, ~40 ms in the soak) falling into the turn of a view's
    paint made one stall of both; the window's pacer gives it a tick of its own."""
    from vlab.gui import gc_guard
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    win.pacer.stop()
    clock = win.pacer.clock = Clock()
    collected = []
    monkeypatch.setattr(gc_guard, "installed", lambda: True)
    monkeypatch.setattr(gc_guard, "due", lambda: not collected)
    monkeypatch.setattr(gc_guard, "collect_due", lambda: collected.append(1) or 0)
    win.scope._dirty = True  # a frame waiting too
    names = []
    for _ in range(3):
        clock.now += 1.0
        names.append(win.pacer.tick())
    assert collected == [1]
    assert sorted(n for n in names if n) == ["garbage collection", "scope"]  # apart
    win.shutdown()


def test_the_open_workspace_follows_the_recording_at_its_turns(qtbot):
    """Sweeps recorded while the analysis workspace is open reach it at its next turn of
    the pacer, many sweeps in one refresh, and not again until another sweep arrives."""
    import numpy as np

    from vlab.gui.main_window import MainWindow
    from vlab.recording import Sweep
    from vlab.rig import Rig

    def make_sweep(k):
        v = np.full(200, -0.065)
        return Sweep(k, 2e-5, {"Vm": v, "Im": 0 * v}, provenance={"mode": "VC"})

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    win.pacer.stop()
    clock = win.pacer.clock = Clock()
    win.open_analysis()
    for k in range(3):
        win.record_sweep(make_sweep(k))
    assert len(win.analysis.sweeps) == 0  # not yet: at the workspace's turn
    turns = []
    for _ in range(4):
        clock.now += 1.0
        turns.append(win.pacer.tick())
    assert turns.count("analysis") == 1  # three sweeps, one refresh
    assert len(win.analysis.sweeps) == 3
    win.shutdown()


def test_the_workspace_redoes_its_analyses_one_a_turn(qtbot, monkeypatch):
    """A refresh that ticks a newly completed run leaves the analyses (I-V, G-V fit, f-I,
    phase plane, comparison) to turns of their own, one analysis a turn: tree and analyses
    together were the longest turn of the soak (up to 23 ms of GUI work at 10x Repeat),
    and the analyses alone, painted in the same turn, up to 48 ms."""
    import numpy as np

    from vlab.gui.main_window import MainWindow
    from vlab.recording import Sweep
    from vlab.rig import Rig

    def make_sweep(k, run):
        v = np.full(200, -0.065)
        prov = {"mode": "VC", "run_id": run, "protocol_name": "p"}
        return Sweep(k, 2e-5, {"Vm": v, "Im": 0 * v}, provenance=prov)

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    win.pacer.stop()
    clock = win.pacer.clock = Clock()
    win.open_analysis()
    ws = win.analysis
    redone: list[str] = []
    steps = ("_update_iv", "_update_gv", "_update_fi", "_update_phase", "_update_compare")
    for name in steps:
        real = getattr(ws, name)
        monkeypatch.setattr(
            ws, name, lambda *a, real=real, name=name: (redone.append(name), real(*a))[1]
        )

    def turns(n: int) -> list[tuple[str | None, list[str]]]:
        """(who drew, the analyses redone) at each of the next n ticks."""
        out = []
        for _ in range(n):
            clock.now += 1.0  # every client may draw
            k = len(redone)
            out.append((win.pacer.tick(), redone[k:]))
        return out

    win.record_sweep(make_sweep(0, "a"))
    first = turns(3)
    assert ("analysis", list(steps)) in first  # the first sweeps: tree and analyses at once
    done = ws.counts["recomputed"]
    win.record_sweep(make_sweep(1, "b"))  # a new run: the newest run gets the ticks
    later = turns(12)
    assert ("analysis", []) in later  # the tree's turn
    assert len(ws.sweeps) == 2
    assert [r for who, r in later if who == "analyses"] == [[s] for s in steps]
    assert all(r == [] for who, r in later if who != "analyses")
    assert ws.counts["recomputed"] == done + 1 and not ws.recompute_pending
    win.shutdown()


def test_the_scopes_first_data_is_drawn_at_once(qtbot):
    """Start-up: the first live frame does not wait for the pacer's next turn (up to
    17 ms); later data does."""
    from vlab.gui.scope import Scope
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator

    scope = Scope()
    qtbot.addWidget(scope)
    pacer = FramePacer(hz=60.0)
    pacer.timer.stop()  # turns only when the test says
    scope.pace(pacer)
    sim = RigSimulator(Rig("squid"))
    frames: list[int] = []
    scope.frame_painted.connect(lambda: frames.append(1))
    scope.add_blocks([sim.step(0.005, sim.rig.settings)])
    assert frames == [1] and scope.vm_curve.getData()[0].size > 0
    scope.add_blocks([sim.step(0.005, sim.rig.settings)])
    assert frames == [1]  # waits for its turn
    assert pacer.tick() == "scope" and frames == [1, 1]
    pacer.stop()


def _hand_driven(clock: Clock, *names: str) -> FramePacer:
    """A 60 Hz pacer whose timer is stopped (the test calls ``tick``), with clients that
    always have a new frame."""
    pacer = FramePacer(hz=60, clock=clock)
    pacer.stop()
    for name in names:
        pacer.add(name, lambda: True, hz=60)
    return pacer


def test_a_tick_early_after_a_frame_gives_nobody_a_turn(qapp):
    """A timer that fired late fires again early; the two frames (their work and their
    paints) then ran back to back in one stretch of the GUI thread."""
    clock = Clock()
    pacer = _hand_driven(clock, "a", "b")
    assert pacer.tick() == "a"
    pacer.went_idle()
    clock.now += 0.5 / 60  # the catch-up tick, half an interval later
    assert pacer.tick() is None
    clock.now += 0.5 / 60
    assert pacer.tick() == "b"
    busy = [False]
    idle = FramePacer(hz=60, clock=clock)
    idle.stop()
    idle.add("c", lambda: busy[0], hz=60)
    assert idle.tick() is None
    busy[0] = True
    assert idle.tick() == "c"  # a tick that drew nothing holds the next one back not at all


def test_the_next_frame_waits_for_the_event_loop_to_go_idle(qapp):
    """A frame's paint, input and other timers come before the next view's frame: in a
    10x Repeat soak a late timer gave the next view its turn while the first view's
    paint was still queued, and the two frames made one stretch of 60-90 ms. A loop that
    never goes idle still gets a frame every ``max_wait``."""
    clock = Clock()
    pacer = _hand_driven(clock, "a", "b")
    assert pacer.tick() == "a"
    clock.now += 2 / 60  # the next tick, late
    assert pacer.tick() is None  # the loop has not gone idle since "a"'s frame
    pacer.went_idle()
    assert pacer.tick() == "b"
    clock.now += pacer.max_wait  # saturated: never idle, yet a frame after max_wait
    assert pacer.tick() == "a"


def test_the_pacer_hears_the_event_loop_go_idle(qtbot):
    """``went_idle`` is the GUI thread's event dispatcher's ``aboutToBlock``."""
    clock = Clock()
    pacer = _hand_driven(clock, "a")
    assert pacer.tick() == "a"
    clock.now += 2 / 60
    assert pacer.tick() is None
    qtbot.waitUntil(lambda: pacer._idle, timeout=5000)  # the loop runs and goes idle
    assert pacer.tick() == "a"


def test_the_next_frame_waits_for_the_frames_paint(qtbot):
    """On X, Qt paints a changed view after an update request that waits on a timer of its
    own, so the event loop can go idle between a frame and its paint; in a 10x Repeat
    soak the next view's frame then followed the scope's 17 ms paint at once. A paint of
    a watched view counts as work: only an idle loop after it lets the next frame come."""
    import pyqtgraph as pg

    clock = Clock()
    pacer = FramePacer(hz=60, clock=clock)
    pacer.stop()
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    view.addPlot().plot([0.0, 1.0], [0.0, 1.0])
    view.show()
    qtbot.waitExposed(view)
    pacer.add("a", lambda: True, hz=60, views=[view])
    pacer.add("b", lambda: True, hz=60)
    assert pacer.tick() == "a"
    pacer.went_idle()  # idle before the paint came
    view.grab()  # the frame's paint (a paint event to the view's viewport)
    clock.now += 2 / 60
    assert pacer.tick() is None  # not idle since that paint
    pacer.went_idle()
    assert pacer.tick() == "b"


def test_the_rig_window_watches_its_views_paints(qtbot, monkeypatch):
    """The paints of the scope, the membrane view and the analysis workspace count as
    work for the rig window's pacer."""
    from vlab.gui import gc_guard
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    monkeypatch.setattr(gc_guard, "due", lambda: False)
    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    win.show()
    win.docks["membrane_view"].show()
    win.pacer.stop()
    analysis = win._ensure_analysis()
    qtbot.addWidget(analysis)
    analysis.show()
    qtbot.waitExposed(win)
    qtbot.waitExposed(analysis)
    views = [win.scope.glw, win.membrane_view.graphics, analysis.iv_plot]
    for view in views:
        win.pacer.went_idle()
        view.grab()  # a paint event to the view's viewport
        assert not win.pacer._idle, view
    win.shutdown()
