"""The axon bench without Qt: what the student sets up, the sweep it computes, the readout.

One model for the two ways of using an axon: the bench window (:mod:`vlab.gui.axon_view`)
and ``vlab run`` on an axon preparation (:mod:`vlab.cli`). Both validate the same settings
by the same rules here and measure with the same :func:`readout`, so the window and the
command line cannot disagree about what is allowed or how fast a spike travelled.

- :class:`AxonSetup` -- the preparation and what was done to it (parameters with units,
  bath and local drugs, demyelinated stretches); :meth:`AxonSetup.build` gives the
  :class:`~vlab.sim.cable.Axon` or raises :class:`BenchError` naming the setting.
- :class:`PulseStimulus` -- the bench's stimulus (one pulse at S1, optionally the same pulse
  at S2 for collisions) and its command waveform.
- :func:`run_pulse` -- computes a :class:`BenchSweep`: Vm of every compartment at every
  sample, so moving an electrode afterwards needs no new simulation.
- :func:`readout` -- distance, latencies and conduction velocity between two electrodes, as
  on a nerve-conduction bench, with notes when a velocity would mean nothing.

SI units throughout (m, s, V, A, mol/m³).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from vlab.clamp import ClampMode
from vlab.recording import Sweep
from vlab.sim.cable import Axon, conduction_velocity, spike_times
from vlab.sim.cell import ParameterError
from vlab.sim.drugs import DrugError, load_drugs
from vlab.units import UnitError, parse_quantity

__all__ = [
    "AxonSetup",
    "BenchError",
    "BenchSweep",
    "LOCAL_DRUG_DEFAULTS",
    "MAX_STIMULUS",
    "MAX_SWEEP",
    "MIN_SWEEP",
    "NOTE_SAME_PLACE",
    "NOTE_TWO_STIMULI",
    "PREPARATION_DEFAULTS",
    "PulseStimulus",
    "Readout",
    "SAMPLE_INTERVAL",
    "STIM_ONSET",
    "Stretch",
    "local_drug_names",
    "parse_stretch",
    "readout",
    "run_pulse",
    "stretch",
    "sweep_for_export",
]

SAMPLE_INTERVAL = 10e-6  # s: the bench's integration step and snapshot interval
STIM_ONSET = 0.5e-3  # s: the pulse starts here
MIN_SWEEP = 1e-3  # s
MAX_SWEEP = 50e-3  # s (memory: every compartment at every sample is kept)
MAX_STIMULUS = 1e-3  # A: more would destroy the axon


class PreparationDefaults(TypedDict):
    """A preparation's default bench settings (text with units) and electrode sites (cm)."""

    amplitude: str
    duration: str
    sweep: str
    electrodes: tuple[float, float]


#: per preparation: the bench's default settings (text with units) and electrode sites (cm)
PREPARATION_DEFAULTS: dict[str, PreparationDefaults] = {
    "squid_axon": {
        "amplitude": "20 uA",
        "duration": "0.2 ms",
        "sweep": "10 ms",
        "electrodes": (2.0, 4.0),
    },
    "myelinated_axon": {
        "amplitude": "10 nA",
        "duration": "0.1 ms",
        "sweep": "5 ms",
        "electrodes": (0.5, 1.5),
    },
}
#: concentrations offered for a *local* application (enough to block a stretch)
LOCAL_DRUG_DEFAULTS = {"lidocaine": "1 mM", "TTX": "1 uM"}

#: readout notes (the GUI translates them; the CLI prints them)
NOTE_TWO_STIMULI = (
    "Two stimuli: each electrode may see a different action potential, so no velocity is given."
)
NOTE_SAME_PLACE = "Both electrodes record at the same place: move one."


