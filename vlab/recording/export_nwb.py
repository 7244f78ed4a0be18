"""NWB export through pynwb's intracellular-electrophysiology (icephys) API.

The file holds:

* session metadata: a ``session_description``, a random UUID ``identifier``, a
  time-zone-aware ``session_start_time`` (metadata ``session_start_time``, else
  the experiment-time origin estimated as ``min(created - t0)`` over the sweeps,
  so that each series' ``starting_time = t0`` is relative to it), ``notes`` = the export metadata as JSON, ``protocol`` = the protocol
  TOML text, ``pharmacology`` = the drugs, ``keywords``;
* a Device ``"vlab simulated amplifier"`` and one IntracellularElectrode;
* per sweep ``k`` (position in the export): the amplifier's primary channel as
  response and the command as stimulus, named ``sweepKKK_...``:
  ``VoltageClampSeries`` (Im, A) + ``VoltageClampStimulusSeries`` (command, V),
  ``CurrentClampSeries`` (Vm, V) + ``CurrentClampStimulusSeries`` (command, A),
  or ``IZeroClampSeries`` (Vm, V; no stimulus) for I=0. ``sweep_number = k``,
  ``starting_time = t0``; the sweep's provenance is JSON in ``comments``, with
  ``block`` (protocol and run) and ``segment`` (``sweepKKK``) added: neo's NWBIO
  reads those keys and gives one Segment per sweep, one Block per run;
* the icephys tables: one intracellular recording and one simultaneous
  recording per sweep; one sequential recording per protocol run (``run_id``)
  and condition, with ``stimulus_type`` = the protocol name; one repetition per
  sequential recording; and the experimental conditions table, one row per
  distinct bath (``drugs``: name, concentration, side and block of each drug, or
  ``unknown drug 1 (hidden in this practical)`` - a mystery drug is never named)
  and solution (``solution``: ion concentrations and temperature);
* the amplifier: each response's ``gain`` (V at the amplifier output per A in
  voltage clamp, per V in current clamp: the rig's gain setting times its
  headstage scale) and the electrode's ``filtering`` (the low-pass filter), when
  the sweeps' provenance records an amplifier (the rig window's recordings);
* the secondary amplifier channel (Vm in voltage clamp, Im in current clamp)
  as a plain TimeSeries in ``acquisition``, and the simulation's internal
  variables (gates, ionic currents, conductances) in the processing module
  ``"icephys"`` as TimeSeries ``sweepKKK_<channel>`` (SI units);
* a Subject describing the simulated cell: ``subject_id`` = ``cell_id``
  (metadata ``cell_id`` or a random one), species NCBITaxon_32630 "synthetic
  construct", age ``P0D`` and sex ``U`` unless the metadata gives
  ``species``, ``subject_age``, ``subject_sex``; ``experimenter`` and
  ``institution`` come from the metadata when present.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.clamp import ClampMode
from vlab.recording._atomic import atomic_open
from vlab.recording._common import VARIES, as_sweeps, resolve_metadata
from vlab.recording._jsonutil import dumps
from vlab.recording.errors import ExportError, RecordingError
from vlab.recording.model import Recording, Sweep, is_voltage_clamp
from vlab.recording.progress import report
from vlab.units import format_si

__all__ = ["DEVICE_NAME", "NWB_UNITS", "write_nwb"]

DEVICE_NAME = "vlab simulated amplifier"
MODEL_MODULE = "icephys"
#: NCBI taxonomy term "synthetic construct": the honest species of a simulated cell.
SYNTHETIC_SPECIES = "http://purl.obolibrary.org/obo/NCBITaxon_32630"
#: SI unit symbol -> NWB unit string.
NWB_UNITS = {"V": "volts", "A": "amperes", "S": "siemens", "1": "dimensionless"}
_PRIMARY = {True: ("Im", "Vm"), False: ("Vm", "Im")}  # voltage clamp? -> (primary, secondary)


def _parse_time(text: Any) -> _dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.astimezone()


def _start_time(sweeps: list[Sweep], metadata: Mapping[str, Any]) -> _dt.datetime:
    """``metadata['session_start_time']``, else the experiment-time origin ``min(created - t0)``."""
    given = _parse_time(metadata.get("session_start_time"))
    if given is not None:
        return given
    origins = []
    for s in sweeps:
        created = _parse_time(s.provenance.get("created"))
        if created is not None:
            origins.append(created - _dt.timedelta(seconds=s.t0))
    return min(origins) if origins else _dt.datetime.now().astimezone()


def _text(value: Any) -> str | None:
    if value is None or value == VARIES:
        return None
    return value if isinstance(value, str) else dumps(value)


def _packed(arr: np.ndarray) -> Any:
    """``arr`` as a gzip-compressed, byte-shuffled HDF5 dataset (lossless; 4-8x smaller)."""
    from hdmf.backends.hdf5.h5_utils import H5DataIO  # type: ignore[import-untyped]

    return H5DataIO(np.asarray(arr), compression="gzip", compression_opts=4, shuffle=True)


def _sweep_description(pos: int, s: Sweep) -> str:
    prov = s.provenance
    parts = [f"vlab sweep {s.index} of protocol {prov.get('protocol_name', 'unnamed')!r}"]
    if s.label:
        parts.append(f"label {s.label!r}")
    parts.append("kept" if s.kept else "marked discarded by the student")
    return f"Export position {pos}: " + ", ".join(parts) + " (simulated data)."


def _amplifier(s: Sweep) -> Mapping[str, Any] | None:
    amp = s.provenance.get("amplifier")
    return amp if isinstance(amp, Mapping) else None


def _gain(s: Sweep, voltage_clamp: bool) -> float | None:
    """The response's gain: V at the amplifier output per A (VC) or per V (CC), or None."""
    amp = _amplifier(s) or {}
    value = amp.get("Im_output_V_per_A" if voltage_clamp else "Vm_output_V_per_V")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _filter_text(s: Sweep) -> str:
    amp = _amplifier(s)
    if amp is None:
        return "none (unfiltered simulation output)"
    hz = amp.get("lowpass_hz")
    if not isinstance(hz, (int, float)) or isinstance(hz, bool):
        return "amplifier low-pass filter off"
    return f"4-pole Bessel low-pass filter at {format_si(float(hz), 'Hz')} on the amplifier outputs"


