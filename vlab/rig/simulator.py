"""Chunked, Qt-free stepping of the rig's membrane for the GUI worker.

:class:`RigSimulator` turns the shared :class:`vlab.rig.Rig` into a stream of
:class:`Block` objects. It knows nothing about threads or wall-clock time: the caller
(the GUI worker, a test, the screenshot renderer) decides how much simulated time to
ask for with :meth:`RigSimulator.step`.

Two acquisition modes:

gap-free
    A continuous recording. The command is the holding value of the present amplifier
    mode plus any pulses queued with :meth:`RigSimulator.stimulate`. The membrane state
    is kept across mode switches, so switching mode never jolts the cell.
episodic
    :meth:`RigSimulator.start_episode` runs every sweep of a protocol one after another.
    Each sweep starts from steady state at the protocol's holding value (as ``vlab run``
    does), is delivered in chunks, and when it is finished becomes a
    :class:`vlab.recording.Sweep` with full provenance (``Block.record``). Between sweeps
    a short inter-sweep interval passes (the bath keeps exchanging). When the episode
    ends the simulator returns to gap-free streaming where it left off.

Every step reads the rig's newest settings snapshot (``rig.settings``, a frozen
:class:`vlab.rig.settings.RigSettings`; no lock) once, so a chunk never sees an edit half
made; parameter, preparation and amplifier changes take effect at the next chunk. The
perfusion is the simulator's own :class:`vlab.sim.drugs.Bath`: it follows the snapshot's
drug targets (or takes over the bath state the rig set, when ``bath_epoch`` changed),
advances with simulated time, and its concentrations reach the membrane, so drugs wash in
and out mid-run. Each block reports it back (``Block.bath``, a
:class:`~vlab.rig.settings.BathReport`) for :meth:`vlab.rig.Rig.report_bath`. The
simulator never writes to the rig.

The amplifier's output stage (gain and low-pass filter) shapes only the recorded
``Vm`` and ``Im`` of each block, never the membrane: a causal 4-pole Bessel low-pass
(scipy ``sos`` with its state carried from chunk to chunk) and a 16-bit, +/-10 V
digitiser whose resolution and range on the *primary* channel (Im in VC, Vm in CC and
I=0) scale with the gain (Vm: 10 mV/mV x gain; Im: 1 V/uA x gain). The secondary
channel is filtered but not digitised (it stands for the amplifier's command monitor).
So ``Vm`` lags the membrane by the filter's delay (its group delay is 0.336/cut-off:
34 us at 10 kHz, 0.34 ms at 1 kHz). Each block therefore also carries the membrane's own potential, ``Vmem`` (V,
unfiltered, never digitised), in step with its gates and currents, for the view of the
membrane itself; recorded sweeps hold what a real rig records (:data:`SWEEP_CHANNELS`),
not ``Vmem``.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field

import numpy as np

from vlab.protocols import Protocol
from vlab.rig.provenance import IM_OUTPUT_SCALE, VM_OUTPUT_SCALE, sweep_provenance
from vlab.rig.rig import Amplifier, ClampMode, Rig
from vlab.rig.settings import BathReport, RigSettings, cell_settings
from vlab.sim.cell import Cell
from vlab.sim.drugs import Bath, get_drug
from vlab.sim.engine import Membrane, SimulationError, _initial_sample, plausibility_note

__all__ = ["Block", "RigSimulator", "SimulationError", "BLOCK_VARIABLES", "SWEEP_CHANNELS"]

#: variables every block carries (SI), in this order
BLOCK_VARIABLES = (
    "Vm",
    "Im",
    "Vmem",
    "command",
    "m",
    "h",
    "n",
    "p",
    "INa",
    "IK",
    "IL",
    "ICl",
    "IM",
    "gNa",
    "gK",
    "gCl",
    "gM",
)
_ENGINE_VARIABLES = tuple(v for v in BLOCK_VARIABLES if v not in ("command", "Vmem"))
#: the channels of a recorded episodic sweep: every block variable but ``Vmem`` (the
#: amplifier's ``Vm`` is what the rig records; the membrane's own potential serves the
#: live membrane view only, and would cost every stored sweep another channel)
SWEEP_CHANNELS = tuple(v for v in BLOCK_VARIABLES if v != "Vmem")


@dataclass
class Block:
    """One chunk of simulated recording, 1-D SI arrays.

    Attributes
    ----------
    t
        Sample times, s: experiment time in gap-free, time within the sweep in episodic.
    data
        ``name -> array`` for every name in :data:`BLOCK_VARIABLES` (Vm V, Im A, Vmem V,
        command V in VC / A otherwise, gates 1, currents A, conductances S). ``Vm``/``Im``
        are the amplifier outputs (low-pass filtered, the primary channel digitised: they
        lag the membrane by the filter's delay); the rest are the membrane's own values,
        ``Vmem`` its potential (V, unfiltered, never digitised), in step with its gates
        and currents.
    reversal
        ``{'Na', 'K', 'Cl', 'L'}`` reversal potentials in V at the end of the chunk.
    blocked
        Drug name -> fraction of its target blocked at the present concentration.
    mode
        Amplifier mode (:class:`~vlab.clamp.ClampMode`; a ``str``: ``"VC"``, ``"CC"``, ``"I=0"``).
    sweep
        0-based sweep index in episodic acquisition, None in gap-free.
    n_sweeps
        Number of sweeps of the running episode (None in gap-free).
    sweep_done
        True on the last chunk of a sweep; ``record`` then holds the finished sweep.
    episode_done
        True on the last chunk of the last sweep of an episode.
    record
        The finished :class:`vlab.recording.Sweep` (only when ``sweep_done``).
    """

    t: np.ndarray
    data: dict[str, np.ndarray]
    reversal: dict[str, float]
    blocked: dict[str, float]
    mode: ClampMode
    sweep: int | None = None
    n_sweeps: int | None = None
    sweep_done: bool = False
    episode_done: bool = False
    record: object = None
    drugs: dict[str, float] = field(default_factory=dict)
    #: a remark when the membrane's Vm left what a real cell reaches (current clamp)
    note: str | None = None
    #: the simulator's perfusion at the end of the chunk (for :meth:`vlab.rig.Rig.report_bath`)
    bath: BathReport | None = None

    @property
    def n(self) -> int:
        return int(self.t.size)


def _note(mode, vm: np.ndarray) -> str | None:
    """:func:`vlab.sim.engine.plausibility_note` for current-clamp data, else None."""
    if mode == ClampMode.VC or len(vm) == 0:
        return None
    return plausibility_note(vm)


GAP_FREE_DT = 20e-6  # s, sample interval of gap-free streaming
INTER_SWEEP = 0.2  # s between sweeps of a protocol without start_to_start
_DIGITISER_BITS = 16
_DIGITISER_RANGE = 10.0  # V


class _OutputStage:
    """Amplifier low-pass filter + digitiser for one channel, with state between chunks."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._key: tuple[float, float] | None = None  # (cut-off Hz, dt s) of self._sos
        self._sos: np.ndarray | None = None
        self._zi: np.ndarray | None = None

    def reset(self) -> None:
        self._zi = None

    def process(self, x: np.ndarray, dt: float, cutoff: float | None, gain: float) -> np.ndarray:
        if x.size == 0:
            return x
        y = x
        if cutoff is not None and cutoff < 0.45 / dt:
            key = (cutoff, dt)
            if key != self._key:
                from scipy.signal import bessel

                self._sos = bessel(4, cutoff, fs=1.0 / dt, output="sos", norm="mag")
                self._key = key
                self._zi = None
            from scipy.signal import sosfilt, sosfilt_zi

            if self._zi is None:
                self._zi = sosfilt_zi(self._sos)[:, :] * x[0]
            y, self._zi = sosfilt(self._sos, x, zi=self._zi)
        else:
            self._key = None
            self._zi = None
        if gain:
            g = self.scale * gain
            lsb = 2 * _DIGITISER_RANGE / 2**_DIGITISER_BITS / g
            lim = _DIGITISER_RANGE / g
            y = np.clip(np.round(y / lsb) * lsb, -lim, lim)
        return np.ascontiguousarray(y, dtype=np.float64)


@dataclass
class _Pulse:
    start: float
    end: float
    amplitude: float
    mode: ClampMode


@dataclass
class _Episode:
    protocol: Protocol
    command: np.ndarray  # (sweeps, n)
    toml: str
    run_id: str
    repeat: bool = False
    cycle: int = 0  # how many times a Repeat run has gone through the protocol
    sweep: int = 0
    pos: int = 0  # next sample index within the sweep
    membrane: Membrane | None = None
    parts: list = field(default_factory=list)  # list of dicts of arrays of the sweep so far
    gap_left: float = 0.0  # inter-sweep time still to pass, s
    t0: float = 0.0


class RigSimulator:
    """Step the rig's membrane chunk by chunk (see module docstring).

    Parameters
    ----------
    rig
        The rig; only its settings snapshot (``rig.settings``) is read, once a step.
    dt
        Sample interval of gap-free streaming, s.
    seed
        Recorded in provenance (the model is deterministic; kept for noise models).
    """

    def __init__(self, rig: Rig, dt: float = GAP_FREE_DT, seed: int = 0) -> None:
        self.rig = rig
        self.dt = dt
        self.seed = seed
        self.time = 0.0  # s of experiment (simulated) time
        self._pulses: list[_Pulse] = []
        self._episode: _Episode | None = None
        self._vm_out = _OutputStage(VM_OUTPUT_SCALE)
        self._im_out = _OutputStage(IM_OUTPUT_SCALE)
        self.settings = rig.settings  # the snapshot of the present step
        self._given: RigSettings | None = None  # the snapshot step() was handed
        self.bath = Bath(self.settings.cell.prep)
        self._bath_epoch = -1  # the rig's bath_epoch this bath started from
        cell, amp = self._snapshot(0.0)
        self._prep = cell.prep.name
        self.membrane = Membrane(cell, 1)
        self._reset_membrane(cell, amp)

    # ------------------------------------------------------------------ control
    @property
    def episodic(self) -> bool:
        return self._episode is not None

    @property
    def episode_sweep(self) -> int | None:
        return None if self._episode is None else self._episode.sweep

    def reset_cell(self) -> None:
        """Put the gap-free membrane back at steady state under the present holding."""
        cell, amp = self._snapshot(0.0)
        self._reset_membrane(cell, amp)

    def _reset_membrane(self, cell, amp) -> None:
        self.membrane.cell = cell
        if amp.mode == ClampMode.VC:
            self.membrane.reset(v0=amp.holding[ClampMode.VC])
        elif amp.mode == ClampMode.CC:
            self.membrane.reset(holding_current=amp.holding[ClampMode.CC])
        else:
            self.membrane.reset()
        self._vm_out.reset()
        self._im_out.reset()
        self._pulses.clear()

    def stimulate(self, amplitude: float, duration: float) -> None:
        """Queue a pulse starting now on top of the holding value of the present mode.

        ``amplitude`` is A in CC, V in VC (ignored in I=0, as on a real amplifier);
        ``duration`` s. Pulses only act in gap-free streaming.
        """
        if not (math.isfinite(amplitude) and math.isfinite(duration) and duration > 0):
            raise ValueError("a stimulus needs a finite amplitude and a positive duration")
        if duration > 10.0:
            raise ValueError("a manual stimulus lasts at most 10 s")
        mode = self.rig.settings.amplifier.mode
        start = max([self.time] + [p.end for p in self._pulses if p.mode == mode])
        self._pulses.append(_Pulse(start, start + duration, float(amplitude), mode))

    def start_episode(self, protocol=None, repeat: bool = False) -> None:
        """Start running every sweep of ``protocol`` (default: the rig's protocol)."""
        from vlab.protocols import protocol_to_toml

        settings = self.rig.settings
        protocol = protocol if protocol is not None else settings.protocol
        if protocol is None:
            raise ValueError("no protocol is loaded: choose one in the stimulator panel")
        cmd = protocol.command(settings.cell.values["area"])
        try:
            toml = protocol_to_toml(protocol)
        except Exception as exc:  # noqa: BLE001 - provenance must not stop a run
            toml = f"# protocol could not be written as TOML: {exc}"
        self._episode = _Episode(protocol, cmd, toml, uuid.uuid4().hex[:12], repeat=repeat)
        self._begin_sweep()

    def stop_episode(self) -> None:
        """Abandon the running episode (the unfinished sweep is discarded)."""
        self._episode = None
        self._vm_out.reset()
        self._im_out.reset()

    # ------------------------------------------------------------------ stepping
    def step(self, duration: float, settings: RigSettings | None = None) -> Block | None:
        """Advance by up to ``duration`` s of simulated time.

        ``settings``: the rig's snapshot to use (the worker reads ``rig.settings`` once
        per tick and passes it to every step of the tick); default: the newest.

        In episodic acquisition a chunk never crosses the end of a sweep (that chunk has
        ``sweep_done``); time spent between sweeps returns None (no data). Raises
        :class:`SimulationError` if the integration fails (the membrane is left as it
        was before the chunk).
        """
        if duration <= 0:
            return None
        self._given = settings
        try:
            if self._episode is not None:
                block = self._step_episode(duration)
            else:
                block = self._step_gap_free(duration)
        finally:
            self._given = None
        if block is not None:
            block.bath = self.bath_report()
        return block

    def run_episode(self, protocol=None, skip_gaps: bool = True) -> list[Block]:
        """Run a whole episode as fast as possible and return its blocks (for scripts)."""
        self.start_episode(protocol)
        blocks = []
        while self._episode is not None:
            if skip_gaps and self._episode.gap_left > 0:
                self.step(self._episode.gap_left)  # passes the gap, begins the next sweep
                continue
            b = self.step(10.0)
            if b is not None:
                blocks.append(b)
        return blocks

    def idle(self, duration: float, settings: RigSettings | None = None) -> None:
        """Let ``duration`` s pass with nothing recorded (the bath keeps exchanging)."""
        if duration > 0:
            self._given = settings
            try:
                self._pass_time(duration)
            finally:
                self._given = None

    # ------------------------------------------------------------------ internals
    def _pass_time(self, dt: float) -> None:
        self._snapshot(dt)
        self.time += dt

    def _snapshot(self, dt: float) -> tuple[Cell, Amplifier]:
        """Read the rig's newest settings snapshot (no lock), let ``dt`` of perfusion pass
        in the simulator's bath and return a private cell with the drugs at the membrane
        now, and the snapshot's amplifier."""
        settings = self.settings = self._given or self.rig.settings
        bath = self.bath
        if settings.bath_epoch != self._bath_epoch:  # the rig set the bath: take it over
            # (a new simulator resumes from the newest report about that bath, if any)
            report = self.rig.bath_report
            same = report is not None and report.epoch == settings.bath_epoch
            bath = self.bath = Bath(settings.cell.prep)
            bath.restore(dict(report.state if same and report else settings.bath_state))
            self._bath_epoch = settings.bath_epoch
        bath.preparation = settings.cell.prep
        targets = {d.name: d for d in settings.drugs}
        sides = bath.sides()
        for name in set(bath.applied()) - set(targets):
            bath.wash(name)
        for name, d in targets.items():
            if bath.applied().get(name) != d.concentration or sides.get(name) != d.side:
                bath.apply(name, d.concentration, side=d.side)
        if dt > 0:
            bath.advance(dt)
        cell = cell_settings(settings.cell)
        bath.into_cell(cell)
        return cell, settings.amplifier

    def bath_report(self) -> BathReport:
        """The simulator's perfusion now (for :meth:`vlab.rig.Rig.report_bath`)."""
        return BathReport(self._bath_epoch, self.bath.state())

    @staticmethod
    def _cell_info(cell, membrane=None) -> tuple[dict, dict, dict]:
        """Reversal potentials, fraction blocked per drug now, concentrations.

        A use-dependent blocker's fraction is the membrane's own state (how many channels
        hold the drug now), not an equilibrium number.
        """
        rev = cell.reversals()
        blocked = {}
        for n in cell.drugs:
            drug = get_drug(n)
            if drug.mechanism == "use-dependent" and membrane is not None:
                blocked[n] = float(membrane.snapshot()["lido_bound"][0])
            else:
                blocked[n] = cell.fraction_blocked(n)
        return rev, blocked, dict(cell.drugs)

    def _step_gap_free(self, duration: float) -> Block:
        dt = self.dt
        n = max(1, int(round(duration / dt)))
        cell, amp = self._snapshot(n * dt)
        if cell.prep.name != self._prep:
            self._prep = cell.prep.name
            self.membrane = Membrane(cell, 1)
            self._reset_membrane(cell, amp)
        self.membrane.cell = cell
        mode = amp.mode
        hold = 0.0 if mode == ClampMode.I0 else amp.holding[mode]
        cmd = np.full(n + 1, hold)
        t_int = self.time + np.arange(n + 1) * dt
        for p in self._pulses:
            if p.mode == mode:
                cmd[(t_int >= p.start - 1e-12) & (t_int < p.end - 1e-12)] += p.amplitude
        if mode == ClampMode.I0:
            cmd[:] = 0.0
        gain, cutoff = amp.gain, amp.lowpass_hz
        try:
            out = self.membrane.advance(mode, cmd[None, :], dt, _ENGINE_VARIABLES)
        except SimulationError:
            self._pulses.clear()  # the pulse that blew it up must not fire again after a reset
            raise
        rev, blocked, drugs = self._cell_info(cell, self.membrane)
        t = self.time + np.arange(1, n + 1) * dt
        self.time += n * dt
        self._pulses = [p for p in self._pulses if p.end > self.time]
        data = {k: v[0] for k, v in out.items()}
        data["command"] = cmd[1:].copy()
        note = _note(mode, data["Vm"])  # the membrane's Vm, before the amplifier clips it
        self._output_stage(data, dt, mode, gain, cutoff)
        return Block(t, data, rev, blocked, mode, drugs=drugs, note=note)

    def _output_stage(self, data, dt, mode, gain, cutoff) -> None:
        """Keep the membrane's own potential as ``Vmem`` (V) and put the amplifier's
        outputs in ``Vm`` and ``Im``."""
        data["Vmem"] = np.array(data["Vm"], dtype=np.float64)  # a copy: its own array
        primary = mode.recorded
        data["Vm"] = self._vm_out.process(data["Vm"], dt, cutoff, gain if primary == "Vm" else 0)
        data["Im"] = self._im_out.process(data["Im"], dt, cutoff, gain if primary == "Im" else 0)

    def _running(self) -> _Episode:
        """The running episode (only called while one runs)."""
        if self._episode is None:
            raise RuntimeError("no episode is running")
        return self._episode

    def _protocol_mode(self) -> ClampMode:
        return self._running().protocol.mode

    def _begin_sweep(self) -> None:
        ep = self._running()
        p = ep.protocol
        cmd = ep.command[ep.sweep]
        cell, _amp = self._snapshot(0.0)
        mem = Membrane(cell, 1)
        if p.mode is ClampMode.VC:
            mem.reset(v0=cmd[0])
        else:
            hold = p.holding.value
            if p.holding.dimension == "current_density":
                hold *= cell.values["area"]
            mem.reset(holding_current=hold)
        first = _initial_sample(mem, cmd[:1], p.mode, _ENGINE_VARIABLES)
        ep.membrane = mem
        ep.pos = 1
        ep.t0 = self.time
        d = {k: v[0] for k, v in first.items()}
        d["command"] = cmd[:1].copy()
        ep.parts = [d]
        self._vm_out.reset()
        self._im_out.reset()

    def _step_episode(self, duration: float) -> Block | None:
        ep = self._running()
        if ep.gap_left > 0:
            dt_pass = min(duration, ep.gap_left)
            self._pass_time(dt_pass)
            ep.gap_left -= dt_pass
            if ep.gap_left <= 1e-12:
                ep.gap_left = 0.0
                self._begin_sweep()
            return None
        p = ep.protocol
        dt = p.sample_interval
        cmd = ep.command[ep.sweep]
        n_total = cmd.size
        first_chunk = ep.pos == 1
        k = max(1, int(round(duration / dt)))
        k = min(k, n_total - ep.pos)
        mode = self._protocol_mode()
        cell, amp = self._snapshot(k * dt)
        mem = ep.membrane
        assert mem is not None, "_begin_sweep makes the sweep's membrane"
        if k > 0:
            mem.cell = cell
            seg = cmd[ep.pos - 1 : ep.pos + k]
            out = mem.advance(p.mode, seg[None, :], dt, _ENGINE_VARIABLES)
        else:
            out = {v: np.zeros((1, 0)) for v in _ENGINE_VARIABLES}
        gain, cutoff = amp.gain, amp.lowpass_hz
        rev, blocked, drugs = self._cell_info(cell, ep.membrane)
        data = {kk: v[0] for kk, v in out.items()}
        data["command"] = cmd[ep.pos : ep.pos + k].copy()
        idx = np.arange(ep.pos, ep.pos + k)
        if first_chunk:  # prepend the t = 0 sample
            data = {kk: np.concatenate([ep.parts[0][kk], data[kk]]) for kk in data}
            idx = np.arange(0, ep.pos + k)
            ep.parts = []
        self.time += k * dt
        ep.pos += k
        note = _note(mode, data["Vm"])
        self._output_stage(data, dt, mode, gain, cutoff)
        ep.parts.append(data)
        done = ep.pos >= n_total
        block = Block(
            idx * dt,
            data,
            rev,
            blocked,
            mode,
            sweep=ep.sweep,
            n_sweeps=p.sweeps,
            sweep_done=done,
            drugs=drugs,
            note=note,
        )
        if done:
            block.record = self._make_sweep(ep, self._provenance(cell, amp), mode)
            if ep.sweep + 1 < p.sweeps:
                ep.sweep += 1
                self._wait_for_next_sweep(ep)
            elif ep.repeat:
                ep.sweep = 0
                ep.cycle += 1
                self._wait_for_next_sweep(ep)
                block.episode_done = True
            else:
                block.episode_done = True
                self._episode = None
                self._vm_out.reset()
                self._im_out.reset()
        return block

    def _wait_for_next_sweep(self, ep: _Episode) -> None:
        """Start the next sweep ``start_to_start`` s after this one started (the protocol's
        pacing), or :data:`INTER_SWEEP` s after this one ended when the protocol sets none."""
        s2s = ep.protocol.start_to_start
        ep.gap_left = INTER_SWEEP if s2s is None else ep.t0 + s2s - self.time
        if ep.gap_left <= 1e-12:  # back to back
            ep.gap_left = 0.0
            self._begin_sweep()

    def _provenance(self, cell, amp) -> dict:
        ep = self._running()
        return sweep_provenance(
            cell,
            ep.protocol,
            seed=self.seed,
            run_id=ep.run_id,
            amplifier=amp,
            hide_drug_names="drug_names" in self.settings.locked,
            practical=dict(self.settings.practical_tag),
            protocol_toml=ep.toml,
            repeat=ep.repeat,
            cycle=ep.cycle,
        )

    def _make_sweep(self, ep: _Episode, prov: dict, mode: ClampMode):
        from vlab.recording import Sweep

        chans = {k: np.concatenate([part[k] for part in ep.parts]) for k in SWEEP_CHANNELS}
        prov = dict(prov)
        prov["mode"] = mode.value
        prov["sweep"] = ep.sweep
        prov["n_sweeps"] = ep.protocol.sweeps
        return Sweep(
            index=ep.sweep,
            dt=ep.protocol.sample_interval,
            channels=chans,
            t0=ep.t0,
            provenance=prov,
            label="",
        )
