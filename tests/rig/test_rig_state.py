"""Rig: undo/redo, experiment-file state, the shared lock."""

from __future__ import annotations

import threading

import pytest

from vlab.protocols import load_protocol
from vlab.rig import ClampMode, Rig, RigError
from vlab.rig.settings import BathReport


def test_undo_redo_mode_and_holding():
    rig = Rig()
    events = []
    rig.subscribe(lambda k, d: events.append(k))
    rig.set_mode("VC")
    rig.set_holding(-0.080)
    assert rig.amplifier.mode == ClampMode.VC and rig.amplifier.holding_now == -0.080
    rig.undo()
    assert rig.amplifier.holding[ClampMode.VC] == -0.065
    rig.undo()
    assert rig.amplifier.mode == ClampMode.CC
    assert not rig.can_undo and rig.can_redo
    rig.redo()
    rig.redo()
    assert rig.amplifier.mode == ClampMode.VC and rig.amplifier.holding_now == -0.080
    assert events.count("history") == 4


def test_clear_history():
    rig = Rig()
    rig.set_mode("VC")
    rig.clear_history()
    assert not rig.can_undo and not rig.can_redo


def test_state_round_trip():
    rig = Rig("squid")
    rig.set_mode("VC")
    rig.set_holding(-0.07)
    rig.set_gain(5)
    rig.set_filter(2000.0)
    rig.set_parameter("K_out", "20 mM")
    rig.apply_drug("TTX", 1e-4)
    rig.set_protocol(load_protocol("vc_step_family"))
    state = rig.state_dict()
    other = Rig("mammalian")
    other.load_state(state)
    assert other.state_dict() == state
    # the perfusion resumes where it was: TTX in the perfusate, not yet at the membrane
    assert other.bath.applied() == {"TTX": pytest.approx(1e-4)}
    assert "TTX" not in other.cell.drugs
    assert other.protocol == rig.protocol
    other.undo()  # loading is one undo step
    assert other.cell.prep.name == "mammalian"


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.update(version=99),
        lambda s: s.update(preparation="octopus"),
        lambda s: s["amplifier"].update(gain=3),
        lambda s: s["amplifier"]["holding"].update(VC=5.0),
        lambda s: s["parameters"].update(K_out=-1.0),
        lambda s: s.update(drugs_applied={"TTX": -1.0}),
        lambda s: s.update(protocol_toml="not = [toml"),
    ],
)
def test_bad_state_changes_nothing(damage):
    rig = Rig()
    rig.set_protocol(load_protocol("single_pulse"))
    before = rig.state_dict()
    state = Rig().state_dict()
    damage(state)
    with pytest.raises(RigError):
        rig.load_state(state)
    assert rig.state_dict() == before