def _filtering(items: list[Sweep]) -> str:
    """The electrode's ``filtering``: the amplifier's low-pass filter (per sweep if it changed)."""
    groups: dict[str, list[int]] = {}
    for pos, s in enumerate(items):
        groups.setdefault(_filter_text(s), []).append(pos)
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(
        f"{text} (sweeps {', '.join(map(str, positions))})" for text, positions in groups.items()
    )


def _drugs_text(prov: Mapping[str, Any]) -> str:
    """The drugs at the cell, in words; a mystery drug keeps its anonymous name only."""
    drugs = prov.get("drugs")
    if not isinstance(drugs, Mapping) or not drugs:
        return "none"
    parts = []
    for name, info in drugs.items():
        info = info if isinstance(info, Mapping) else {}
        conc = info.get("concentration_M")
        if info.get("hidden"):
            parts.append(f"{name} (hidden in this practical)")
        elif isinstance(conc, (int, float)) and not isinstance(conc, bool):
            text = f"{name} {format_si(float(conc), 'M')}"
            if info.get("side"):
                text += f" {info['side']}"
            block = info.get("fraction_blocked")
            if isinstance(block, (int, float)) and not isinstance(block, bool):
                text += f" ({100 * block:.0f} % blocked)"
            parts.append(text)
        else:
            parts.append(str(name))
    return "; ".join(parts)


def _solution_text(prov: Mapping[str, Any]) -> str:
    """Ion concentrations (mM) and temperature of the solutions, in words."""
    conc = prov.get("concentrations")
    parts = []
    if isinstance(conc, Mapping):
        parts = [f"{k} {v:g} mM" for k, v in conc.items() if isinstance(v, (int, float))]
    temp = prov.get("temperature_C")
    if isinstance(temp, (int, float)) and not isinstance(temp, bool):
        parts.append(f"{temp:g} degC")
    return ", ".join(parts) or "not recorded"


def _condition(s: Sweep) -> tuple[str, str]:
    """A sweep's experimental condition: (drugs, solution)."""
    return _drugs_text(s.provenance), _solution_text(s.provenance)


def _add_conditions(
    nwb: Any,
    runs: Mapping[tuple[str, tuple[str, str]], list[int]],
    run_protocol: Mapping[tuple[str, tuple[str, str]], str],
) -> None:
    """Sequential recordings (a run under one condition), one repetition each, and the
    experimental conditions table with the drugs and solution of each condition."""
    by_condition: dict[tuple[str, str], list[int]] = {}
    for key, rows in runs.items():
        seq = nwb.add_icephys_sequential_recording(
            simultaneous_recordings=rows, stimulus_type=run_protocol[key]
        )
        rep = nwb.add_icephys_repetition(sequential_recordings=[seq])
        by_condition.setdefault(key[1], []).append(rep)
    table = nwb.get_icephys_experimental_conditions()
    table.add_column(
        name="drugs", description="Drugs at the cell (name, concentration, side, block)"
    )
    table.add_column(
        name="solution", description="Ion concentrations of the solutions (mM) and temperature"
    )
    for (drugs, solution), reps in by_condition.items():
        nwb.add_icephys_experimental_condition(repetitions=reps, drugs=drugs, solution=solution)