class BenchError(ValueError):
    """A setting the bench refuses: ``setting`` names it (a control or a command-line option)
    and ``reason`` says what is wrong; the message is ``"setting: reason"``."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


# ---------------------------------------------------------------------------- stretches
@dataclass(frozen=True)
class Stretch:
    """A stretch of axon from ``start`` to ``end`` (m), ``start < end``."""

    start: float
    end: float

    def __str__(self) -> str:
        return f"{self.start * 100:g}-{self.end * 100:g} cm"


def stretch(x0: float, x1: float, length: float, setting: str) -> Stretch:
    """Validate two positions (m) on an axon of ``length`` (m) as a :class:`Stretch`."""
    if not (math.isfinite(x0) and math.isfinite(x1)):
        raise BenchError(setting, "give two positions along the axon")
    if not (0.0 <= min(x0, x1) and max(x0, x1) <= length):
        raise BenchError(setting, f"outside the axon (0 to {length * 100:g} cm)")
    if x0 == x1:
        raise BenchError(setting, "the stretch has no length")
    return Stretch(min(x0, x1), max(x0, x1))


def parse_stretch(text: str, length: float, setting: str) -> Stretch:
    """``"2cm-3cm"`` (or ``"2 cm - 3 cm"``) -> Stretch(0.02, 0.03), inside ``0..length`` (m)."""
    for k, ch in enumerate(text):
        if ch != "-" or k == 0:
            continue
        try:
            x0 = parse_quantity(text[:k], "length").value
            x1 = parse_quantity(text[k + 1 :], "length").value
        except UnitError:
            continue
        return stretch(x0, x1, length, f"{setting} {text!r}")
    raise BenchError(f"{setting} {text!r}", "expected a stretch such as 2cm-3cm")


def local_drug_names() -> list[str]:
    """Drugs that can be put on a stretch of axon (channel blockers), the usual ones first."""
    names = [
        n
        for n, d in load_drugs().items()
        if d.target in ("Na", "K") and d.mechanism != "remove-inactivation"
    ]
    return sorted(names, key=lambda n: (n not in LOCAL_DRUG_DEFAULTS, n.lower()))


# ---------------------------------------------------------------------------- set-up
@dataclass
class AxonSetup:
    """An axon preparation and what the student did to it, before it is simulated.

    ``parameters`` maps a parameter name (``diameter``, ``temperature``, ``stim_x`` or any
    membrane parameter of :meth:`vlab.sim.cell.Cell.set`) to a value with its unit, as typed.
    Concentrations are mol/m³ (= mM); positions m.
    """

    preparation: str = "squid_axon"
    parameters: dict[str, str] = field(default_factory=dict)
    #: (name, concentration) or (name, concentration, side "outside"/"inside"/None)
    bath_drugs: list[tuple] = field(default_factory=list)
    local_drugs: list[tuple[str, float, Stretch]] = field(default_factory=list)
    demyelinated: list[Stretch] = field(default_factory=list)

    def build(self) -> Axon:
        """The :class:`Axon` with every setting applied; :class:`BenchError` names a bad one."""
        try:
            axon = Axon(self.preparation)
        except (ParameterError, ValueError) as exc:
            raise BenchError("preparation", str(exc)) from None
        for name, value in self.parameters.items():
            try:
                axon.set(name, value)
            except (ParameterError, UnitError, ValueError) as exc:
                text = str(exc)
                if text.startswith(f"{name}: "):
                    text = text[len(name) + 2 :]
                raise BenchError(name, text) from None
        for name, conc, *side in self.bath_drugs:
            try:
                axon.cell.set_drug(name, conc, *side)
            except (DrugError, ValueError) as exc:
                raise BenchError(f"drug {name}", str(exc)) from None
        for name, conc, where in self.local_drugs:
            try:
                axon.apply_drug_locally(name, conc, where.start, where.end)
            except (DrugError, ValueError) as exc:
                raise BenchError("drug concentration", f"{name}: {exc}") from None
        if self.demyelinated and not axon.myelinated:
            raise BenchError("demyelinate", f"{self.preparation} has no myelin to strip")
        for where in self.demyelinated:
            axon.demyelinate(where.start, where.end)
        return axon

    @staticmethod
    def length_of(preparation: str) -> float:
        """The axon's length (m), to validate positions before building."""
        try:
            return float(Axon(preparation).geometry["length"])
        except (ParameterError, ValueError) as exc:
            raise BenchError("preparation", str(exc)) from None


