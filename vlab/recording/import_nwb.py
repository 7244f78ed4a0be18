"""Open NWB 2 intracellular recordings (any writer: pynwb, MIES, vlab...) as sweeps.

Each response series (``VoltageClampSeries``, ``CurrentClampSeries``,
``IZeroClampSeries``) becomes one sweep, in the order of the file's intracellular
recordings table (else of ``sweep_number``, else of the names). Values are SI:
``data * conversion + offset`` in the series' unit (volts or amperes). The clamp mode is
the series type (voltage clamp: the current is ``Im``; current clamp and I=0: the
potential is ``Vm``); the stimulus paired with the response in the recordings table (or
sharing its ``sweep_number``) is the ``command`` when it has as many samples.

Limits are checked before any sample is read: the file itself (size, regular file), and
the samples it declares (at most :data:`MAX_NWB_SAMPLES`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from vlab.recording.errors import ReadError, RecordingError
from vlab.recording.importers import check_file, first_line, imported_provenance
from vlab.recording.model import Sweep

__all__ = ["MAX_NWB_SAMPLES", "read_nwb"]

MAX_NWB_SAMPLES = 2**27
"""Most samples (responses and stimuli together) vlab imports from one NWB file (1 GiB as float64)."""

_RESPONSES = {"VoltageClampSeries": "VC", "CurrentClampSeries": "CC", "IZeroClampSeries": "I=0"}
_STIMULI = {"VoltageClampStimulusSeries": "VC", "CurrentClampStimulusSeries": "CC"}


def _si(series: Any) -> np.ndarray:
    data = np.asarray(series.data[()], dtype=np.float64)
    offset = float(getattr(series, "offset", 0.0) or 0.0)
    return data * float(series.conversion) + offset


def _rate(series: Any) -> tuple[float, float]:
    """(dt, t0) in s of a series: from ``rate``, else from its timestamps."""
    if series.rate:
        return 1.0 / float(series.rate), float(series.starting_time or 0.0)
    ts = np.asarray(series.timestamps[:2], dtype=np.float64)
    if ts.size < 2 or not ts[1] > ts[0]:
        raise ReadError(f"series {series.name} has neither a sampling rate nor timestamps.")
    return float(ts[1] - ts[0]), float(ts[0])


def _pairs(nwb: Any) -> list[tuple[Any, Any | None]]:
    """(response, stimulus or None) in recording order."""
    pairs: list[tuple[Any, Any | None]] = []
    table = getattr(nwb, "intracellular_recordings", None)
    if table is not None and len(table):
        responses = table["responses"]["response"]
        stimuli = table["stimuli"]["stimulus"]
        for row in range(len(table)):
            resp = responses[row]
            stim = stimuli[row]
            r = resp[2] if resp is not None else None
            s = stim[2] if stim is not None else None
            if r is not None and type(r).__name__ in _RESPONSES:
                pairs.append((r, s))
        if pairs:
            return pairs
    found = [s for s in nwb.acquisition.values() if type(s).__name__ in _RESPONSES]
    stims = [s for s in nwb.stimulus.values() if type(s).__name__ in _STIMULI]
    by_sweep = {getattr(s, "sweep_number", None): s for s in stims}
    found.sort(
        key=lambda s: (getattr(s, "sweep_number", None) is None, s.sweep_number or 0, s.name)
    )
    for resp in found:
        number = getattr(resp, "sweep_number", None)
        pairs.append((resp, by_sweep.get(number) if number is not None else None))
    return pairs


def _declared_samples(pairs: list[tuple[Any, Any | None]]) -> int:
    total = 0
    for resp, stim in pairs:
        for series in (resp, stim):
            if series is not None:
                total += int(np.prod(series.data.shape))
    return total


def _sweeps(
    pairs: list[tuple[Any, Any | None]], source: Path, path: Any, created: str | None
) -> list[Sweep]:
    if not pairs:
        raise ReadError(
            f"{source.name} holds no intracellular recordings (voltage- or current-clamp "
            "series) to import.",
            path,
        )
    total = _declared_samples(pairs)
    if total > MAX_NWB_SAMPLES:
        raise ReadError(
            f"{source.name} declares {total:,} samples; vlab imports at most "
            f"{MAX_NWB_SAMPLES:,} from one NWB file.",
            path,
        )
    sweeps = []
    for k, (resp, stim) in enumerate(pairs):
        mode = _RESPONSES[type(resp).__name__]
        dt, t0 = _rate(resp)
        values = _si(resp)
        if values.ndim != 1:
            raise ReadError(f"{source.name}: series {resp.name} is not one trace.", path)
        name = "Im" if mode == "VC" else "Vm"
        channels = {name: values}
        if stim is not None and type(stim).__name__ in _STIMULI:
            command = _si(stim)
            if command.shape == values.shape and _STIMULI[type(stim).__name__] == mode:
                channels["command"] = command
        prov = imported_provenance(source, "NWB", mode)
        prov["series"] = resp.name
        if created:
            prov["created"] = created
        if resp.sweep_number is not None:
            prov["sweep_number"] = int(resp.sweep_number)
        if resp.description and resp.description != "no description":
            prov["description"] = str(resp.description)
        sweeps.append(
            Sweep(index=k, dt=dt, channels=channels, t0=t0, provenance=prov, label=source.name)
        )
    return sweeps


def read_nwb(path: str | os.PathLike[str]) -> list[Sweep]:
    """Sweeps of the intracellular recordings in an NWB file (module docstring).

    Raises
    ------
    ReadError
        Not a regular file, too large, not NWB, no icephys series, or unusable data.
    """
    source = check_file(path, "NWB")
    from pynwb import NWBHDF5IO

    try:
        with NWBHDF5IO(str(source), "r") as io:
            nwb = io.read()
            start = getattr(nwb, "session_start_time", None)
            created = start.isoformat() if start is not None else None
            return _sweeps(_pairs(nwb), source, path, created)
    except ReadError:
        raise
    except (RecordingError, MemoryError) as exc:
        raise ReadError(
            f"{source.name}: the NWB data cannot be used ({first_line(exc)}).", path
        ) from exc
    except Exception as exc:  # h5py/hdmf raise many kinds for damaged or foreign files
        raise ReadError(
            f"{source.name} is not a readable NWB file ({first_line(exc)}).", path
        ) from exc