def _build_nwbfile(items: list[Sweep], meta: dict[str, Any], session_description: str) -> Any:
    from pynwb import NWBFile, ProcessingModule, TimeSeries
    from pynwb.file import Subject
    from pynwb.icephys import (
        CurrentClampSeries,
        CurrentClampStimulusSeries,
        IZeroClampSeries,
        VoltageClampSeries,
        VoltageClampStimulusSeries,
    )

    protocols = {s.provenance.get("protocol_toml") for s in items} - {None}
    identifier = str(uuid.uuid4())
    cell_id = _text(meta.get("cell_id")) or f"vlab-simulated-cell-{identifier[:8]}"
    subject = Subject(
        subject_id=cell_id,
        description=(
            f"A simulated cell ({meta.get('preparation', 'membrane model')}) in the vlab teaching lab; "
            "no animal was used. Species, age and sex are placeholders unless given in the metadata."
        ),
        species=str(meta.get("species") or SYNTHETIC_SPECIES),
        age=str(meta.get("subject_age") or "P0D"),
        sex=str(meta.get("subject_sex") or "U"),
    )
    nwb = NWBFile(
        session_description=session_description,
        identifier=identifier,
        subject=subject,
        experimenter=_text(meta.get("experimenter")),
        institution=_text(meta.get("institution")),
        session_start_time=_start_time(items, meta),
        experiment_description=(
            f"Simulated intracellular recording made with vlab {_VLAB_VERSION}, a virtual "
            f"electrophysiology teaching lab; preparation: {meta.get('preparation', 'unspecified')}."
        ),
        lab="vlab virtual electrophysiology lab",
        notes=dumps(meta),
        data_collection=(
            "Data were generated by a numerical simulation, not recorded from a cell. "
            "Per-sweep provenance (parameters, concentrations, drugs, seed, protocol) "
            "is stored as JSON in each series' comments."
        ),
        protocol=protocols.pop() if len(protocols) == 1 else None,
        pharmacology=_text(meta.get("drugs")),
        source_script=f"vlab {_VLAB_VERSION}",
        source_script_file_name="vlab",
    )
    device = nwb.create_device(
        name=DEVICE_NAME,
        description="Simulated patch-clamp amplifier of the vlab teaching lab (software, no hardware).",
    )
    electrode = nwb.create_icephys_electrode(
        name="electrode",
        device=device,
        description="Simulated whole-cell electrode of an ideal clamp: no pipette or access resistance is modelled.",
        cell_id=cell_id,
        filtering=_filtering(items),
    )
    model_module = None
    runs: dict[tuple[str, tuple[str, str]], list[int]] = {}
    run_protocol: dict[tuple[str, tuple[str, str]], str] = {}
    for pos, s in enumerate(items):
        report(0.4 * pos / len(items))  # building; writing HDF5 takes the rest
        vc = is_voltage_clamp(s.mode)
        izero = s.mode is ClampMode.I0
        primary, secondary = _PRIMARY[vc]
        if primary not in s.channels:
            raise ExportError(
                f"Sweep {pos} has no {primary} channel, which NWB needs as its response."
            )
        protocol = str(s.provenance.get("protocol_name") or "unnamed protocol")
        run_id = str(s.provenance.get("run_id") or f"{protocol} ({s.mode})")
        where = {"block": f"{protocol} ({run_id})", "segment": f"sweep{pos:03d}"}
        common = {
            "electrode": electrode,
            "rate": 1.0 / s.dt,
            "starting_time": s.t0,
            "sweep_number": np.uint32(pos),
            "comments": dumps({**s.provenance, **where}),
            "description": _sweep_description(pos, s),
        }
        gain = {"gain": _gain(s, vc)} if _gain(s, vc) is not None else {}
        name = f"sweep{pos:03d}"
        stim = None
        if izero:
            resp = IZeroClampSeries(
                name=f"{name}_{primary}", data=_packed(s[primary]), **gain, **common
            )
        elif vc:
            resp = VoltageClampSeries(
                name=f"{name}_{primary}",
                data=_packed(s[primary]),
                stimulus_description=protocol,
                **gain,
                **common,
            )
            if "command" in s.channels:
                stim = VoltageClampStimulusSeries(
                    name=f"{name}_command",
                    data=_packed(s["command"]),
                    stimulus_description=protocol,
                    **common,
                )
        else:
            resp = CurrentClampSeries(
                name=f"{name}_{primary}",
                data=_packed(s[primary]),
                stimulus_description=protocol,
                **gain,
                **common,
            )
            if "command" in s.channels:
                stim = CurrentClampStimulusSeries(
                    name=f"{name}_command",
                    data=_packed(s["command"]),
                    stimulus_description=protocol,
                    **common,
                )
        row = nwb.add_intracellular_recording(
            electrode=electrode, stimulus=stim, response=resp, id=pos
        )
        sim_row = nwb.add_icephys_simultaneous_recording(recordings=[row])
        run = (run_id, _condition(s))
        runs.setdefault(run, []).append(sim_row)
        run_protocol[run] = protocol
        for ch, arr in s.channels.items():
            if ch in (primary, "command"):
                continue
            series = TimeSeries(
                name=f"{name}_{ch}",
                data=_packed(arr),
                unit=NWB_UNITS[s.unit(ch)],
                rate=1.0 / s.dt,
                starting_time=s.t0,
                comments=dumps(where),
                description=(
                    f"Secondary amplifier output ({ch}) of sweep {pos}."
                    if ch == secondary
                    else f"Simulated model variable {ch} of sweep {pos} (not measurable in a real cell)."
                ),
            )
            if ch == secondary:
                nwb.add_acquisition(series)
            else:
                if model_module is None:
                    model_module = ProcessingModule(
                        name=MODEL_MODULE,
                        description="Internal variables of the simulated membrane: gating "
                        "variables, ionic currents (A) and conductances (S).",
                    )
                    nwb.add_processing_module(model_module)
                model_module.add(series)
    _add_conditions(nwb, runs, run_protocol)
    return nwb


