"""Axons: a cable of HH compartments, unmyelinated or myelinated, with electrodes.

An axon preparation is a membrane preparation file with a ``[cable]`` table (see
docs/preparations.md). :class:`Axon` combines the membrane (a :class:`~vlab.sim.cell.Cell`,
so solutions, temperature and drugs work as for a patch) with the geometry:

- ``length``, ``diameter``, ``dx`` (compartment length), ``Ri`` (axoplasm resistivity);
- ``stim_x`` (stimulating electrode position) and ``stim_length`` (the stretch of membrane
  the electrode's current enters); a current *density* in a protocol is converted with the
  preparation's ``area`` (for the squid axon the membrane within one length constant of
  the electrode), absolute currents are used as they are;
- myelin (optional): nodes of Ranvier of ``node_length`` every ``internode_length``; the
  internodes have their membrane wrapped by ``myelin_lamellae`` layers, which divides the
  capacitance and leak conductance by 2 x lamellae and removes the voltage-gated channels;
- damage and pharmacology on segments: :meth:`Axon.demyelinate` (an internode stretch loses
  its myelin and is left as bare, channel-poor membrane) and :meth:`Axon.apply_drug_locally`.

SI at the boundary (m, s, V, A); the kernel works in mV, ms, uF, mS, uA per compartment.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from vlab.clamp import ClampMode
from vlab.sim import cable_kernel as CK
from vlab.sim.cell import Cell, ParameterError
from vlab.sim.drugs import DrugError, get_drug
from vlab.sim.preparation import CABLE_PARAMETERS, load_preparation
from vlab.units import UnitError, parse_quantity

__all__ = [
    "Axon",
    "CableResult",
    "conduction_velocity",
    "spike_times",
    "first_crossing",
    "AP_MIN_RISE",
    "CABLE_PARAMETERS",
]


#: the axon's step is at most this times the membrane's accuracy step: the membrane's
#: calibration leaves a factor 2.7 to spare, and 2.5 keeps every default axon step (checked
#: against a five times finer step in tests/sim/test_stiffness_cable.py)
CABLE_ACCURACY_FACTOR = 2.5


@dataclass
class CableResult:
    """Recorded traces of an axon run (SI)."""

    t: np.ndarray  # s, sample times (first sample at 0)
    traces: dict[str, np.ndarray]  # "Vm@2cm" -> (n_sweeps, n_samples) V
    positions: dict[str, float]  # "Vm@2cm" -> x asked for, m
    sites: dict[str, float]  # "Vm@2cm" -> centre of the compartment actually recorded, m
    x: np.ndarray  # compartment centres, m
    snapshots: np.ndarray | None = None  # (n_snap, n_comp) V of the last sweep
    snapshot_t: np.ndarray | None = None  # s
    command: np.ndarray | None = None  # (n_sweeps, n_samples) A
    info: dict = field(default_factory=dict)


class Axon:
    """An axon preparation ready to simulate (see module docstring)."""

    def __init__(self, preparation: str = "squid_axon") -> None:
        prep = load_preparation(preparation)
        if prep.cable is None:
            raise ParameterError(
                f"preparation {preparation!r} is not an axon (it has no [cable] table)"
            )
        self.cell = Cell(prep)
        self.geometry: dict[str, float] = dict(prep.cable)
        self.geometry.setdefault("myelin_lamellae", 0.0)
        self.demyelinated: list[tuple[float, float]] = []
        self.local_drugs: list[tuple[float, float, str, float]] = []

    @property
    def prep(self):
        return self.cell.prep

    @property
    def myelinated(self) -> bool:
        return self.geometry.get("myelin_lamellae", 0) > 0 and "internode_length" in self.geometry

    # ------------------------------------------------------------------ parameters
    def set(self, name: str, value) -> None:
        """Set a cable parameter (``stim_x``, ``diameter``...) or any membrane parameter."""
        if name not in CABLE_PARAMETERS:
            try:
                self.cell.set(name, value)
            except ParameterError as exc:
                if "unknown parameter" in str(exc):
                    raise ParameterError(
                        f"unknown parameter {name!r}; valid names: "
                        f"{', '.join([*CABLE_PARAMETERS, *self.cell.PARAMETERS])}"
                    ) from None
                raise
            return
        dim, unit, lo, hi, _ = CABLE_PARAMETERS[name]
        if isinstance(value, str):
            try:
                v = float(value) if dim == "number" else parse_quantity(value, dim).value
            except (UnitError, ValueError) as exc:
                raise ParameterError(f"{name}: {exc}") from exc
        else:
            v = float(value)
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ParameterError(
                f"{name} = {value!r} is outside the allowed range for {CABLE_PARAMETERS[name][4]}"
            )
        self.geometry[name] = v
        if name == "stim_x" and v > self.geometry["length"]:
            raise ParameterError(f"stim_x = {value} lies beyond the end of the axon")

    def demyelinate(self, x0: float, x1: float) -> None:
        """Strip the myelin from every internode between ``x0`` and ``x1`` (m)."""
        self.demyelinated.append((min(x0, x1), max(x0, x1)))

    def apply_drug_locally(self, name: str, concentration: float, x0: float, x1: float) -> None:
        """Drug applied to the stretch ``x0``..``x1`` (m) only (e.g. lidocaine on 5 mm)."""
        drug = get_drug(name)
        drug.check_concentration(concentration)
        if drug.mechanism == "remove-inactivation":
            raise DrugError(
                f"{drug.name} acts from inside the axon (internal perfusion); it cannot be "
                "applied to a stretch from outside"
            )
        self.local_drugs.append((min(x0, x1), max(x0, x1), drug.name, concentration))

    # ------------------------------------------------------------------ geometry
    def compartments(self) -> dict[str, np.ndarray]:
        """Compartment centres ``x`` (m), lengths ``L`` (m) and kinds (0 axon, 1 node, 2 internode)."""
        g = self.geometry
        if not self.myelinated:
            n = max(3, round(g["length"] / g["dx"]))
            L = np.full(n, g["length"] / n)
            kind = np.zeros(n, dtype=int)
        else:
            lengths, kinds = [], []
            ni = max(1, round(g["internode_length"] / g["dx"]))
            n_nodes = max(2, int(g["length"] // (g["internode_length"] + g["node_length"])) + 1)
            for k in range(n_nodes):
                lengths.append(g["node_length"])
                kinds.append(1)
                if k < n_nodes - 1:
                    lengths += [g["internode_length"] / ni] * ni
                    kinds += [2] * ni
            L = np.array(lengths)
            kind = np.array(kinds)
        x = np.cumsum(L) - L / 2
        return {"x": x, "L": L, "kind": kind}

    def _compartment_params(self, comp):
        cell = self.cell
        g = self.geometry
        P = cell.kernel_params()  # block from bath drugs already applied (mS/cm2 etc.)
        from vlab.sim import kernel

        d_cm = g["diameter"] * 100.0
        L_cm = comp["L"] * 100.0
        area = math.pi * d_cm * L_cm  # cm2
        n = len(L_cm)
        C = P[kernel.P_C] * area
        gna = np.full(n, P[kernel.P_GNA]) * area
        gk = np.full(n, P[kernel.P_GK]) * area
        glk = np.full(n, P[kernel.P_GLK]) * area
        glna = np.full(n, P[kernel.P_GLNA]) * area
        glx = np.full(n, P[kernel.P_GLX] + P[kernel.P_GCL]) * area
        kind = comp["kind"].copy()
        x = comp["x"]
        for x0, x1 in self.demyelinated:
            kind[(kind == 2) & (x >= x0) & (x <= x1)] = 3  # bare internode
        e_int = None
        if self.myelinated:
            # Internodal axolemma has no Na+/K+ channels of the node; it is given a leak
            # reversing at the nodes' resting potential so the fibre rests uniformly.
            wrap = 2.0 * g["myelin_lamellae"]
            inter = kind >= 2
            e_int = self.cell.resting_potential() * 1e3
            g_leak = glk + glna + glx
            # the internodal membrane is not nodal membrane: its own Cm and leak if given
            if "internode_Cm" in g:
                C[inter] = g["internode_Cm"] * 100.0 * area[inter]  # F/m2 -> uF/cm2
            if "internode_gL" in g:
                g_leak[inter] = g["internode_gL"] / 10.0 * area[inter]  # S/m2 -> mS/cm2
            for arr in (glk, glna, gna, gk):
                arr[inter] = 0.0
            glx[inter] = g_leak[inter]
            bare = kind == 3
            wrapped = kind == 2
            C[wrapped] /= wrap
            glx[wrapped] /= wrap
            glx[bare] = g_leak[bare]  # exposed axolemma: full capacitance and leak, no spikes
        # The cable has no use-dependent state: a local anaesthetic gives its tonic
        # (modulated-receptor) block at the resting potential, from the bath or locally.
        v_rest = self.cell.resting_potential()
        c_bath = self.cell.lidocaine()[0]
        lido = self.cell.anaesthetic_block_at_rest(c_bath, v_rest)
        gna *= 1.0 - lido
        for x0, x1, name, c in self.local_drugs:
            drug = get_drug(name)
            sel = (x >= x0) & (x <= x1)
            if drug.mechanism == "use-dependent":
                local = self.cell.anaesthetic_block_at_rest(c_bath + c, v_rest)
                gna[sel] *= (1.0 - local) / (1.0 - lido)
                continue
            if drug.mechanism != "block":
                continue
            for a in drug.actions_on(self.prep.name, "outside"):
                if a.target == "Na":
                    gna[sel] *= 1.0 - a.occupancy(c)
                elif a.target == "K":
                    gk[sel] *= 1.0 - a.occupancy(c)
        ri = g["Ri"] * 100.0  # ohm*m -> ohm*cm
        r_half = 4.0 * ri * (L_cm / 2.0) / (math.pi * d_cm**2)  # ohm, centre to face
        gax = 1e3 / (r_half[:-1] + r_half[1:])  # mS
        E = (P[kernel.P_ENA], P[kernel.P_EK], P[kernel.P_ELX])
        elx = np.full(n, P[kernel.P_ELX])
        if e_int is not None:
            elx[kind >= 2] = e_int
        if P[kernel.P_GCL] > 0:  # a Cl- conductance shares the fixed-E leak slot: fold its E in
            base = glx - P[kernel.P_GCL] * area
            elx = np.where(
                glx > 0,
                (base * elx + P[kernel.P_GCL] * area * P[kernel.P_ECL]) / np.where(glx > 0, glx, 1),
                elx,
            )
        # pronase (internal perfusion) removes inactivation from this fraction everywhere
        fni = np.full(n, P[kernel.P_PRONASE])
        return C, gna, gk, glk, glna, glx, gax, (E[0], E[1], elx), area, P, fni

    def stim_weights(self, comp) -> np.ndarray:
        """Share of the stimulating electrode's current entering each compartment."""
        g = self.geometry
        x, L = comp["x"], comp["L"]
        half = g["stim_length"] / 2.0
        lo = min(max(g["stim_x"] - half, 0.0), g["length"] - 2 * half)
        hi = lo + 2 * half
        edges_lo, edges_hi = x - L / 2, x + L / 2
        overlap = np.clip(np.minimum(edges_hi, hi) - np.maximum(edges_lo, lo), 0.0, None)
        if self.myelinated:
            overlap = overlap * (comp["kind"] == 1)
        if overlap.sum() <= 0:
            overlap = np.zeros_like(x)
            overlap[int(np.argmin(np.abs(x - g["stim_x"])))] = 1.0
        return overlap / overlap.sum()

    def stimulated_area(self) -> float:
        """Membrane area (m^2) a current density in a protocol refers to (``area``)."""
        return self.cell.values["area"]

    def position_index(self, x: float, comp=None) -> int:
        comp = comp or self.compartments()
        if not (0 <= x <= self.geometry["length"] + 1e-12):
            raise ParameterError(
                f"recording position {x * 100:g} cm is outside the axon (0 to "
                f"{self.geometry['length'] * 100:g} cm)"
            )
        xs = comp["x"]
        if self.myelinated:  # record at the nearest node
            nodes = np.nonzero(comp["kind"] == 1)[0]
            return int(nodes[np.argmin(np.abs(xs[nodes] - x))])
        return int(np.argmin(np.abs(xs - x)))

    # ------------------------------------------------------------------ running
    #: integration step at the preparation's own temperature (s) unless its ``[cable]``
    #: gives ``dt``; velocity within 0.15 % of converged for the squid axon at 18.5 degC
    BASE_DT = 10e-6

    def default_dt(self) -> float:
        """Integration step (s) keeping the velocity within 1 % of its converged value:
        ``BASE_DT`` at the preparation's temperature, shrinking as 1/sqrt of the gates'
        speed-up when warmer (the error grows as (dt * phi)^2; measured 0.12 % at 18.5 degC,
        so it stays below 1 % up to heat block); and at most CABLE_ACCURACY_FACTOR times the
        membrane's accuracy step (:func:`vlab.sim.engine.accuracy_step`), which binds only
        at stiff settings. Raises ``TooStiffError`` where the membrane would be refused."""
        speedup = self.cell.phi() / (
            self.cell.values["q10"]
            ** ((self.prep.temperature - self.prep.kinetics_temperature) / 10.0)
        )
        step = self.geometry.get("dt", self.BASE_DT) / math.sqrt(max(1.0, speedup))
        from vlab.sim.engine import check_accuracy_step

        # a stiff membrane (small Cm, large gNa, heat) needs the single membrane's step
        # control too (docs/validation.md, "Stiff settings"); refused where it refuses
        stiff = check_accuracy_step(self.cell, self.cell.kernel_params())
        return min(step, CABLE_ACCURACY_FACTOR * stiff)

    def run(
        self,
        protocol=None,
        *,
        record: dict[str, float] | None = None,
        command=None,
        sample_interval: float | None = None,
        dt_max: float | None = None,
        snapshot_every: float | None = None,
        extra_stimuli=(),
    ) -> CableResult:
        """Run a current-clamp protocol (every sweep in turn) on the axon.

        ``record`` maps a label to a position (m), e.g. ``{"Vm@2cm": 0.02}``. ``command``
        (n_sweeps, n_samples) A may replace the protocol. ``extra_stimuli`` is a list of
        ``(x, t_on, duration, amplitude_A)`` point stimuli added to every sweep (collision
        experiments). ``snapshot_every`` (s) stores V(x) of the last sweep at that interval.
        ``dt_max`` (s) defaults to :meth:`default_dt`.
        """
        if dt_max is None:
            dt_max = self.default_dt()
        if protocol is not None:
            if protocol.mode is not ClampMode.CC:
                raise ParameterError(
                    "axon preparations take current-clamp protocols (a stimulating electrode); "
                    f"{protocol.name!r} is a {protocol.mode.words} protocol"
                )
            command = protocol.command(self.stimulated_area())
            sample_interval = protocol.sample_interval
        if command is None or sample_interval is None:
            raise ParameterError("give a protocol, or a command and its sample interval")
        command = np.atleast_2d(np.asarray(command, dtype=float))
        if not np.all(np.isfinite(command)):
            raise ParameterError("the stimulus contains NaN or infinite values")
        if np.max(np.abs(command)) > 1e-3:
            raise ParameterError("stimulus current above 1 mA refused: it would destroy the axon")
        sub = max(1, math.ceil(sample_interval / dt_max - 1e-9))
        dt_ms = sample_interval * 1e3 / sub
        comp = self.compartments()
        C, gna, gk, glk, glna, glx, gax, (ena, ek, elx), area, P, fni = self._compartment_params(
            comp
        )
        from vlab.sim import kernel

        rates_of = (int(P[kernel.P_KIND]), float(P[kernel.P_VT]), float(P[kernel.P_PHI]))
        tab = CK.gate_tables(*rates_of, dt_ms)
        tab_half = CK.gate_tables(*rates_of, dt_ms / 2)
        w = self.stim_weights(comp)
        record = dict(record or {})
        labels = list(record)
        rec_idx = np.array([self.position_index(record[k], comp) for k in labels], dtype=np.int64)
        n_sweeps, n = command.shape
        traces = np.empty((n_sweeps, len(labels), n))
        weight_rows = [w]
        extra_cmd = []
        for xs, t_on, dur, amp in extra_stimuli:
            wi = np.zeros(len(comp["x"]))
            wi[self.position_index(xs, comp)] = 1.0
            weight_rows.append(wi)
            a = np.zeros(n + 1)
            a[round(t_on / sample_interval) : round((t_on + dur) / sample_interval)] = amp * 1e6
            extra_cmd.append(a)
        weights = np.array(weight_rows)
        snaps = snap_t = None
        for s in range(n_sweeps):
            v0 = (
                self.cell.prep.v_init
                if self.cell.prep.v_init is not None
                else self.cell.resting_potential()
            )
            m, h, nn, *_ = self.cell.steady_state_gates(v0)
            V = np.full(len(C), v0 * 1e3)
            M, H, N = np.full(len(C), m), np.full(len(C), h), np.full(len(C), nn)
            stim = np.empty((len(weights), n))
            stim[0] = command[s] * 1e6  # A -> uA
            for e, a in enumerate(extra_cmd, start=1):
                stim[e] = a[:n]
            every = 0
            out_all = np.empty((0, len(C)))
            if snapshot_every and s == n_sweeps - 1:
                every = max(1, round(snapshot_every / sample_interval))
                out_all = np.empty(((n - 1) // every, len(C)))
            out = np.empty((len(labels), n - 1))
            status = CK.advance_cable(
                stim,
                weights,
                tab,
                tab_half,
                dt_ms,
                sub,
                C,
                gna,
                fni,
                self.prep.kinetics_id,
                gk,
                glk,
                glna,
                glx,
                gax,
                ena,
                ek,
                elx,
                V,
                M,
                H,
                N,
                rec_idx,
                out,
                out_all,
                max(every, 1),
            )
            if status:
                from vlab.sim.engine import SimulationError

                raise SimulationError(
                    f"the axon simulation diverged at t = {status * sample_interval * 1e3:.3f} ms: the "
                    "membrane potential left the physiological range. Reduce the stimulus."
                )
            traces[s, :, 0] = v0 * 1e3
            traces[s, :, 1:] = out
            if every:
                snaps = out_all * 1e-3
                snap_t = (np.arange(out_all.shape[0]) + 1) * every * sample_interval
        return CableResult(
            t=np.arange(n) * sample_interval,
            traces={k: traces[:, i, :] * 1e-3 for i, k in enumerate(labels)},
            positions=record,
            sites={k: float(comp["x"][i]) for k, i in zip(labels, rec_idx, strict=True)},
            x=comp["x"],
            snapshots=snaps,
            snapshot_t=snap_t,
            command=command,
            info={
                "n_compartments": len(C),
                "dt": dt_ms * 1e-3,
                "stimulated_area_m2": self.stimulated_area(),
            },
        )

    def describe(self) -> dict:
        d = self.cell.describe()
        d["cable"] = dict(self.geometry)
        d["demyelinated_m"] = list(self.demyelinated)
        d["local_drugs"] = [list(x) for x in self.local_drugs]
        return d

    def copy(self) -> Axon:
        return copy.deepcopy(self)


#: smallest rise above rest (V) that counts as an action potential at a recording site:
#: the electrotonic spread of a stimulus or of a spike that died is smaller.
AP_MIN_RISE = 40e-3


def first_crossing(t: np.ndarray, v: np.ndarray, level: float, after: float = 0.0) -> float:
    """Time (s) of the first upward crossing of ``level`` (V) at or after ``after`` (s),
    interpolated between samples; NaN if there is none."""
    k = np.nonzero((v[:-1] < level) & (v[1:] >= level) & (t[1:] >= after))[0]
    if len(k) == 0:
        return math.nan
    i = int(k[0])
    return float(t[i] + (level - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i]))


def spike_times(t: np.ndarray, traces, after: float = 0.0) -> list[float]:
    """When the action potential passes each recording site (s); NaN where none does.

    ``traces`` are Vm (V) at the sites. A site has an action potential if Vm rises at
    least :data:`AP_MIN_RISE` above its value at ``after``. All sites are timed at the
    same height above their rest, half the height of the smallest of these action
    potentials, so time differences are travel times even when the spike is small (a warm
    axon, a partial block), where a fixed 0 mV level would miss it.
    """
    t = np.asarray(t, dtype=float)
    k0 = max(int(np.searchsorted(t, after, side="right")) - 1, 0)
    vs = [np.asarray(v, dtype=float) for v in traces]
    rests = [float(v[k0]) for v in vs]
    rises = [float(np.max(v[k0:])) - r for v, r in zip(vs, rests, strict=True)]
    heights = [h for h in rises if h >= AP_MIN_RISE]
    if not heights:
        return [math.nan] * len(vs)
    half = 0.5 * min(heights)
    return [
        first_crossing(t, v, r + half, after) if h >= AP_MIN_RISE else math.nan
        for v, r, h in zip(vs, rests, rises, strict=True)
    ]


def conduction_velocity(
    t: np.ndarray, v_a: np.ndarray, v_b: np.ndarray, x_a: float, x_b: float, after: float = 0.0
) -> float:
    """Velocity (m/s) between two sites (m) from the times the action potential passes
    them (:func:`spike_times`). NaN if it does not reach both sites."""
    ta, tb = spike_times(t, (v_a, v_b), after)
    if not (math.isfinite(ta) and math.isfinite(tb)) or ta == tb:
        return math.nan
    return abs(x_b - x_a) / abs(tb - ta)
