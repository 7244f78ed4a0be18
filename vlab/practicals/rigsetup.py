"""Turn a step's :class:`~vlab.practicals.model.Preset` into a configured membrane or rig.

Three consumers share one interpretation of a preset, so what the student sees on the rig,
what the answer functions simulate, and what the tests record are the same membrane:

- :func:`build_cell` makes a :class:`vlab.sim.cell.Cell` (answer functions, tests);
- :func:`apply_preset` configures a :class:`vlab.rig.Rig` (the GUI, on step open);
- :func:`simulate_sweeps` runs the preset's protocol through the engine and returns
  :class:`vlab.recording.Sweep` objects with the same provenance the rig records.

:class:`ControlLock` is the set of controls a step locks; the GUI asks it before letting
the student change something.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vlab.practicals.errors import PracticalError
from vlab.practicals.model import LOCKABLE_CONTROLS, Practical, Preset
from vlab.practicals.unknowns import substitute
from vlab.resources import list_resources

__all__ = [
    "ControlLock",
    "apply_preset",
    "build_cell",
    "load_step_protocol",
    "practical_protocols",
    "resolved",
    "simulate_sweeps",
]

#: which parameter names each lockable group covers
_PARAMETER_GROUPS = {
    "temperature": ("temperature",),
    "solutions": tuple(f"{i}_{s}" for i in ("Na", "K", "Cl", "Ca") for s in ("in", "out"))
    + ("E_Na", "E_K", "E_Cl", "E_L"),
    "conductances": ("gNa", "gK", "gM", "gL", "gCl", "Cm", "q10", "q10_M", "vt", "tau_max_M"),
}


@dataclass(frozen=True, slots=True)
class ControlLock:
    """Controls locked during a step (instructor mode).

    ``locked`` holds names from :data:`vlab.practicals.model.LOCKABLE_CONTROLS`.
    ``"drug_names"`` asks the GUI to hide the names of drugs in the bath (mystery
    practicals). ``hidden`` holds read-outs the GUI hides during the step
    (:data:`vlab.practicals.model.HIDEABLE_READOUTS`).
    """

    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def is_locked(self, control: str) -> bool:
        """True if ``control`` (a lockable name or a parameter name) may not change."""
        if control in self.locked:
            return True
        return any(control in names for g, names in _PARAMETER_GROUPS.items() if g in self.locked)

    def describe(self) -> list[str]:
        """Human-readable names of the locked controls, in a fixed order."""
        labels = {
            "preparation": "preparation",
            "mode": "amplifier mode",
            "holding": "holding value",
            "protocol": "protocol",
            "solutions": "ion concentrations",
            "temperature": "temperature",
            "conductances": "channel densities",
            "drugs": "perfusion (drugs)",
            "drug_names": "drug names are hidden",
            "filter": "low-pass filter",
        }
        out = [labels[c] for c in LOCKABLE_CONTROLS if c in self.locked]
        shown = {"reversals": "reversal potentials are hidden", "ghk": "the GHK estimate is hidden"}
        return out + [shown[h] for h in sorted(self.hidden) if h in shown]


def filter_hz(text: str) -> float | None:
    """A preset's ``filter`` ("off", "10 kHz" ...) as the rig's cut-off (Hz, None = off)."""
    from vlab.rig.rig import FILTERS_HZ

    t = str(text).strip().lower().replace(" ", "")
    if t in ("off", "none", "bypass"):
        return None
    for f in FILTERS_HZ:
        if f is not None and t in (f"{f / 1000:g}khz", f"{f:g}hz"):
            return f
    allowed = ", ".join("off" if f is None else f"{f / 1000:g} kHz" for f in FILTERS_HZ)
    raise PracticalError(f"filter {text!r}; allowed: {allowed}")


def practical_protocols() -> dict[str, Path]:
    """Protocol files shipped with the practicals, then the user's own
    (``<user data>/my_practicals/protocols``): name -> path."""
    from vlab.practicals.loader import user_practicals_dir

    own = {p.stem: p for p in list_resources("practicals/protocols", ".toml")}
    folder = user_practicals_dir() / "protocols"
    try:
        mine = {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}
    except OSError:
        mine = {}
    return {**mine, **own}


def load_step_protocol(name: str):
    """A protocol by name: practicals' own protocols first, then the built-ins."""
    from vlab.protocols import load_protocol

    own = practical_protocols()
    if name in own:
        return load_protocol(own[name])
    return load_protocol(name)