# ---------------------------------------------------------------------------- stimulus
@dataclass(frozen=True)
class PulseStimulus:
    """The bench's stimulus: one pulse of ``amplitude`` (A) for ``duration`` (s) at S1,
    starting at :data:`STIM_ONSET` in a sweep of ``sweep`` (s); ``second_site`` (m) gives
    the same pulse at S2 too (collision)."""

    amplitude: float
    duration: float
    sweep: float
    second_site: float | None = None

    def check(self) -> None:
        """Raise :class:`BenchError` for a pulse the bench refuses."""
        if not math.isfinite(self.amplitude) or abs(self.amplitude) > MAX_STIMULUS:
            raise BenchError("amplitude", "more than 1 mA would destroy the axon.")
        if not (MIN_SWEEP <= self.sweep <= MAX_SWEEP):
            raise BenchError(
                "sweep", f"choose between {MIN_SWEEP * 1e3:g} ms and {MAX_SWEEP * 1e3:g} ms."
            )
        if not (SAMPLE_INTERVAL <= self.duration <= self.sweep - STIM_ONSET):
            raise BenchError("duration", "at least 0.01 ms and it must end within the sweep.")

    def command(self) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
        """(command (1, n) A at S1 sampled every :data:`SAMPLE_INTERVAL`, extra stimuli
        ``[(x m, t_on s, duration s, amplitude A)]``)."""
        self.check()
        n = round(self.sweep / SAMPLE_INTERVAL) + 1
        cmd = np.zeros((1, n))
        i0 = round(STIM_ONSET / SAMPLE_INTERVAL)
        i1 = i0 + max(1, round(self.duration / SAMPLE_INTERVAL))
        cmd[0, i0:i1] = self.amplitude
        extra = []
        if self.second_site is not None:
            extra.append(
                (self.second_site, STIM_ONSET, (i1 - i0) * SAMPLE_INTERVAL, self.amplitude)
            )
        return cmd, extra


# ---------------------------------------------------------------------------- sweep
@dataclass
class BenchSweep:
    """A computed bench sweep: Vm (V) of every compartment at every sample."""

    axon: Axon
    comp: dict
    t: np.ndarray  # (n,) s
    v: np.ndarray  # (n, n_comp) V, row 0 the initial state
    command: np.ndarray  # (n,) A at S1
    length: float  # m
    stim_onset: float  # s
    compute_s: float  # wall-clock seconds the simulation took
    collision: bool = False

    @property
    def dt(self) -> float:
        return float(self.t[1] - self.t[0])

    def trace_at(self, x: float) -> tuple[np.ndarray, float]:
        """Vm (V) recorded at position ``x`` (m) and the site recorded (nearest node if myelinated)."""
        x = min(max(x, 0.0), self.length)
        i = self.axon.position_index(x, self.comp)
        return self.v[:, i], float(self.comp["x"][i])


def run_pulse(axon: Axon, stimulus: PulseStimulus) -> BenchSweep:
    """Simulate ``stimulus`` on ``axon``, keeping every compartment at every sample."""
    cmd, extra = stimulus.command()
    if stimulus.second_site is not None:
        length = float(axon.geometry["length"])
        if not (0.0 <= stimulus.second_site <= length):
            raise BenchError("S2", f"outside the axon (0 to {length * 100:g} cm)")
    t0 = time.perf_counter()
    r = axon.run(
        command=cmd,
        sample_interval=SAMPLE_INTERVAL,
        record={"S1": axon.geometry["stim_x"]},
        dt_max=min(SAMPLE_INTERVAL, axon.default_dt()),
        snapshot_every=SAMPLE_INTERVAL,
        extra_stimuli=extra,
    )
    comp = axon.compartments()
    row0 = np.full((1, len(comp["x"])), r.traces["S1"][0, 0])
    if r.snapshots is None:
        raise RuntimeError("the axon run returned no snapshots although they were asked for")
    return BenchSweep(
        axon=axon,
        comp=comp,
        t=r.t,
        v=np.vstack([row0, r.snapshots]),
        command=cmd[0],
        length=float(axon.geometry["length"]),
        stim_onset=STIM_ONSET,
        compute_s=time.perf_counter() - t0,
        collision=bool(extra),
    )


