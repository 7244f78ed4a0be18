"""ABF export: Axon Binary Format 1.8 with a complete header (:mod:`abf_header`).

What a file holds
-----------------
* one episode per sweep (episodic stimulation mode), with a synch array giving
  each episode's start time, so Clampfit, Stimfit, neo and pyABF see the sweeps;
* several channels sampled together: by default ``Vm`` in **mV** and ``Im`` in
  **pA** (Clampex's own units), plus any chosen channel (V -> mV, A -> pA,
  S -> nS, dimensionless as is with unit ``1``);
* the command: as the protocol's epoch table and holding level on DAC 0 when
  the caller passes the protocol and the table reproduces the recorded command
  exactly (see :mod:`abf_epochs`), otherwise as an extra channel named ``Cmd``;
* the sample interval, the date and time of the first sweep, the sweep
  start-to-start interval, vlab as creator and the protocol name.

Precision
---------
Samples are 16-bit integers with a scale chosen per channel so that the
channel's largest magnitude in the file is 32,000 counts; each value is rounded
to the nearest count, so it reads back within ``peak / 64,000`` (half of
:func:`abf_quantum`) plus float32 rounding. A sweep that spans at least 1.6 % of
its channel's peak therefore loses at most 0.1 % of its own range; a nearly flat
sweep (a resting cell among spiking ones) is still within ``peak / 64,000``, which
can be more than 0.1 % of its own range: :func:`abf_coarse_sweeps` names those
sweeps (the export dialog warns). ABF 1.8 also allows float32 samples
(``nDataFormat = 1``), but pyABF 2.3 refuses such ABF1 files ("Support for float
data is not implemented") and Stimfit's stfio reads them wrongly (checked with a
float file built from this header: neo's AxonIO alone read it right), so vlab
writes 16-bit samples, which every reader opens.
The instrument offset is zero, because readers disagree on its sign. Mystery drugs and other
provenance are not written (ABF has no place for them).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.recording._atomic import atomic_open
from vlab.recording._common import as_sweeps
from vlab.recording.abf_epochs import epoch_table
from vlab.recording.abf_header import (
    ABF_ADC_COUNT,
    ABF_BLOCK,
    ABF_EPOCH_COUNT,
    ABF_HEADER_SIZE,
    ABF_VERSION,
    pack_header,
)
from vlab.recording.errors import ExportError, RecordingError
from vlab.recording.model import Recording, Sweep, is_voltage_clamp
from vlab.recording.progress import report

__all__ = [
    "ABF_UNITS",
    "CoarseSweep",
    "abf_channels",
    "abf_coarse_sweeps",
    "abf_quantum",
    "write_abf",
]

#: SI unit -> (ABF unit label, factor from SI).
ABF_UNITS: dict[str, tuple[str, float]] = {
    "V": ("mV", 1e3),
    "A": ("pA", 1e12),
    "S": ("nS", 1e9),
    "1": ("1", 1.0),
}
_ADC_RANGE = 10.0  # volts at the converter (fADCRange)
_ADC_RESOLUTION = 32768  # counts for +fADCRange (lADCResolution)
_HALF_SPAN = 32000  # counts used for half of a channel's range (headroom to 32767)
COMMAND_CHANNEL = "Cmd"


def abf_quantum(peak: float) -> float:
    """Read-back step (display units) of a channel whose largest magnitude is ``peak``.

    The scale maps ``peak`` to 32,000 counts (offset zero: readers disagree on the sign
    of ABF's instrument offset), and values are rounded to the nearest count, so they
    read back within half of this step plus float32 rounding.
    """
    return (peak if peak > 0 else 1.0) / _HALF_SPAN


@dataclass(frozen=True)
class CoarseSweep:
    """A sweep an ABF file keeps less finely than 0.1 % of its own range in one channel.

    ``position`` in the export, ``channel``, the file's read-back ``step`` (half of it is
    the largest error) and the sweep's ``span`` (its range), both in ABF display units
    (``unit``: mV, pA, nS ...).
    """

    position: int
    channel: str
    step: float
    span: float
    unit: str


def abf_coarse_sweeps(
    sweeps: Iterable[Sweep], channels: Sequence[str] | None = None
) -> list[CoarseSweep]:
    """Sweeps whose values in an ABF file may be off by more than 0.1 % of their own range.

    The scale is per channel (the largest magnitude of all sweeps at 32,000 counts), so a
    nearly flat sweep beside large ones is stored in steps coarser than its own detail.
    Flat sweeps (range 0) are not listed. ``channels`` as for :func:`write_abf`.
    """
    items = list(sweeps)
    out = []
    for name in abf_channels(items, channels):
        factors = [ABF_UNITS[s.unit(name)] for s in items]
        peak = max(
            float(np.max(np.abs(s.channels[name]))) * f
            for s, (_, f) in zip(items, factors, strict=True)
        )
        step = abf_quantum(peak)
        for pos, (s, (unit, f)) in enumerate(zip(items, factors, strict=True)):
            span = float(np.ptp(s.channels[name])) * f
            if span > 0 and step / 2 > 1e-3 * span:
                out.append(CoarseSweep(pos, name, step, span, unit))
    return out


def abf_channels(sweeps: Iterable[Sweep], channels: Sequence[str] | None = None) -> list[str]:
    """Channels an ABF file of ``sweeps`` holds: ``channels``, or else Vm, Im and the
    membrane potential at every recorded place of an axon (``Vm@2cm`` ...) where present.

    Raises
    ------
    ExportError
        If a channel is missing from a sweep or none is left.
    """
    items = list(sweeps)
    wanted: list[str] = (
        list(channels)
        if channels
        else [c for c in items[0].channels if c in ("Vm", "Im") or c.startswith("Vm@")]
    )
    if not wanted:
        wanted = [c for c in items[0].channels if c != "command"][:1]
    for name in wanted:
        missing = [s.index for s in items if name not in s.channels]
        if missing:
            raise ExportError(f"Sweep {missing[0]} has no {name} channel to write to the ABF file.")
    return wanted


def _ascii(text: str, width: int) -> bytes:
    raw = text.encode("ascii", "replace")[:width]
    return raw.ljust(width, b" ")


def _start_datetime(sweep: Sweep) -> _dt.datetime:
    created = sweep.provenance.get("created")
    try:
        return _dt.datetime.fromisoformat(str(created))
    except ValueError:
        return _dt.datetime.now()


def _command(items: list[Sweep]) -> tuple[str, float] | None:
    """(display unit, factor) of the command when every sweep has one kind."""
    if any("command" not in s.channels for s in items):
        return None
    try:
        modes = {is_voltage_clamp(s.mode) for s in items}
    except RecordingError:
        return None
    if len(modes) != 1:
        return None
    return ABF_UNITS["V" if modes.pop() else "A"]


def _commands(items: list[Sweep], factor: float) -> np.ndarray:
    """Every sweep's command in display units, shape (sweeps, samples)."""
    dtype = np.result_type(*(s.channels["command"] for s in items))
    out = np.empty((len(items), items[0].n_samples), dtype=dtype)
    for k, s in enumerate(items):
        out[k] = s.channels["command"] * factor
    return out