def resolved(preset: Preset, practical: Practical, unknowns: dict) -> Preset:
    """The preset with every ``{unknown}`` replaced by this student's value."""
    sub = lambda s: substitute(s, practical, unknowns)  # noqa: E731
    return Preset(
        preparation=preset.preparation,
        mode=preset.mode,
        protocol=preset.protocol,
        holding=sub(preset.holding),
        parameters=tuple((sub(k), sub(v)) for k, v in preset.parameters),
        drugs=tuple((sub(k), sub(v)) for k, v in preset.drugs),
        locked=preset.locked,
        filter=preset.filter,
    )


def _drug_concentrations(preset: Preset) -> list[tuple[str, float]]:
    from vlab.sim.drugs import parse_drug_spec

    out = []
    for name, conc in preset.drugs:
        spec = name if conc.strip() in ("", "default") else f"{name}={conc}"
        drug, c = parse_drug_spec(spec)
        out.append((drug.name, c))
    return out


def build_cell(preset: Preset):
    """A :class:`vlab.sim.cell.Cell` configured as ``preset`` says (unknowns resolved).

    Raises
    ------
    PracticalError
        If a parameter or drug in the preset is refused (the message says which).
    """
    from vlab.sim.cell import Cell

    try:
        cell = Cell(preset.preparation)
        for name, value in preset.parameters:
            cell.set(name, value)
        for name, c in _drug_concentrations(preset):
            cell.set_drug(name, c)
        cell.kernel_params()
    except (ValueError, FileNotFoundError) as exc:
        raise PracticalError(f"the rig preset cannot be built: {exc}") from exc
    return cell


def apply_preset(rig, preset: Preset) -> None:
    """Configure ``rig`` (a :class:`vlab.rig.Rig`) exactly as ``preset`` says.

    The preparation is reloaded (so earlier changes are undone), parameters set, every
    drug washed and the preset's drugs applied at equilibrium, the mode, holding value
    and protocol set. Unknowns must already be resolved (:func:`resolved`).
    """
    from vlab.rig import ClampMode
    from vlab.units import parse_quantity

    with rig.lock:
        if hasattr(rig, "set_locked"):
            rig.set_locked(())  # the previous step's locks must not block this set-up
        rig.set_preparation(preset.preparation)
        for name, value in preset.parameters:
            rig.set_parameter(name, value)
        rig.fresh_bath()  # control saline, nothing bound, all inactivation intact
        for name, c in _drug_concentrations(preset):
            rig.apply_drug(name, c, equilibrated=True)
        rig.sync_drugs_to_cell()
        mode = ClampMode.parse(preset.mode)
        rig.set_mode(mode)
        if preset.holding and mode != ClampMode.I0:
            dim = "voltage" if mode == ClampMode.VC else "current"
            rig.set_holding(parse_quantity(preset.holding, dim).value, mode)
        rig.set_protocol(load_step_protocol(preset.protocol) if preset.protocol else None)
        if preset.filter:
            rig.set_filter(filter_hz(preset.filter))
        rig.clear_history()  # undo must not step back into the previous step's set-up


def simulate_sweeps(
    preset: Preset, protocol=None, label: str = "", tag: dict | None = None
) -> list:
    """Run the preset's protocol (or ``protocol``) and return recorded Sweeps.

    The provenance has the same keys as the rig's recordings (``preparation``,
    ``parameters``, ``drugs`` with ``concentration_M``, ``mode``, ``protocol_name``...),
    so recording checks treat both alike; ``tag`` (a session's
    :meth:`~vlab.practicals.PracticalSession.recording_tag`) is stored as ``practical``,
    as the rig does while a practical step is open.
    """
    import numpy as np

    from vlab.recording import Sweep
    from vlab.rig.provenance import sweep_provenance
    from vlab.sim.engine import run_protocol

    cell = build_cell(preset)
    if protocol is None:
        if not preset.protocol:
            raise PracticalError("this step's preset has no protocol to simulate")
        protocol = load_step_protocol(preset.protocol)
    res = run_protocol(cell, protocol)
    prov = sweep_provenance(
        cell,
        protocol,
        seed=0,
        run_id=f"simulated-{protocol.name}",
        hide_drug_names="drug_names" in preset.locked,
        practical=tag,
        n_sweeps=res.n_sweeps,
    )
    sweeps = []
    for k in range(res.n_sweeps):
        chans = {name: np.asarray(a[k]) for name, a in res.data.items() if name != "Iion"}
        chans["command"] = res.command[k]
        sweeps.append(
            Sweep(
                index=k,
                dt=protocol.sample_interval,
                channels=chans,
                t0=0.0,
                provenance={**prov, "sweep": k},
                label=label,
            )
        )
    return sweeps