# ---------------------------------------------------------------------------- readout
@dataclass(frozen=True)
class Readout:
    """What a nerve-conduction bench shows for two (or more) recording electrodes.

    ``latencies`` are from the stimulus onset to the action potential's passage (s; NaN
    where none passed). ``velocity`` (m/s) is between the first two sites, NaN when it
    cannot be measured or would mean nothing (two stimuli). ``missing`` lists the indices of
    electrodes that saw no action potential.
    """

    sites: tuple[float, ...]
    latencies: tuple[float, ...]
    distance: float
    velocity: float
    missing: tuple[int, ...]
    notes: tuple[str, ...]


def readout(
    t: np.ndarray,
    traces: list[np.ndarray],
    sites: list[float],
    stim_onset: float = 0.0,
    collision: bool = False,
) -> Readout:
    """Measure the bench readout from Vm ``traces`` (V) recorded at ``sites`` (m).

    Times are taken by :func:`vlab.sim.cable.spike_times` (half the action potential's
    height), so the readout is the one ``vlab run --analyse`` prints.
    """
    times = spike_times(t, traces, stim_onset)
    latencies = tuple(tt - stim_onset for tt in times)
    missing = tuple(k for k, lat in enumerate(latencies) if not math.isfinite(lat))
    distance = abs(sites[1] - sites[0]) if len(sites) >= 2 else math.nan
    notes = []
    velocity = math.nan
    if collision:
        notes.append(NOTE_TWO_STIMULI)
    elif len(traces) >= 2:
        velocity = conduction_velocity(t, traces[0], traces[1], sites[0], sites[1], stim_onset)
    if distance == 0:
        notes.append(NOTE_SAME_PLACE)
    return Readout(tuple(sites), latencies, distance, velocity, missing, tuple(notes))


# ---------------------------------------------------------------------------- export
def sweep_for_export(sweep: BenchSweep, sites: list[float], index: int = 0) -> Sweep:
    """A recording :class:`~vlab.recording.Sweep` of a bench sweep, for any export format.

    Channels: ``Im`` (the stimulus at S1, A) and ``Vm@<x>cm`` (V) at each recording site
    ``sites`` (m; the recorded compartment's place, as :meth:`BenchSweep.trace_at` gives).
    The provenance says what was on the bench: preparation, temperature, geometry, bath and
    local drugs, demyelinated stretches and whether S2 fired too.
    """
    channels: dict[str, np.ndarray] = {"Im": sweep.command}
    for x in sites:
        v, at = sweep.trace_at(x)
        channels[f"Vm@{at * 100:.3g}cm"] = v
    ax = sweep.axon
    prov = {
        "source": "axon bench",
        "preparation": ax.prep.name,
        "mode": ClampMode.CC.value,
        "temperature_C": float(ax.cell.values["temperature"]),
        "cable": {k: float(v) for k, v in ax.geometry.items()},
        "bath_drugs_mM": {k: float(c) for k, c in ax.cell.drugs.items()},
        "local_drugs": [
            f"{n} {c:g} mM at {x0 * 100:g}-{x1 * 100:g} cm" for x0, x1, n, c in ax.local_drugs
        ],
        "demyelinated_cm": [f"{x0 * 100:g}-{x1 * 100:g}" for x0, x1 in ax.demyelinated],
        "stimulus_onset_s": sweep.stim_onset,
        "second_stimulus": sweep.collision,
    }
    return Sweep(index=index, dt=sweep.dt, channels=channels, provenance=prov)
