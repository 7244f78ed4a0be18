"""The rig: everything a student can set, as plain Python, with undo/redo.

:class:`Rig` owns the configured membrane (:class:`vlab.sim.cell.Cell`), the perfusion
bath (:class:`vlab.sim.drugs.Bath`), the amplifier settings and the loaded protocol.
Every change goes through a method that validates it (raising ``ValueError`` subclasses
with a message fit for the user), records an undo entry, and notifies subscribers.

The GUI subscribes with :meth:`Rig.subscribe` and translates events into Qt updates; the
rig itself knows nothing about Qt or threads. Events are ``(kind, detail)`` with kind one
of ``"mode" "holding" "amplifier" "parameter" "preparation" "drug" "protocol" "history"``.

Threads: the GUI thread changes the rig (panels call its methods); every public mutator
takes ``rig.lock`` (a re-entrant lock). The simulation worker never reads the rig's parts:
when the outermost hold of the lock ends after a change, the rig publishes a frozen
:class:`vlab.rig.settings.RigSettings` snapshot as ``rig.settings`` (one reference
replaced), which the worker reads once per tick without a lock. A multi-field edit (a
preset, a file, :meth:`Rig.set_parameters`, or several calls inside one ``with
rig.lock:``) is one snapshot, never half of one. The perfusion the simulation advances
comes back through :meth:`Rig.report_bath`. Listeners run in the thread that made the
change, inside the lock.

Values are SI: holding voltage in V, holding current in A, filter cut-off in Hz,
concentrations in mol/m^3 (mM; pronase kg/m^3 = mg/ml).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import math
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from vlab.clamp import ClampMode
from vlab.protocols import Protocol
from vlab.rig.settings import BathReport, DrugTarget, RigSettings, cell_settings, frozen_mapping
from vlab.schema import Field, check_fields
from vlab.sim.cell import Cell
from vlab.sim.drugs import Bath, get_drug

__all__ = ["ClampMode", "Amplifier", "Rig", "RigError", "GAINS", "FILTERS_HZ"]


GAINS = (1, 2, 5, 10, 20, 50, 100)
FILTERS_HZ = (None, 10_000.0, 5_000.0, 2_000.0, 1_000.0)  # None = filter bypassed


class RigError(ValueError):
    """A setting the rig cannot take; the message says why and what is allowed."""


@dataclass
class Amplifier:
    """Amplifier front panel. A separate holding value per mode, so switching never jolts."""

    mode: ClampMode = ClampMode.CC
    holding: dict[ClampMode, float] = field(
        default_factory=lambda: {ClampMode.VC: -0.065, ClampMode.CC: 0.0, ClampMode.I0: 0.0}
    )
    gain: int = 1
    lowpass_hz: float | None = None

    @property
    def holding_now(self) -> float:
        return self.holding[self.mode]


HOLDING_LIMITS = {ClampMode.VC: (-0.2, 0.2), ClampMode.CC: (-1e-6, 1e-6)}


def _clamp_mode(value: object) -> ClampMode:
    """A clamp mode in any spelling :meth:`ClampMode.parse` reads; RigError otherwise."""
    try:
        return ClampMode.parse(value)
    except ValueError as exc:
        raise RigError(str(exc)) from None


def _locked(method):
    """Run a rig method under ``self.lock`` (see module docstring)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


STATE_VERSION = 1


