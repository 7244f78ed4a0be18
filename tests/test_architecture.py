"""The core is Qt-free and every module imports."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import vlab

CORE = [
    "vlab.sim",
    "vlab.rig",
    "vlab.protocols",
    "vlab.analysis",
    "vlab.recording",
    "vlab.practicals",
    "vlab.units",
    "vlab.resources",
    "vlab.cli",
]


def test_core_imports_without_qt():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "import vlab.sim.engine, vlab.sim.cell, vlab.rig.rig\n"
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_core_module_imports():
    for info in pkgutil.walk_packages(vlab.__path__, "vlab."):
        if info.name.startswith("vlab.gui") or info.name == "vlab.__main__":
            continue
        importlib.import_module(info.name)


def test_ruff_bans_qt_in_core(tmp_path):
    """The lint rule itself: a Qt import in vlab/sim is flagged."""
    import shutil
    from pathlib import Path

    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    root = Path(__file__).resolve().parents[1]
    probe = root / "vlab" / "sim" / "_qt_probe_tmp.py"
    probe.write_text("from PySide6 import QtCore  # noqa: F401\n")
    try:
        r = subprocess.run(
            [ruff, "check", "--select", "TID251", str(probe)],
            capture_output=True,
            text=True,
            cwd=root,
        )
    finally:
        probe.unlink()
    assert r.returncode != 0 and "TID251" in r.stdout