def write_nwb(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    session_description: str | None = None,
) -> None:
    """Write ``sweeps`` as an NWB 2 file (HDF5), atomically.

    Parameters
    ----------
    sweeps
        The sweeps to export; each needs a clamp mode in its provenance and its
        primary channel (Im in voltage clamp, Vm otherwise).
    path
        Target ``.nwb`` file; replaced only once the new file is complete.
    metadata
        JSON-serialisable metadata stored as JSON in ``notes``; ``None``
        derives it from provenance. ``session_start_time`` (ISO text) and
        ``preparation`` are used if present.
    session_description
        Defaults to a sentence naming the preparation and protocols.

    Raises
    ------
    ExportError
        With a plain message; an existing file at ``path`` is left untouched.
    """
    items = as_sweeps(sweeps)
    meta = resolve_metadata(sweeps, items, metadata)
    if session_description is None:
        protocols = ", ".join(
            dict.fromkeys(str(s.provenance.get("protocol_name", "unnamed")) for s in items)
        )
        session_description = (
            f"vlab simulated recording: {len(items)} sweep(s) of {protocols} "
            f"on {meta.get('preparation', 'a simulated membrane')}."
        )
    try:
        nwb = _build_nwbfile(items, meta, session_description)
    except ExportError:
        raise
    except RecordingError as exc:
        raise ExportError(f"Could not build the NWB file: {exc}", path) from exc
    except Exception as exc:  # pynwb validation (docval) errors
        raise ExportError(
            f"Could not build the NWB file ({type(exc).__name__}: {exc}). "
            "Please report this problem; your recordings are still in vlab.",
            path,
        ) from exc
    image = _hdf5_image(nwb, path)
    report(0.95)
    with atomic_open(path) as fh:
        fh.write(image.getbuffer())


def _hdf5_image(nwb: Any, path: str | os.PathLike[str]) -> io.BytesIO:
    """The NWB file built in memory (HDF5 through h5py's file-object driver).

    h5py writes from C: when the disk fills mid-write it prints hundreds of tracebacks from
    its object finalisers and can crash the interpreter at exit (issue 11). Building the
    file in memory leaves only one plain Python write to the disk, which fails cleanly.
    Costs memory of the size of the (compressed) file.
    """
    import h5py  # type: ignore[import-untyped]
    from pynwb import NWBHDF5IO

    image = io.BytesIO()
    try:
        with h5py.File(image, "w") as h5, NWBHDF5IO(file=h5, mode="w") as nwb_io:
            nwb_io.write(nwb)
    except MemoryError as exc:
        raise ExportError(
            f"Could not save {os.path.basename(path)}: not enough memory to build the NWB "
            "file; export fewer sweeps at a time. Your recordings are still in vlab.",
            path,
        ) from exc
    except Exception as exc:  # hdmf/pynwb failures while converting
        raise ExportError(
            f"Could not build the NWB file ({type(exc).__name__}: {exc}). "
            "Please report this problem; your recordings are still in vlab.",
            path,
        ) from exc
    return image