def _sample_interval_us(dt: float, n_channels: int) -> float:
    """fADCSampleInterval: the per-channel interval divided by the channel count, in µs.

    Stored as float32, lowered by a few ulps if needed so that readers which truncate
    the sample rate to whole hertz (pyABF) still get ``round(1 / dt)``.
    """
    rate = round(1.0 / dt)
    value = np.float32(dt * 1e6 / n_channels)
    for _ in range(8):
        if int(1e6 / float(value) / n_channels) >= rate:
            break
        value = np.nextafter(value, np.float32(0))
    return float(value)


def write_abf(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    channels: Sequence[str] | None = None,
    protocol: object | None = None,
) -> list[str]:
    """Write ``sweeps`` as an ABF 1.8 file (one episode per sweep), atomically.

    Parameters
    ----------
    sweeps
        Sweeps of equal length and sample interval; both clamp modes may be mixed.
    path
        Target ``.abf`` file; replaced only once the new file is complete.
    channels
        Channels to record; default :func:`abf_channels` (Vm and Im). The command is
        added as ``Cmd`` when the epoch table cannot describe it.
    protocol
        The :class:`vlab.protocols.Protocol` the sweeps were recorded with (sweep
        ``k`` of the file = its sweep ``k``), for the epoch table; without it the
        command is written as the ``Cmd`` channel.

    Returns
    -------
    list of str
        The channel names written, in file order.

    Raises
    ------
    ExportError
        If the sweeps cannot share one ABF file, or writing fails (an existing
        file at ``path`` is then left untouched).
    """
    items = as_sweeps(sweeps)
    names = abf_channels(items, channels)
    n, dt = items[0].n_samples, items[0].dt
    if any(s.n_samples != n or not math.isclose(s.dt, dt, rel_tol=1e-9) for s in items):
        raise ExportError(
            "An ABF file needs sweeps of equal length and sample rate: "
            "select sweeps from a single protocol run."
        )
    sources: list[tuple[str, float]] = []  # per file channel: (sweep channel, factor)
    units: list[str] = []
    for name in names:
        kinds = {s.unit(name) for s in items}
        if len(kinds) != 1:
            raise ExportError(f"The {name} channel has different units in different sweeps.")
        label, factor = ABF_UNITS[kinds.pop()]
        sources.append((name, factor))
        units.append(label)

    command = _command(items)
    rows = None
    holding = 0.0
    dac_unit = "mV"
    if command is not None:
        dac_unit, factor = command
        holding = float(np.median(np.array([s.channels["command"][0] * factor for s in items])))
        if protocol is not None:  # the one copy made: the command, to find its epochs
            cmds = _commands(items, factor)
            span = float(np.ptp(cmds)) or 1.0
            rows = epoch_table(protocol, cmds, holding, atol=1e-6 * max(span, abs(holding)))
            del cmds
        if rows is None and "command" not in names:
            names.append(COMMAND_CHANNEL)
            sources.append(("command", factor))
            units.append(dac_unit)
    if len(names) > ABF_ADC_COUNT:
        raise ExportError(f"An ABF file holds at most {ABF_ADC_COUNT} channels; choose fewer.")
    steps, scales, dtypes = [], [], []
    for name, (channel, factor) in zip(names, sources, strict=True):
        dtypes.append(np.result_type(*(s.channels[channel] for s in items)))  # float32 or 64
        # the largest magnitude in display units, sweep by sweep: no copy of the data
        peak = max(float(np.abs(s.channels[channel]).max() * factor) for s in items)
        if peak > 1e30:
            raise ExportError(f"The {name} values are too large to store in an ABF file.")
        scale = np.float32(_ADC_RANGE / (_ADC_RESOLUTION * abf_quantum(peak)))
        steps.append(_ADC_RANGE / (_ADC_RESOLUTION * float(scale)))  # what readers will use
        scales.append(float(scale))

    n_ch = len(names)
    samples_per_episode = n * n_ch
    n_values = len(items) * samples_per_episode
    data_blocks = -(-(2 * n_values) // ABF_BLOCK)
    data_ptr = ABF_HEADER_SIZE // ABF_BLOCK
    synch_ptr = data_ptr + data_blocks
    t0 = [s.t0 for s in items]
    first = min(t0)
    synch_unit_us = dt * 1e6  # synch counts are samples of one channel
    synch = np.empty((len(items), 2), dtype="<i4")
    synch[:, 0] = [round((t - first) / dt) for t in t0]
    synch[:, 1] = samples_per_episode
    if synch[:, 0].max() >= 2**31 - 1:
        raise ExportError("These sweeps span too long a time for one ABF file.")
    diffs = np.diff(sorted(t0))
    start_to_start = float(np.median(diffs)) if len(diffs) and np.median(diffs) > 0 else n * dt
    when = _start_datetime(items[0])
    voltage_clamp = command is not None and command[0] == "mV"

    pad16 = [0] * ABF_ADC_COUNT
    seq = list(range(n_ch)) + [-1] * (ABF_ADC_COUNT - n_ch)
    epochs_type = [0] * (2 * ABF_EPOCH_COUNT)
    init = [0.0] * (2 * ABF_EPOCH_COUNT)
    inc = [0.0] * (2 * ABF_EPOCH_COUNT)
    dur = [0] * (2 * ABF_EPOCH_COUNT)
    dinc = [0] * (2 * ABF_EPOCH_COUNT)
    for i, row in enumerate(rows or []):
        epochs_type[i], init[i], inc[i], dur[i], dinc[i] = (
            1,
            row.level,
            row.level_inc,
            row.samples,
            row.samples_inc,
        )
    major, minor, bugfix = ([int(x) for x in _VLAB_VERSION.split(".")[:3]] + [0, 0, 0])[:3]
    protocol_name = str(items[0].provenance.get("protocol_name", ""))
    header = pack_header(
        {
            "lFileSignature": b"ABF ",
            "fFileVersionNumber": ABF_VERSION,
            "fHeaderVersionNumber": ABF_VERSION,
            "nOperationMode": 5,  # episodic stimulation
            "nFileType": 1,
            "lActualAcqLength": n_values,
            "lActualEpisodes": len(items),
            "lFileStartDate": when.year * 10000 + when.month * 100 + when.day,
            "lFileStartTime": when.hour * 3600 + when.minute * 60 + when.second,
            "nFileStartMillisecs": when.microsecond // 1000,
            "lDataSectionPtr": data_ptr,
            "lSynchArrayPtr": synch_ptr,
            "lSynchArraySize": len(items),
            "nDataFormat": 0,
            "nADCNumChannels": n_ch,
            "fADCSampleInterval": _sample_interval_us(dt, n_ch),
            "fSynchTimeUnit": synch_unit_us,
            "fSecondsPerRun": float(n * dt),
            "lNumSamplesPerEpisode": samples_per_episode,
            "lPreTriggerSamples": 16,
            "lEpisodesPerRun": len(items),
            "lRunsPerTrial": 1,
            "lNumberOfTrials": 1,
            "fEpisodeStartToStart": start_to_start,
            "fRunStartToStart": start_to_start * len(items),
            "fTrialStartToStart": start_to_start * len(items),
            "nDataDisplayMode": 1,
            "nMultiColor": 1,
            "lSamplesPerTrace": n,
            "lStartDisplayNum": 1,
            "lFinishDisplayNum": n,
            "fADCRange": _ADC_RANGE,
            "fDACRange": _ADC_RANGE,
            "lADCResolution": _ADC_RESOLUTION,
            "lDACResolution": _ADC_RESOLUTION,
            "nExperimentType": 0 if voltage_clamp else 1,
            "sCreatorInfo": _ascii("vlab", 16),
            "nADCPtoLChannelMap": list(range(ABF_ADC_COUNT)),
            "nADCSamplingSeq": seq,
            "sADCChannelName": [_ascii(c, 10) for c in names] + [b" " * 10] * (16 - n_ch),
            "sADCUnits": [_ascii(u, 8) for u in units] + [b" " * 8] * (16 - n_ch),
            "fADCProgrammableGain": [1.0] * ABF_ADC_COUNT,
            "fADCDisplayAmplification": [1.0] * ABF_ADC_COUNT,
            "fADCDisplayOffset": [0.0] * ABF_ADC_COUNT,
            "fInstrumentScaleFactor": scales + [1.0] * (ABF_ADC_COUNT - n_ch),
            "fInstrumentOffset": [0.0] * ABF_ADC_COUNT,
            "fSignalGain": [1.0] * ABF_ADC_COUNT,
            "fSignalOffset": [0.0] * ABF_ADC_COUNT,
            "fSignalLowpassFilter": [100000.0] * ABF_ADC_COUNT,  # filter off
            "fSignalHighpassFilter": [0.0] * ABF_ADC_COUNT,
            "sDACChannelName": [_ascii("Cmd 0", 10)] + [b" " * 10] * 3,
            "sDACChannelUnits": [_ascii(dac_unit, 8)] + [b" " * 8] * 3,
            "fDACScaleFactor": [1.0] * 4,
            "fDACHoldingLevel": [holding, 0.0, 0.0, 0.0],
            "nActiveDACChannel": 0,
            "fAverageWeighting": 0.1,
            "lHeaderSize": ABF_HEADER_SIZE,
            "dFileDuration": float(synch[-1, 0] * dt + n * dt),
            "fDACCalibrationFactor": [1.0] * 4,
            "fDACCalibrationOffset": [0.0] * 4,
            "nWaveformEnable": [1 if rows else 0, 0],
            "nWaveformSource": [1 if rows else 0, 0],
            "nInterEpisodeLevel": [0, 0],
            "nEpochType": epochs_type,
            "fEpochInitLevel": init,
            "fEpochLevelInc": inc,
            "lEpochInitDuration": dur,
            "lEpochDurationInc": dinc,
            "nTelegraphEnable": pad16,
            "fTelegraphAdditGain": [1.0] * ABF_ADC_COUNT,
            "sProtocolPath": _ascii(protocol_name, 256),
            "sFileComment": _ascii(f"vlab {_VLAB_VERSION} simulation", 128),
            "fInstrumentHoldingLevel": [holding, 0.0, 0.0, 0.0],
            "nCreatorMajorVersion": major,
            "nCreatorMinorVersion": minor,
            "nCreatorBugfixVersion": bugfix,
        }
    )
    with atomic_open(path) as fh:
        fh.write(header)
        episode = np.empty((n, n_ch), dtype="<i2")  # one sweep at a time: bounded memory
        for k, s in enumerate(items):
            report(k / len(items))
            for j, ((channel, factor), step, dtype) in enumerate(
                zip(sources, steps, dtypes, strict=True)
            ):
                values = np.asarray(s.channels[channel] * factor, dtype=dtype)
                episode[:, j] = np.clip(np.rint(values / step), -32767, 32767)
            fh.write(episode.data)
        fh.write(b"\0" * (data_blocks * ABF_BLOCK - 2 * n_values))
        fh.write(synch.tobytes())
    return names