class _PublishingLock:
    """``rig.lock``: a re-entrant lock that publishes the rig's settings when its
    outermost hold ends (see the module docstring)."""

    def __init__(self, publish: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # holds by the owning thread (only changed while held)
        self._publish = publish

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._depth += 1
        return got

    def release(self) -> None:
        try:
            if self._depth == 1:
                self._publish()
        finally:
            self._depth -= 1
            self._lock.release()

    def __enter__(self) -> _PublishingLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Rig:
    """The whole experimental set-up (see module docstring)."""

    def __init__(self, preparation: str = "squid") -> None:
        self._changed = True  # something changed since the last published snapshot
        self._bath_epoch = 0  # see RigSettings.bath_epoch
        self._bath_set = True  # the bath's state (not only its targets) was set
        self._settings: RigSettings | None = None
        self._bath_report: BathReport | None = None
        self._bath_state: dict = {}
        self.lock = _PublishingLock(self._publish)
        self.cell = Cell(preparation)
        self.bath = Bath(self.cell.prep)
        self.amplifier = Amplifier()
        self.protocol: Protocol | None = None  # None: gap-free
        self._listeners: list[Callable[[str, object], None]] = []
        self._undo: list[tuple[str, dict]] = []
        self._redo: list[tuple[str, dict]] = []
        #: controls an instructor (a practical step) has locked; see :meth:`set_locked`
        self.locked: frozenset[str] = frozenset()
        self._practical_tag: dict = {}
        #: seconds, monotonic: when a change was recorded (tests pass a fake clock)
        self.clock: Callable[[], float] = time.monotonic
        self._merge_key: str | None = None  # the setting the newest undo entry changed
        self._merge_until = -math.inf  # a change of it before then joins that entry
        self._publish()

    # ------------------------------------------------------------------ settings snapshots
    @property
    def settings(self) -> RigSettings:
        """The newest complete settings (frozen; read without the lock, any thread)."""
        settings = self._settings
        assert settings is not None, "published in __init__"
        return settings

    @property
    def practical_tag(self) -> dict:
        """The open practical step (``PracticalSession.recording_tag``), recorded in every
        sweep's provenance as ``practical``; empty when no practical is open."""
        return self._practical_tag

    @_locked
    def set_practical_tag(self, tag: dict) -> None:
        """Record ``tag`` as :attr:`practical_tag` in the sweeps made from now on."""
        self._practical_tag = dict(tag)
        self._changed = True

    def _publish(self) -> None:
        """Replace ``self.settings`` by a snapshot of the present settings, if changed."""
        if not self._changed:
            return
        if self._bath_set:
            self._bath_epoch += 1
            self._bath_state = self.bath.state()
            self._bath_set = False
        sides = self.bath.sides()
        old = self._settings
        self._settings = RigSettings(
            version=0 if old is None else old.version + 1,
            cell=cell_settings(self.cell),
            amplifier=copy.deepcopy(self.amplifier),
            protocol=self.protocol,
            drugs=tuple(
                DrugTarget(n, c, sides.get(n)) for n, c in sorted(self.bath.applied().items())
            ),
            bath_epoch=self._bath_epoch,
            bath_state=frozen_mapping(self._bath_state),
            locked=self.locked,
            practical_tag=frozen_mapping(self._practical_tag),
        )
        self._changed = False

    def _set_bath(self) -> None:
        """The bath's state was set (not only a target): the simulation takes it over."""
        self._bath_set = True
        self._changed = True

    @property
    def bath_report(self) -> BathReport | None:
        """The newest report taken by :meth:`report_bath` (a simulator started later
        resumes from it; any thread)."""
        return self._bath_report

    @_locked
    def report_bath(self, report: BathReport) -> None:
        """Show the perfusion as the simulation advanced it (call in the GUI thread).

        A report about a bath the rig has since set afresh (an older ``epoch``) is
        ignored. Targets stay the rig's (a drug applied since is not forgotten); the
        concentrations at the cell, binding and pronase damage become the report's.
        Listeners get ``("bath", report)`` only when the perfusion changed since the last
        report taken (the simulation reports with every block, ~100 a second, and an
        equilibrated bath stays the same: nothing for the GUI to redraw).
        """
        if report.epoch != self._bath_epoch or self._bath_set:
            return
        changed = report != self._bath_report
        self._bath_report = report
        self.bath.follow(dict(report.state))
        self.sync_drugs_to_cell()
        if changed:
            self._emit("bath", report)

    # ------------------------------------------------------------------ instructor locks
    LOCK_LABELS = {
        "preparation": "the preparation",
        "mode": "the amplifier mode",
        "holding": "the holding value",
        "protocol": "the protocol",
        "solutions": "the ion concentrations",
        "temperature": "the temperature",
        "conductances": "the channel densities",
        "drugs": "the perfusion",
        "filter": "the low-pass filter",
    }

    @_locked
    def set_locked(self, controls) -> None:
        """Lock controls (names from :attr:`LOCK_LABELS`, plus ``drug_names``) for a step.

        Locked changes are refused with a :class:`RigError` saying so; scripts that set up
        a step (``vlab.practicals.apply_preset``) clear the locks first.
        """
        self.locked = frozenset(controls)
        self._emit("locks", self.locked)

    def _check_lock(self, control: str) -> None:
        if control in self.locked:
            raise RigError(
                f"{self.LOCK_LABELS.get(control, control)} is locked by the instructor for this "
                "step of the practical"
            )

    @staticmethod
    def parameter_group(name: str) -> str:
        """Which lockable group a membrane parameter belongs to."""
        if name == "temperature":
            return "temperature"
        if name.endswith(("_in", "_out")) or name.startswith("E_"):
            return "solutions"
        return "conductances"

    # ------------------------------------------------------------------ notifications
    @_locked
    def subscribe(self, callback: Callable[[str, object], None]) -> None:
        self._listeners.append(callback)

    @_locked
    def unsubscribe(self, callback: Callable[[str, object], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _emit(self, kind: str, detail: object = None) -> None:
        if kind != "bath":  # every other event is a change of a setting
            self._changed = True
        for cb in list(self._listeners):
            cb(kind, detail)

    # ------------------------------------------------------------------ undo/redo
    def _snapshot(self) -> dict:
        return {
            "cell": copy.deepcopy(self.cell),
            "bath_applied": {n: c for n, c in self.bath.snapshot()["applied"].items()},
            "bath_sides": self.bath.sides(),
            "amplifier": copy.deepcopy(self.amplifier),
            "protocol": self.protocol,
        }

    #: s: changes of one setting closer together than this are one undo step (a dial
    #: turned, arrow keys held, a combo box scrolled)
    MERGE_WINDOW = 1.0

    def _record(self, text: str, merge: str | None = None) -> None:
        """Add an undo entry for the change about to be made.

        ``merge`` names a continuously adjustable setting: a change of the same setting
        within :attr:`MERGE_WINDOW` of the previous one extends that entry (undo goes back
        to the value before the whole adjustment) instead of adding one.
        """
        now = self.clock()
        if merge is not None and merge == self._merge_key and now <= self._merge_until:
            self._merge_until = now + self.MERGE_WINDOW
            self._redo.clear()
            return
        self._undo.append((text, self._snapshot()))
        self._redo.clear()
        self._merge_key, self._merge_until = merge, now + self.MERGE_WINDOW
        if len(self._undo) > 200:
            del self._undo[0]

    def _end_merge(self) -> None:
        self._merge_key, self._merge_until = None, -math.inf

    def _restore(self, snap: dict) -> None:
        if snap["cell"].prep.name != self.cell.prep.name:
            self._set_bath()  # the switch back clears binding and pronase damage
        self.cell = snap["cell"]
        self.bath.preparation = self.cell.prep
        for name in list(self.bath.snapshot()["applied"]):
            if name not in snap["bath_applied"]:
                self.bath.apply(name, 0.0)
        for name, c in snap["bath_applied"].items():
            self.bath.apply(name, c, side=snap.get("bath_sides", {}).get(name))
        self.amplifier = snap["amplifier"]
        self.protocol = snap["protocol"]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @_locked
    def clear_history(self) -> None:
        """Forget every undo/redo step (after start-up configuration, or a file load)."""
        self._undo.clear()
        self._redo.clear()
        self._end_merge()
        self._emit("history", "clear")

    def undo_text(self) -> str:
        return self._undo[-1][0] if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1][0] if self._redo else ""

    @_locked
    def undo(self) -> None:
        if not self._undo:
            return
        text, snap = self._undo.pop()
        self._redo.append((text, self._snapshot()))
        self._restore(snap)
        self._end_merge()
        self._emit("history", "undo")

    @_locked
    def redo(self) -> None:
        if not self._redo:
            return
        text, snap = self._redo.pop()
        self._undo.append((text, self._snapshot()))
        self._restore(snap)
        self._end_merge()
        self._emit("history", "redo")

    # ------------------------------------------------------------------ amplifier
    @_locked
    def set_mode(self, mode: ClampMode | str) -> None:
        mode = _clamp_mode(mode)
        if mode == self.amplifier.mode:
            return
        self._check_lock("mode")
        self._record(f"mode {mode.value}")
        self.amplifier.mode = mode
        self._emit("mode", mode)

    @_locked
    def set_holding(self, value: float, mode: ClampMode | str | None = None) -> None:
        """Holding value for ``mode`` (default: the current mode): V in VC, A in CC."""
        mode = _clamp_mode(mode) if mode is not None else self.amplifier.mode
        if mode == ClampMode.I0:
            raise RigError("I=0 mode has no holding value: the command is disconnected")
        self._check_lock("holding")
        lo, hi = HOLDING_LIMITS[mode]
        if not (isinstance(value, (int, float)) and lo <= value <= hi):
            unit = "mV" if mode == ClampMode.VC else "nA"
            f = 1e3 if mode == ClampMode.VC else 1e9
            raise RigError(
                f"holding {value!r} refused: in {mode.value} it must be between "
                f"{lo * f:g} and {hi * f:g} {unit}"
            )
        self._record(f"holding {mode.value}", merge=f"holding {mode.value}")
        self.amplifier.holding[mode] = float(value)
        self._emit("holding", mode)

    @_locked
    def set_gain(self, gain: int) -> None:
        if gain not in GAINS:
            raise RigError(f"gain {gain!r} refused; allowed: {GAINS}")
        self._record("gain", merge="gain")
        self.amplifier.gain = gain
        self._emit("amplifier", "gain")

    @_locked
    def set_filter(self, cutoff_hz: float | None) -> None:
        self._check_lock("filter")
        if cutoff_hz not in FILTERS_HZ:
            raise RigError(f"low-pass filter {cutoff_hz!r} refused; allowed: {FILTERS_HZ}")
        self._record("filter", merge="filter")
        self.amplifier.lowpass_hz = cutoff_hz
        self._emit("amplifier", "filter")

    # ------------------------------------------------------------------ cell
    @_locked
    def set_parameter(self, name: str, value: float | str) -> None:
        """Change a membrane parameter (solutions, temperature, conductances...)."""
        self._check_lock(self.parameter_group(name))
        trial = copy.deepcopy(self.cell)
        trial.set(name, value)  # raises ParameterError with a clear message
        trial.kernel_params()  # and refuses anything non-finite downstream
        self._record(f"{name}", merge=f"parameter {name}")
        self.cell = trial
        self._emit("parameter", name)

    @_locked
    def set_parameters(self, changes: dict[str, float | str]) -> None:
        """Change several membrane parameters at once (one undo step, one snapshot).

        All are validated together first: if any is refused, nothing changes.
        """
        for name in changes:
            self._check_lock(self.parameter_group(name))
        trial = copy.deepcopy(self.cell)
        for name, value in changes.items():
            trial.set(name, value)  # raises ParameterError with a clear message
        trial.kernel_params()
        if not changes:
            return
        self._record(", ".join(changes))
        self._end_merge()
        self.cell = trial
        for name in changes:
            self._emit("parameter", name)

    @_locked
    def fresh_bath(self) -> None:
        """Control saline at the cell at once, no drug bound, no pronase damage (a fresh
        cell for a practical step; not an undo step)."""
        self._check_lock("drugs")
        self.bath.restore({"drugs": {}, "pronase_removed": 0.0})
        self._set_bath()
        self.sync_drugs_to_cell()
        self._emit("drug", None)

    @_locked
    def set_preparation(self, name: str) -> None:
        self._check_lock("preparation")
        cell = Cell(name)
        self._record(f"preparation {name}")
        self.cell = cell
        self.bath.preparation = cell.prep
        self._set_bath()
        self._emit("preparation", name)

    # ------------------------------------------------------------------ perfusion
    @_locked
    def apply_drug(
        self,
        name: str,
        concentration: float,
        *,
        equilibrated: bool = False,
        side: str | None = None,
    ) -> None:
        """Start perfusing a drug (SI concentration); it reaches the cell with the chamber's
        exchange and the drug's binding kinetics.

        ``equilibrated=True`` skips both (scripts, screenshots, tests). ``side`` is
        "outside" (bath) or "inside" (internal perfusion); None: the drug's usual side on
        this preparation.
        """
        self._check_lock("drugs")
        drug = get_drug(name)
        drug.check_concentration(concentration)
        self._record(f"{drug.name} {drug.format(concentration)}")
        self.bath.apply(drug.name, concentration, equilibrated=equilibrated, side=side)
        if equilibrated:
            self._set_bath()
            self.sync_drugs_to_cell()
        self._emit("drug", drug.name)

    @_locked
    def wash_drug(self, name: str) -> None:
        self._check_lock("drugs")
        drug = get_drug(name)
        self._record(f"wash {drug.name}")
        self.bath.wash(drug.name)
        self._emit("drug", drug.name)

    @_locked
    def sync_drugs_to_cell(self) -> None:
        """Copy the bath's present concentrations (and pronase damage) into the cell."""
        self.bath.into_cell(self.cell)

    # ------------------------------------------------------------------ protocol
    @_locked
    def set_protocol(self, protocol) -> None:
        self._check_lock("protocol")
        self._record(f"protocol {getattr(protocol, 'name', '')}")
        self.protocol = protocol
        self._emit("protocol", protocol)

    # ------------------------------------------------------------------ experiment files
    @_locked
    def state_dict(self) -> dict:
        """Every setting as JSON types (for ``.vlab`` experiment files); SI values."""
        from vlab.protocols import protocol_to_toml

        amp = self.amplifier
        return {
            "version": STATE_VERSION,
            "preparation": self.cell.prep.name,
            "parameters": dict(self.cell.values),
            "pins": dict(self.cell.pins),
            # the whole perfusion (membrane concentrations, binding, pronase damage); a mystery
            # practical's drugs are stored unreadable and stay hidden when reopened
            **(
                {"bath_hidden": _obscure(self.bath.state()), "hide_drug_names": True}
                if "drug_names" in self.locked
                else {"bath": self.bath.state()}
            ),
            "amplifier": {
                "mode": amp.mode.value,
                "holding": {m.value: v for m, v in amp.holding.items()},
                "gain": amp.gain,
                "lowpass_hz": amp.lowpass_hz,
            },
            "protocol_toml": protocol_to_toml(self.protocol) if self.protocol is not None else None,
        }

    @_locked
    def load_state(self, state: dict) -> None:
        """Restore settings saved by :meth:`state_dict` (one undo step).

        Everything is validated on copies first: on any error a :class:`RigError` is
        raised and the rig is unchanged.
        """
        try:
            if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
                raise RigError(
                    f"not a vlab rig state (version {state.get('version') if isinstance(state, dict) else None!r}, "
                    f"expected {STATE_VERSION})"
                )
            fields = check_fields(state, STATE_FIELDS, _refuse)
            prep = fields["preparation"]
            cell = Cell(prep)
            for name, value in state.get("parameters", {}).items():
                if name in ("area",) or cell.values.get(name) == value:
                    continue
                cell.set(name, float(value))
            cell.pins = {k: float(v) for k, v in state.get("pins", {}).items()}
            cell.kernel_params()
            a = state["amplifier"]
            amp = Amplifier(
                mode=_clamp_mode(a["mode"]),
                holding={_clamp_mode(k): float(v) for k, v in a["holding"].items()},
                gain=int(a["gain"]),
                lowpass_hz=None if a.get("lowpass_hz") is None else float(a["lowpass_hz"]),
            )
            check_fields(
                {"gain": amp.gain, "lowpass_hz": amp.lowpass_hz}
                | {m.value: amp.holding.get(m, 0.0) for m in HOLDING_LIMITS},
                AMPLIFIER_FIELDS,
                _refuse,
            )
            for name, side in state.get("drug_sides", {}).items():
                if side not in ("outside", "inside") or side not in cell.prep.exchange:
                    raise RigError(f"drug {name!r}: side {side!r} is not available here")
            saved = None
            if "bath" in state or "bath_hidden" in state:
                saved = state["bath"] if "bath" in state else _reveal(state["bath_hidden"])
                Bath(cell.prep).restore(saved)  # validate before changing anything
            drugs = {}
            for name, c in state.get("drugs_applied", {}).items():  # files before the bath
                d = get_drug(name)
                d.check_concentration(float(c))
                drugs[d.name] = float(c)
            protocol = None
            if state.get("protocol_toml"):
                from vlab.protocols import parse_protocol

                protocol = parse_protocol(state["protocol_toml"], source="experiment file")
        except RigError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, OSError, RecursionError) as exc:
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise RigError(f"the saved rig settings cannot be used: {detail}") from exc
        self._record("load settings")
        self.cell = cell
        self.bath.preparation = cell.prep
        self._set_bath()
        self.amplifier = amp
        if saved is not None:
            self.bath.restore(saved)
        else:
            self.bath.wash_all()
            sides = state.get("drug_sides", {})
            for name, c in drugs.items():
                self.bath.apply(name, c, equilibrated=True, side=sides.get(name))
        if state.get("hide_drug_names"):
            self.locked = self.locked | {"drug_names"}
            self._emit("locks", self.locked)
        self.sync_drugs_to_cell()
        self.protocol = protocol
        self._emit("preparation", cell.prep.name)
        self._emit("mode", amp.mode)
        self._emit("drug", None)
        self._emit("protocol", protocol)


def _refuse(_key: str, problem: str) -> RigError:
    return RigError(problem)


def _not_a_table(key: str) -> Field:
    return Field(
        "table", default={}, messages={"kind": f"the saved {key} are not a table of values"}
    )


_UNUSABLE_NAME = "the saved preparation name '{value!s:.40}' is not usable"
#: the top level of saved rig settings (``.vlab`` experiment files, the crash journal)
STATE_FIELDS = {
    "parameters": _not_a_table("parameters"),
    "pins": _not_a_table("pins"),
    "drugs_applied": _not_a_table("drugs_applied"),
    "amplifier": _not_a_table("amplifier"),
    "preparation": Field(
        "text",
        required=True,
        non_empty=True,
        max_length=120,
        no_nul=True,
        messages={
            "missing": "the saved rig settings cannot be used: 'preparation'",
            **dict.fromkeys(("kind", "empty", "length"), _UNUSABLE_NAME),
        },
    ),
}
_NOT_ALLOWED = {"choice": "amplifier gain or filter not allowed"}
#: the saved amplifier (SI: holding V in VC, A in CC)
AMPLIFIER_FIELDS = {
    "gain": Field(choices=GAINS, messages=_NOT_ALLOWED),
    "lowpass_hz": Field(choices=FILTERS_HZ, messages=_NOT_ALLOWED),
    **{
        mode.value: Field(
            "number",
            low=lo,
            high=hi,
            messages={"range": f"holding value for {mode.value} out of range"},
        )
        for mode, (lo, hi) in HOLDING_LIMITS.items()
    },
}


def _obscure(data: dict) -> str:
    """``data`` as compressed base64 text: a mystery drug's name is not readable in the file."""
    return base64.b64encode(zlib.compress(json.dumps(data).encode("utf-8"))).decode("ascii")


def _reveal(text: object) -> dict:
    """The inverse of :func:`_obscure` (at most 1 MB of settings)."""
    if not isinstance(text, str) or len(text) > 2**20:
        raise RigError("the saved perfusion is damaged")
    try:
        raw = zlib.decompressobj().decompress(base64.b64decode(text, validate=True), 2**20)
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise RigError("the saved perfusion is damaged") from exc
    if not isinstance(data, dict):
        raise RigError("the saved perfusion is damaged")
    return data
