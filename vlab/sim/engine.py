"""The simulation engine: a deterministic, synchronous chunk stepper over a :class:`Cell`.

:class:`Membrane` advances one or many sweeps (a protocol family runs as one batch) by
a number of samples under current clamp or voltage clamp and returns SI arrays. It has
no threads and no Qt: the GUI's worker thread and ``vlab run`` both drive it.

:func:`run_protocol` runs a whole protocol (all sweeps together) and returns a
:class:`RunResult`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vlab.clamp import ClampMode
from vlab.sim import kernel
from vlab.sim.cell import Cell

__all__ = [
    "Membrane",
    "RunResult",
    "SimulationError",
    "DivergenceError",
    "TooStiffError",
    "accuracy_step",
    "run_protocol",
    "RECORDABLE",
    "SI_UNITS",
]

#: variables a run can record, with their SI unit
SI_UNITS = {
    "Vm": "V",
    "Im": "A",
    "m": "1",
    "h": "1",
    "n": "1",
    "p": "1",
    "q": "1",
    "INa": "A",
    "IK": "A",
    "IL": "A",
    "ICl": "A",
    "IM": "A",
    "Iion": "A",
    "Ih": "A",
    "gNa": "S",
    "gK": "S",
    "gCl": "S",
    "gM": "S",
    "lido_bound": "1",
}
RECORDABLE = tuple(SI_UNITS)
DEFAULT_DT_MAX = 25e-6  # s: the largest integration step the engine takes
#: Step-size control in current clamp (docs/validation.md, "Stiff settings"). Before each
#: call the step is cut below ``ACCURACY_K / (r_gate * min(r_membrane, R_MEMBRANE_CAP))``
#: ms, where ``kernel.fastest_rates`` gives the fastest gate rate at the temperature and the
#: full-conductance charging rate g_max/C (1/ms). The constants are calibrated by
#: ``bench/stiffness_sweep.py``: with them every sample lies within 1 mV of the converged
#: trace, allowing 0.5 us of timing error, with a factor 2.7 to spare at the worst setting
#: measured; the default preparations keep the 25 us step.
ACCURACY_K = 120.0  # 1/ms
R_MEMBRANE_CAP = 5000.0  # 1/ms
#: reversal potentials (V) beyond this are named as the cause when a run diverges
REVERSAL_LIMIT = 0.2
#: settings that need a finer step than this are refused (1000x the default step's work)
DT_FLOOR = 25e-9  # s
#: membrane potentials (V) a living cell can plausibly reach; beyond them a run is kept but
#: annotated (the kernel stops only at +/- kernel.V_LIMIT)
PLAUSIBLE_V = (-0.150, 0.100)


def plausibility_note(vm: np.ndarray) -> str | None:
    """A remark when ``vm`` (V) leaves :data:`PLAUSIBLE_V`, else None."""
    lo, hi = float(np.min(vm)), float(np.max(vm))
    if lo < PLAUSIBLE_V[0]:
        return (
            f"Vm reached {lo * 1e3:.0f} mV: real cells are rarely held below "
            f"{PLAUSIBLE_V[0] * 1e3:.0f} mV, where membranes start to break down; these are "
            "the model's values, not a cell's. Use a smaller hyperpolarising current."
        )
    if hi > PLAUSIBLE_V[1]:
        return (
            f"Vm reached {hi * 1e3:.0f} mV: no action potential or real depolarisation goes "
            f"above +{PLAUSIBLE_V[1] * 1e3:.0f} mV; these are the model's values, not a cell's."
        )
    return None


class SimulationError(RuntimeError):
    """The integration failed (diverged); the message says where and what to change."""


class DivergenceError(SimulationError, ValueError):
    """A run stopped because the membrane potential left any physical range; the message
    names the cause (a setting or the injected current: bad input, CLI exit 2)."""


class TooStiffError(SimulationError, ValueError):
    """Settings refused before a run because no affordable step follows them accurately."""


def accuracy_step(P: np.ndarray) -> float:
    """The largest current-clamp step (s) that keeps a membrane with kernel parameters ``P``
    within the stated tolerance (see :data:`ACCURACY_K`); ``inf`` for a membrane with no
    conductance."""
    r_gate, r_mem = kernel.fastest_rates(P)
    rate = r_gate * min(r_mem, R_MEMBRANE_CAP)
    return ACCURACY_K / rate * 1e-3 if rate > 0 else math.inf


def check_accuracy_step(cell: Cell, P: np.ndarray) -> float:
    """:func:`accuracy_step`, or :class:`TooStiffError` naming the settings when it is
    below :data:`DT_FLOOR`."""
    dt = accuracy_step(P)
    if dt >= DT_FLOOR:
        return dt
    r_gate, r_mem = kernel.fastest_rates(P)
    v = cell.values
    raise TooStiffError(
        f"these settings are too fast to simulate accurately: at {v['temperature']:g} degC "
        f"(Q10 {v['q10']:g}) the fastest gate relaxes in {1e6 / r_gate:.3g} ns and with "
        f"Cm {v['Cm'] * 100:g} uF/cm2 the membrane charges in {1e6 / r_mem:.3g} ns at full "
        f"conductance, which would need steps of {dt * 1e9:.2g} ns (the limit is "
        f"{DT_FLOOR * 1e9:g} ns). Lower the temperature or the conductances, or raise Cm."
    )


@dataclass
class RunResult:
    """Arrays of shape (n_sweeps, n_samples) in SI units, keyed by variable name."""

    t: np.ndarray
    data: dict[str, np.ndarray]
    command: np.ndarray
    mode: ClampMode
    dt: float  # integration step used, s
    cell_info: dict = field(default_factory=dict)
    #: plain-language remarks about the run (e.g. voltages no real cell reaches)
    notes: list[str] = field(default_factory=list)

    @property
    def n_sweeps(self) -> int:
        return self.command.shape[0]


class Membrane:
    """Integrator state for ``n_sweeps`` copies of a :class:`Cell`.

    Parameters
    ----------
    cell
        The configured membrane. Changes to it (solutions, drugs, temperature) take effect
        at the next :meth:`advance` call.
    n_sweeps
        Number of sweeps integrated together.
    dt_max
        Largest integration step (s); each sample interval is split into equal steps no
        larger than this. 25 us is accurate for HH (docs/validation.md).
    """

    def __init__(self, cell: Cell, n_sweeps: int = 1, dt_max: float = DEFAULT_DT_MAX) -> None:
        if not (1e-8 <= dt_max <= 1e-4):
            raise SimulationError(
                f"integration step {dt_max * 1e6:g} us refused: allowed 0.01 to 100 us "
                "(larger steps cannot follow a spike accurately)"
            )
        if n_sweeps < 1:
            raise SimulationError("at least one sweep is needed")
        self.cell = cell
        self.n_sweeps = n_sweeps
        self.dt_max = dt_max
        self.state = np.zeros((n_sweeps, kernel.N_STATE))
        self.time = 0.0  # s since reset
        #: time (s since reset) current injection first began, None before
        self.current_since: float | None = None
        #: (kernel parameters as bytes, their accuracy step s): computed once per settings
        self._accuracy: tuple[bytes, float] = (b"", math.inf)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self, v0: float | np.ndarray | None = None, holding_current: float = 0.0) -> None:
        """Put every sweep at steady state.

        ``v0`` (V) fixes the starting potential (voltage clamp holding). Otherwise the
        cell starts at the preparation's ``v_init`` when no current is held, or at the
        potential where the steady ionic current balances ``holding_current`` (A).
        """
        cell = self.cell
        if v0 is None:
            if holding_current == 0.0 and cell.prep.v_init is not None:
                v0 = cell.prep.v_init
            else:
                v0 = cell.resting_potential(holding_current / cell.values["area"])
        v0 = np.broadcast_to(np.asarray(v0, dtype=float), (self.n_sweeps,))
        for s in range(self.n_sweeps):
            m, h, n, p, b, q = cell.steady_state_gates(float(v0[s]))
            self.state[s] = (v0[s] * 1e3, m, h, n, p, b, q)
        self.time = 0.0
        self.current_since = None

    def snapshot(self) -> dict[str, np.ndarray]:
        """Current state per sweep: Vm (V) and gates."""
        st = self.state
        return {
            "Vm": st[:, kernel.S_V] * 1e-3,
            "m": st[:, kernel.S_M].copy(),
            "h": st[:, kernel.S_H].copy(),
            "n": st[:, kernel.S_N].copy(),
            "p": st[:, kernel.S_P].copy(),
            "lido_bound": st[:, kernel.S_B].copy(),
            "q": st[:, kernel.S_Q].copy(),
        }

    # ------------------------------------------------------------------ stepping
    def steps_per_sample(self, sample_interval: float, mode: ClampMode | str = ClampMode.CC) -> int:
        """Integration steps per sample: the step is at most ``dt_max`` and, in current
        clamp, at most the cell's :func:`accuracy_step` (voltage clamp is exact at any
        step). Raises :class:`TooStiffError` for settings no affordable step follows."""
        vc = ClampMode.parse(mode) is ClampMode.VC
        return self._substeps(sample_interval, vc, self.cell.kernel_params())

    def _substeps(self, sample_interval: float, vc: bool, P: np.ndarray) -> int:
        if not (1e-7 <= sample_interval <= 1e-2) or not math.isfinite(sample_interval):
            raise SimulationError(
                f"sample interval {sample_interval * 1e6:g} us refused (allowed 0.1 us to 10 ms)"
            )
        dt = self.dt_max
        if not vc:
            key = P.tobytes()
            if self._accuracy[0] != key:  # settings changed since the last call
                self._accuracy = (key, check_accuracy_step(self.cell, P))
            dt = min(dt, self._accuracy[1])
        return max(1, math.ceil(sample_interval / dt - 1e-9))

    def advance(
        self,
        mode: ClampMode | str,
        command: np.ndarray,
        sample_interval: float,
        variables: tuple[str, ...] | None = None,
    ) -> dict[str, np.ndarray]:
        """Advance by ``command.shape[-1] - 1`` samples.

        Parameters
        ----------
        mode
            :class:`~vlab.clamp.ClampMode` (or a spelling it parses): ``CC`` (command in
            A, injected), ``I0`` (current clamp with zero command) or ``VC`` (command in V).
        command
            Shape (n_sweeps, n + 1) or (n + 1,): value held over each sample interval
            starting now; the last column is the value at the last sample.
        sample_interval
            s.
        variables
            Names from :data:`RECORDABLE`; None records all.

        Returns
        -------
        dict name -> array (n_sweeps, n) in SI units, samples at ``t + k*dt``, k = 1..n.
        """
        cmd = np.atleast_2d(np.asarray(command, dtype=np.float64))
        if cmd.shape[0] == 1 and self.n_sweeps > 1:
            cmd = np.repeat(cmd, self.n_sweeps, axis=0)
        if cmd.shape[0] != self.n_sweeps or cmd.shape[1] < 2:
            raise SimulationError(
                f"command has shape {cmd.shape}; expected ({self.n_sweeps}, n + 1) with n >= 1"
            )
        if not np.all(np.isfinite(cmd)):
            raise SimulationError("the command contains NaN or infinite values; nothing was run")
        area_cm2 = self.cell.values["area"] * 1e4
        mode = ClampMode.parse(mode)
        if mode is ClampMode.VC:
            kmode = kernel.MODE_VC
            kcmd = cmd * 1e3
            if np.max(np.abs(kcmd)) > 300:
                raise SimulationError(
                    "voltage-clamp command beyond +/-300 mV refused: no membrane survives it"
                )
        else:
            kmode = kernel.MODE_CC
            kcmd = cmd / (area_cm2 * 1e-6)  # A -> uA/cm2
            if mode is ClampMode.I0:
                kcmd = np.zeros_like(kcmd)
        P = self.cell.kernel_params()
        sub = self._substeps(sample_interval, kmode == kernel.MODE_VC, P)
        dt_ms = sample_interval * 1e3 / sub
        n_out = cmd.shape[1] - 1
        full = variables is None or any(v not in ("Vm", "Im") for v in variables)
        out = kernel.new_output(self.n_sweeps, n_out)
        saved = self.state.copy()
        status, s_bad, j_bad = kernel.advance(kmode, kcmd, dt_ms, sub, P, self.state, out, full)
        if status != kernel.OK:
            v_bad = float(self.state[s_bad, kernel.S_V])
            self.state[:] = saved
            t_bad = self.time + (j_bad + 1) * sample_interval
            where = f"t = {t_bad * 1e3:.3f} ms (sweep {s_bad + 1})"
            row = kcmd[s_bad, : j_bad + 1]
            raise DivergenceError(
                self._divergence_message(kmode, row, sample_interval, t_bad, where, v_bad)
            )
        if kmode == kernel.MODE_CC and self.current_since is None:
            on = np.nonzero(np.any(kcmd[:, :n_out] != 0.0, axis=0))[0]
            if len(on):
                self.current_since = self.time + on[0] * sample_interval
        self.time += n_out * sample_interval
        return self._to_si(out, variables, area_cm2)

    def _divergence_message(
        self,
        kmode: int,
        cmd_row: np.ndarray,
        sample_interval: float,
        t_bad: float,
        where: str,
        v_bad: float,
    ) -> str:
        """Why a run diverged at ``where`` (time ``t_bad`` s, potential ``v_bad`` mV), in
        one line: a reversal potential no membrane can have (naming the concentrations
        behind it), the injected current (and since when), or the membrane parameters."""
        head = f"the simulation diverged at {where}: the membrane potential reached {v_bad:+.0f} mV"
        tail = "The cell was left as it was before this step."
        if kmode == kernel.MODE_VC:
            return f"{head}. Check the clamp command and the membrane parameters. {tail}"
        rev = self.cell.reversals()
        ion, e = max(rev.items(), key=lambda kv: kv[1] * math.copysign(1.0, v_bad))
        if abs(e) > REVERSAL_LIMIT:
            if ion == "L":
                why = f"the leak reverses at {e * 1e3:+.0f} mV (E_L)"
            elif self.cell.is_pinned(ion):
                why = f"E_{ion} is set to {e * 1e3:+.0f} mV"
            else:
                v = self.cell.values
                why = (
                    f"E_{ion} is {e * 1e3:+.0f} mV from {ion}_in {v[f'{ion}_in']:g} mM and "
                    f"{ion}_out {v[f'{ion}_out']:g} mM"
                )
            return (
                f"{head}, driven there by a reversal potential: {why}, beyond the "
                f"+/-{REVERSAL_LIMIT * 1e3:.0f} mV of any living cell. Set concentrations "
                f"nearer to physiological values. {tail}"
            )
        on = np.nonzero(cmd_row != 0.0)[0]
        since = self.current_since
        if since is None and len(on):
            since = self.time + on[0] * sample_interval
        if since is None:
            return (
                f"{head} before any current was injected: the membrane parameters make this "
                f"cell unstable (check the conductances and Cm). {tail}"
            )
        return (
            f"{head} {(t_bad - since) * 1e3:.3f} ms after current injection began: the "
            f"injected current is too large for this membrane; reduce it. {tail}"
        )

    def _to_si(self, out: np.ndarray, variables, area_cm2: float) -> dict[str, np.ndarray]:
        names = variables if variables is not None else RECORDABLE
        res = {}
        for name in names:
            if name not in kernel.RECORD_NAMES:
                raise SimulationError(
                    f"cannot record {name!r}; recordable: {', '.join(RECORDABLE)}"
                )
            x = out[:, kernel.RECORD_NAMES[name], :]
            unit = SI_UNITS[name]
            if unit == "V":
                x = x * 1e-3
            elif unit == "A":
                x = x * (area_cm2 * 1e-6)
            elif unit == "S":
                x = x * (area_cm2 * 1e-3)
            else:
                x = x.copy()
            res[name] = x
        return res


def run_protocol(
    cell: Cell,
    protocol,
    variables: tuple[str, ...] | None = None,
    dt_max: float = DEFAULT_DT_MAX,
) -> RunResult:
    """Run every sweep of ``protocol`` on ``cell`` together (one batch).

    The cell starts at steady state: at the holding potential in voltage clamp; in
    current clamp at the preparation's starting potential (or at the potential the
    holding current holds it at).
    """
    area = cell.values["area"]
    names = variables if variables is not None else RECORDABLE
    check_memory(protocol.sweeps, protocol.n_samples, len(names) + kernel.N_REC)
    cmd = protocol.command(area)
    n_sweeps, n = cmd.shape
    dt = protocol.sample_interval
    mem = Membrane(cell, n_sweeps=n_sweeps, dt_max=dt_max)
    if protocol.mode is ClampMode.VC:
        mem.reset(v0=cmd[:, 0])
    else:
        hold = protocol.holding.value
        if protocol.holding.dimension == "current_density":
            hold *= area
        mem.reset(holding_current=hold)
    first = _initial_sample(mem, cmd[:, 0], protocol.mode, names)
    if n > 1:
        rest = mem.advance(protocol.mode, cmd, dt, names)
    else:
        rest = {k: v[:, :0] for k, v in first.items()}
    data = {k: np.concatenate([first[k], rest[k]], axis=1) for k in names}
    notes = []
    if "Vm" in data and protocol.mode is not ClampMode.VC:
        note = plausibility_note(data["Vm"])
        if note:
            notes.append(note)
    return RunResult(
        t=np.arange(n) * dt,
        data=data,
        command=cmd,
        mode=protocol.mode,
        dt=dt / mem.steps_per_sample(dt, protocol.mode),
        cell_info=cell.describe(),
        notes=notes,
    )


MAX_RUN_BYTES = 2 * 1024**3  # the largest run vlab will hold in memory


class RunTooLargeError(SimulationError, ValueError):
    """A run refused before it starts because it would not fit in memory (bad input)."""


def check_memory(n_sweeps: int, n_samples: int, n_arrays: int) -> None:
    """Refuse a run whose recording would not fit comfortably in a school laptop's memory."""
    need = 8 * n_sweeps * n_samples * n_arrays
    if need > MAX_RUN_BYTES:
        raise RunTooLargeError(
            f"this run would need {need / 1024**3:.1f} GB of memory ({n_sweeps} sweeps x "
            f"{n_samples} samples x {n_arrays} traces); at most {MAX_RUN_BYTES / 1024**3:.0f} GB "
            "is allowed. Use fewer sweeps, a shorter sweep, a longer sample interval, or "
            "record fewer variables."
        )


def _initial_sample(
    mem: Membrane, cmd0: np.ndarray, mode: ClampMode, names
) -> dict[str, np.ndarray]:
    """Record the state at t = 0 (before any step) in the same form as :meth:`advance`."""
    P = mem.cell.kernel_params()
    out = kernel.new_output(mem.n_sweeps, 1)
    area_cm2 = mem.cell.values["area"] * 1e4
    for s in range(mem.n_sweeps):
        v, m, h, n, p, b, q = mem.state[s]
        im = 0.0
        if mode is ClampMode.CC:
            im = cmd0[s] / (area_cm2 * 1e-6)
        iion = kernel._record(P, out, s, 0, v, m, h, n, p, b, q, im, True)
        if mode is ClampMode.VC:
            out[s, kernel.R_IM, 0] = iion
    return mem._to_si(out, names, area_cm2)