class SpyLock:
    """A re-entrant lock that counts how often it was taken and knows whether it is held."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.depth = 0
        self.taken = 0

    def __enter__(self):
        self._lock.acquire()
        self.depth += 1
        self.taken += 1
        return self

    def __exit__(self, *exc) -> None:
        self.depth -= 1
        self._lock.release()


class WatchedRig(Rig):
    """A rig whose attributes may only be replaced while its (spy) lock is held."""

    def __setattr__(self, name, value):
        lock = self.__dict__.get("lock")
        if isinstance(lock, SpyLock) and lock.depth == 0:
            raise AssertionError(f"rig.{name} replaced without holding rig.lock")
        super().__setattr__(name, value)


def _with_history(rig):
    rig.set_gain(2)
    return rig


def _undone(rig):
    rig.set_gain(2)
    rig.undo()
    return rig


#: every public Rig method that changes something -> (prepare the rig, call the method)
MUTATORS = {
    "set_locked": (None, lambda r: r.set_locked({"mode"})),
    "clear_history": (_with_history, lambda r: r.clear_history()),
    "undo": (_with_history, lambda r: r.undo()),
    "redo": (_undone, lambda r: r.redo()),
    "set_mode": (None, lambda r: r.set_mode("VC")),
    "set_holding": (None, lambda r: r.set_holding(1e-9)),
    "set_gain": (None, lambda r: r.set_gain(5)),
    "set_filter": (None, lambda r: r.set_filter(2_000.0)),
    "set_parameter": (None, lambda r: r.set_parameter("K_out", "20 mM")),
    "set_parameters": (None, lambda r: r.set_parameters({"K_out": "20 mM", "K_in": "300 mM"})),
    "fresh_bath": (lambda r: r.apply_drug("TTX", 1e-4) or r, lambda r: r.fresh_bath()),
    "report_bath": (
        lambda r: r.apply_drug("TTX", 1e-4) or r,
        lambda r: r.report_bath(BathReport(r.settings.bath_epoch, r.bath.state())),
    ),
    "set_practical_tag": (None, lambda r: r.set_practical_tag({"practical": "x"})),
    "set_preparation": (None, lambda r: r.set_preparation("mammalian")),
    "apply_drug": (None, lambda r: r.apply_drug("TTX", 1e-4, equilibrated=True)),
    "wash_drug": (lambda r: r.apply_drug("TTX", 1e-4) or r, lambda r: r.wash_drug("TTX")),
    "sync_drugs_to_cell": (None, lambda r: r.sync_drugs_to_cell()),
    "set_protocol": (None, lambda r: r.set_protocol(load_protocol("single_pulse"))),
    "load_state": (None, lambda r: r.load_state(Rig("mammalian").state_dict())),
    "subscribe": (None, lambda r: r.subscribe(print)),
    "unsubscribe": (lambda r: r.subscribe(print) or r, lambda r: r.unsubscribe(print)),
}
#: public methods and properties that only read
QUERIES = {
    "state_dict",
    "undo_text",
    "redo_text",
    "parameter_group",
    "can_undo",
    "can_redo",
    "settings",
    "practical_tag",
    "bath_report",
}


def test_every_public_rig_method_is_classified():
    public = {n for n in dir(Rig) if not n.startswith("_") and callable(getattr(Rig, n, None))}
    public |= {n for n, v in vars(Rig).items() if isinstance(v, property)}
    public -= set(Rig.LOCK_LABELS) | {"LOCK_LABELS"}
    assert public == set(MUTATORS) | QUERIES


@pytest.mark.parametrize("name", sorted(MUTATORS))
def test_mutators_take_the_lock(name):
    """Every mutator holds rig.lock while it replaces the rig's parts and while it tells
    listeners (the simulation thread reads the rig under the same lock)."""
    prepare, call = MUTATORS[name]
    rig = WatchedRig()
    if prepare is not None:
        prepare(rig)
    spy = SpyLock()
    rig.lock = spy
    outside = []
    rig.subscribe(lambda kind, _d: outside.append(kind) if spy.depth == 0 else None)
    spy.taken = 0
    call(rig)
    assert spy.taken >= 1, f"Rig.{name} did not take rig.lock"
    assert spy.depth == 0
    assert not outside, f"Rig.{name} notified listeners outside the lock: {outside}"


def test_the_lock_blocks_a_mutator_in_another_thread():
    rig = Rig()
    done = threading.Event()

    def other():
        rig.set_mode("VC")
        done.set()

    with rig.lock:
        t = threading.Thread(target=other)
        t.start()
        # the other thread can only be waiting for the lock we hold
        assert rig.amplifier.mode == ClampMode.CC and not done.is_set()
    t.join(10)
    assert done.is_set() and rig.amplifier.mode == ClampMode.VC


def test_equilibrated_drug_reaches_the_cell_at_once():
    rig = Rig()
    rig.apply_drug("TTX", 1e-4, equilibrated=True)
    assert rig.cell.drugs["TTX"] == pytest.approx(1e-4)
    rig.apply_drug("TEA", 1.0)
    assert "TEA" not in rig.cell.drugs


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_dial_turn_is_one_undo_step():
    """40 positions of the CC holding knob, 50 ms apart, are one undo entry."""
    rig = Rig()
    rig.clock = clock = _Clock()
    before = rig.amplifier.holding[ClampMode.CC]
    for k in range(1, 41):
        clock.now += 0.05
        rig.set_holding(k * 1e-11, "CC")
    assert len(rig._undo) == 1 and rig.undo_text() == "holding CC"
    rig.undo()
    assert rig.amplifier.holding[ClampMode.CC] == before and not rig.can_undo
    rig.redo()
    assert rig.amplifier.holding[ClampMode.CC] == pytest.approx(40e-11)


def test_separate_adjustments_stay_separate_undo_steps():
    rig = Rig()
    rig.clock = clock = _Clock()
    rig.set_holding(1e-10, "CC")
    clock.now += 0.1
    rig.set_holding(2e-10, "CC")  # same turn
    clock.now += Rig.MERGE_WINDOW + 0.1
    rig.set_holding(3e-10, "CC")  # a new adjustment after a pause
    clock.now += 0.1
    rig.set_gain(2)  # another setting in between ...
    clock.now += 0.1
    rig.set_holding(4e-10, "CC")  # ... ends the run
    assert [text for text, _ in rig._undo] == ["holding CC", "holding CC", "gain", "holding CC"]
    rig.undo()
    rig.undo()
    assert rig.amplifier.holding[ClampMode.CC] == pytest.approx(3e-10) and rig.amplifier.gain == 1
    clock.now += 0.1
    rig.set_holding(5e-10, "CC")  # after an undo a change is a new step, never merged
    rig.undo()
    assert rig.amplifier.holding[ClampMode.CC] == pytest.approx(3e-10)


def test_parameter_and_mode_changes_merge_only_with_themselves():
    rig = Rig()
    rig.clock = clock = _Clock()
    for k in range(5):
        clock.now += 0.1
        rig.set_parameter("K_out", f"{10 + k} mM")
    clock.now += 0.1
    rig.set_parameter("Na_out", "400 mM")
    rig.set_mode("VC")
    rig.set_mode("CC")  # mode switches are deliberate: never merged
    assert [t for t, _ in rig._undo] == ["K_out", "Na_out", "mode VC", "mode CC"]


def test_saved_settings_keep_the_side_a_drug_was_given_on():
    rig = Rig("squid")
    rig.apply_drug("TEA", 20.0, equilibrated=True, side="outside")  # no effect on squid
    other = Rig("squid")
    other.load_state(rig.state_dict())
    assert other.bath.sides()["TEA"] == "outside"
    assert other.cell.block_fractions()["K"] == 0.0  # Tasaki & Hagiwara 1957
