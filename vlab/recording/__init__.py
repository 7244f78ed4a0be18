"""vlab.recording: recorded sweeps with provenance, exports and experiment files.

Qt-free. Arrays are float64 in SI units; exports convert to display units
where the format expects them. pyABF, pynwb and h5py are imported only by the
functions that need them, so importing this package stays fast.
"""

from vlab.recording._common import default_export_name, summary_metadata
from vlab.recording.errors import (
    ExportError,
    ReadError,
    RecordingError,
    RecordingFileError,
    SessionError,
)
from vlab.recording.export import EXPORT_FORMATS, ExportFormat, export_sweeps
from vlab.recording.export_abf import abf_channels, abf_coarse_sweeps, abf_quantum, write_abf
from vlab.recording.export_atf import write_atf
from vlab.recording.export_csv import column_name, read_csv, write_csv
from vlab.recording.export_npz import read_npz, write_npz
from vlab.recording.export_nwb import write_nwb
from vlab.recording.model import (
    CHANNEL_UNITS,
    Recording,
    Sweep,
    channel_unit,
    clamp_mode,
    is_voltage_clamp,
)
from vlab.recording.progress import ExportCancelled
from vlab.recording.session import SESSION_EXTENSION, load_session, save_session

__all__ = [
    "CHANNEL_UNITS",
    "EXPORT_FORMATS",
    "SESSION_EXTENSION",
    "ExportCancelled",
    "ExportError",
    "ExportFormat",
    "ReadError",
    "Recording",
    "RecordingError",
    "RecordingFileError",
    "SessionError",
    "Sweep",
    "abf_quantum",
    "channel_unit",
    "column_name",
    "abf_channels",
    "abf_coarse_sweeps",
    "default_export_name",
    "export_sweeps",
    "clamp_mode",
    "is_voltage_clamp",
    "load_session",
    "read_csv",
    "read_npz",
    "save_session",
    "summary_metadata",
    "write_abf",
    "write_atf",
    "write_csv",
    "write_npz",
    "write_nwb",
]
