"""Preparations as data: one TOML file per cell type in ``resources/preparations/``.

A :class:`Preparation` holds SI values (V, S/m^2, F/m^2, m^2, mM, degC, s) and where they
come from. The format is documented in ``docs/preparations.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vlab.resources import list_resources, resource_path
from vlab.safe_read import BadFileError, loads_toml, read_text
from vlab.sim.kinetics import KINETICS_IDS
from vlab.units import UnitError, parse_quantity

__all__ = ["Preparation", "PreparationError", "load_preparation", "list_preparations"]

IONS = ("Na", "K", "Cl", "Ca")

#: axon ``[cable]`` parameters -> (dimension, display unit, lo, hi (SI), meaning)
CABLE_PARAMETERS = {
    "length": ("length", "cm", 1e-4, 1.0, "axon length"),
    "diameter": ("length", "um", 1e-7, 2e-3, "axon diameter"),
    "dx": ("length", "um", 1e-7, 1e-3, "compartment length (spatial step)"),
    "Ri": ("resistivity", "ohm*cm", 1e-2, 100.0, "axoplasm resistivity"),
    "stim_x": ("length", "cm", 0.0, 1.0, "stimulating electrode position"),
    "stim_length": ("length", "um", 1e-7, 1e-2, "membrane stretch the stimulus is spread over"),
    "internode_length": ("length", "um", 1e-5, 5e-3, "distance between nodes of Ranvier"),
    "node_length": ("length", "um", 1e-7, 1e-4, "length of a node of Ranvier"),
    "myelin_lamellae": ("number", "", 0.0, 1000.0, "myelin wraps around each internode"),
    "dt": ("time", "us", 1e-7, 1e-4, "integration step at the preparation's temperature"),
    "internode_Cm": (
        "capacitance_density",
        "uF/cm2",
        1e-4,
        1.0,
        "capacitance of the internodal axolemma and of each myelin membrane",
    ),
    "internode_gL": (
        "conductance_density",
        "mS/cm2",
        0.0,
        1e3,
        "leak of the internodal axolemma and of each myelin membrane",
    ),
}
CONDUCTANCES = ("gNa", "gK", "gM", "gL", "gCl", "gH")


class PreparationError(ValueError):
    """A preparation file is missing, malformed or physically impossible."""


@dataclass(frozen=True)
class Preparation:
    """An excitable membrane with its defaults (SI units) and sources."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    kinetics: str
    temperature: float  # degC
    kinetics_temperature: float  # degC
    q10: float
    q10_M: float
    area: float  # m^2
    cm: float  # F/m^2
    v_init: float | None  # V; None = start at the computed resting potential
    vt: float  # V, Traub threshold shift
    tau_max_M: float  # s
    conductances: dict[str, float]  # S/m^2
    gcl_switch: float  # S/m^2
    e_leak: float  # V
    e_h: float  # V, reversal potential of Ih
    leak_carriers: tuple[str, ...]
    concentrations: dict[str, float]  # mM, keys like "K_in"
    pinned: dict[str, float]  # ion -> V
    permeability: dict[str, float]
    cable: dict[str, float] | None = None  # axon geometry (SI), None for a membrane patch
    #: first-order exchange time constant (s) per side ("outside" bath, "inside" internal
    #: perfusion): chamber volume / flow; a side without perfusion is absent
    exchange: dict[str, float] = field(default_factory=lambda: {"outside": 15.0})
    perfusion_note: str = ""
    path: Path | None = field(default=None, compare=False)

    @property
    def kinetics_id(self) -> int:
        return KINETICS_IDS[self.kinetics]


def list_preparations() -> dict[str, Path]:
    """Built-in preparations: name -> file."""
    return {p.stem: p for p in list_resources("preparations", ".toml")}


