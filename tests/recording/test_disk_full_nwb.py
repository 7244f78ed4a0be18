"""NWB export to a disk that fills up mid-write fails cleanly (issue 11).

h5py writes from C, so a Python monkeypatch cannot fill its disk. Instead a child process
gets a file-size limit (``RLIMIT_FSIZE``; portable, no root or mount needed): every write
past 64 KiB fails the way a full disk does. Before the fix h5py printed hundreds of
tracebacks and the interpreter crashed at exit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    sys.path.insert(0, {factory!r})
    from recording_factory import make_sweep
    from vlab.recording import ExportError, write_nwb

    sweeps = [make_sweep(i, "IC", n=20_000) for i in range(4)]  # a few MB as NWB
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
    try:
        write_nwb(sweeps, sys.argv[1])
    except ExportError as exc:
        print("ExportError:", exc)
    else:
        print("no error")
    """
)


def test_nwb_export_to_full_disk_is_one_clean_error(tmp_path):
    target = tmp_path / "recording.nwb"
    target.write_bytes(b"previous version")
    script = CHILD.format(factory=str(Path(__file__).parent))
    run = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]  # no segfault (-11) or abort at exit
    assert run.stderr == ""  # no h5py traceback flood
    lines = run.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ExportError: Could not save recording.nwb")
    assert "could not convert" not in lines[0] and "report" not in lines[0]
    assert target.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recording.nwb"]  # no temp file left