def load_preparation(name_or_path: str | Path) -> Preparation:
    """Load a built-in preparation by name, or a preparation file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = resource_path("preparations", f"{name_or_path}.toml")
        if not path.is_file():
            known = ", ".join(list_preparations()) or "none"
            raise PreparationError(f"unknown preparation {name_or_path!r} (available: {known})")
    try:
        data = loads_toml(read_text(path), str(path), path=path)
    except BadFileError as exc:  # unreadable, not UTF-8, not TOML, nested too deeply
        raise PreparationError(str(exc)) from exc
    return _parse(data, path)


def _q(path: Path, key: str, value, dims) -> float:
    try:
        return parse_quantity(value, dims).value
    except UnitError as exc:
        raise PreparationError(f"{path.name}: {key}: {exc}") from exc


def _parse(d: dict, path: Path) -> Preparation:
    known = {
        "name",
        "title",
        "description",
        "sources",
        "kinetics",
        "temperature",
        "kinetics_temperature",
        "q10",
        "q10_M",
        "area",
        "Cm",
        "v_init",
        "vt",
        "tau_max_M",
        "conductances",
        "leak",
        "concentrations",
        "pinned",
        "permeability",
        "cable",
        "perfusion",
        "E_h",
    }
    unknown = set(d) - known
    if unknown:
        raise PreparationError(
            f"{path.name}: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}"
        )
    for req in ("name", "title", "kinetics", "temperature", "area", "Cm", "conductances", "leak"):
        if req not in d:
            raise PreparationError(f"{path.name}: missing required key {req!r}")
    if d["kinetics"] not in KINETICS_IDS:
        raise PreparationError(
            f"{path.name}: kinetics = {d['kinetics']!r}; allowed: {sorted(KINETICS_IDS)}"
        )
    cond = {}
    for k, v in d["conductances"].items():
        if k == "gCl_switch":
            continue
        if k not in CONDUCTANCES:
            raise PreparationError(
                f"{path.name}: conductances.{k} unknown; allowed: {CONDUCTANCES}"
            )
        cond[k] = _q(path, f"conductances.{k}", v, "conductance_density")
        if cond[k] < 0:
            raise PreparationError(f"{path.name}: conductances.{k} must not be negative")
    for k in CONDUCTANCES:
        cond.setdefault(k, 0.0)
    conc = {}
    for k, v in d.get("concentrations", {}).items():
        ion, _, side = k.partition("_")
        if ion not in IONS or side not in ("in", "out"):
            raise PreparationError(
                f"{path.name}: concentrations.{k}: expected names like K_in, Na_out ({IONS})"
            )
        conc[k] = _q(path, f"concentrations.{k}", v, "concentration")
        if conc[k] <= 0:
            raise PreparationError(f"{path.name}: concentrations.{k} must be above 0 mM")
    for ion in ("Na", "K", "Cl"):
        for side in ("in", "out"):
            if f"{ion}_{side}" not in conc:
                raise PreparationError(f"{path.name}: concentrations.{ion}_{side} is required")
    pinned = {}
    for k, v in d.get("pinned", {}).items():
        ion = k.removeprefix("E_")
        if not k.startswith("E_") or ion not in IONS:
            raise PreparationError(f"{path.name}: pinned.{k}: expected E_Na, E_K, E_Cl or E_Ca")
        pinned[ion] = _q(path, f"pinned.{k}", v, "voltage")
    leak = d["leak"]
    carriers = tuple(leak.get("carriers", ()))
    for c in carriers:
        if c not in ("Na", "K", "Cl"):
            raise PreparationError(f"{path.name}: leak.carriers: {c!r} is not Na, K or Cl")
    v_init = d.get("v_init", "rest")
    cable = None
    if "cable" in d:
        cable = {}
        for k, v in d["cable"].items():
            if k not in CABLE_PARAMETERS:
                raise PreparationError(
                    f"{path.name}: cable.{k} unknown; allowed: {', '.join(CABLE_PARAMETERS)}"
                )
            dim = CABLE_PARAMETERS[k][0]
            cable[k] = float(v) if dim == "number" else _q(path, f"cable.{k}", v, dim)
        for req in ("length", "diameter", "dx", "Ri"):
            if req not in cable:
                raise PreparationError(f"{path.name}: cable.{req} is required")
        cable.setdefault("stim_x", 0.0)
        cable.setdefault("stim_length", cable["dx"])
    exchange, note = _perfusion(d.get("perfusion"), path)
    return Preparation(
        name=str(d["name"]),
        title=str(d["title"]),
        description=" ".join(str(d.get("description", "")).split()),
        sources=tuple(d.get("sources", ())),
        kinetics=d["kinetics"],
        temperature=_q(path, "temperature", d["temperature"], "temperature"),
        kinetics_temperature=_q(
            path,
            "kinetics_temperature",
            d.get("kinetics_temperature", d["temperature"]),
            "temperature",
        ),
        q10=float(d.get("q10", 3.0)),
        q10_M=float(d.get("q10_M", d.get("q10", 3.0))),
        area=_q(path, "area", d["area"], "area"),
        cm=_q(path, "Cm", d["Cm"], "capacitance_density"),
        v_init=None if v_init == "rest" else _q(path, "v_init", v_init, "voltage"),
        vt=_q(path, "vt", d.get("vt", "0 mV"), "voltage"),
        tau_max_M=_q(path, "tau_max_M", d.get("tau_max_M", "1000 ms"), "time"),
        conductances=cond,
        gcl_switch=_q(
            path,
            "conductances.gCl_switch",
            d["conductances"].get("gCl_switch", "1 mS/cm2"),
            "conductance_density",
        ),
        e_leak=_q(path, "leak.E_L", leak.get("E_L"), "voltage"),
        e_h=_q(path, "E_h", d.get("E_h", "-45 mV"), "voltage"),
        leak_carriers=carriers,
        concentrations=conc,
        pinned=pinned,
        permeability={str(k): float(v) for k, v in d.get("permeability", {"K": 1.0}).items()},
        cable=cable,
        exchange=exchange,
        perfusion_note=note,
        path=path,
    )


def _perfusion(table, path: Path) -> tuple[dict[str, float], str]:
    """``[perfusion]``: ``bath_volume``/``bath_flow`` and optional ``internal_volume``/
    ``internal_flow`` -> exchange time constants V/Q (s) of a well-stirred compartment."""
    if table is None:
        return {"outside": 15.0}, "default chamber: 1 ml at 4 ml/min"
    allowed = {"bath_volume", "bath_flow", "internal_volume", "internal_flow", "note"}
    unknown = set(table) - allowed
    if unknown:
        raise PreparationError(f"{path.name}: perfusion: unknown key(s) {sorted(unknown)}")
    out = {}
    for side, word in (("outside", "bath"), ("inside", "internal")):
        if f"{word}_volume" in table or f"{word}_flow" in table:
            vol = _q(path, f"perfusion.{word}_volume", table.get(f"{word}_volume"), "volume")
            flow = _q(path, f"perfusion.{word}_flow", table.get(f"{word}_flow"), "flow")
            if vol <= 0 or flow <= 0:
                raise PreparationError(f"{path.name}: perfusion: volume and flow must be > 0")
            out[side] = vol / flow
    if "outside" not in out:
        raise PreparationError(f"{path.name}: perfusion.bath_volume and bath_flow are required")
    return out, " ".join(str(table.get("note", "")).split())
