"""The core is Qt-free and every module imports."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def _lint_imports_on_copy(tmp_path, edits: dict[str, str]) -> subprocess.CompletedProcess:
    """Run import-linter with the project's contracts on a copy of vlab where each
    ``edits`` value is appended to its path (created if new): the real tree is untouched."""
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "vlab", tmp_path / "vlab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, code in edits.items():
        target = tmp_path / path
        target.write_text((target.read_text() if target.exists() else "") + "\n" + code)
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(exe), "--no-cache"], capture_output=True, text=True, cwd=tmp_path, env=env
    )


def test_import_linter_keeps_the_contracts(tmp_path):
    r = _lint_imports_on_copy(tmp_path, {"vlab/rig/_probe.py": "import vlab.sim\n"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 kept, 0 broken" in r.stdout, r.stdout


#: imports against the layering -> how import-linter reports each
WRONG_WAY = {
    "vlab/rig/_probe.py": ("import vlab.gui\n", "vlab.rig._probe -> vlab.gui"),
    "vlab/sim/_probe.py": ("import vlab.rig\n", "vlab.sim._probe -> vlab.rig"),
    "vlab/analysis/_probe.py": (
        "import vlab.recording\n",
        "vlab.analysis._probe -> vlab.recording",
    ),
    "vlab/units.py": ("import vlab.sim  # noqa\n", "vlab.units -> vlab.sim"),
    "vlab/recording/_probe.py": ("import pyqtgraph\n", "vlab.recording._probe -> pyqtgraph"),
}


def test_import_linter_rejects_wrong_way_imports(tmp_path):
    """The contracts are live: a vlab.rig -> vlab.gui import (and the others) break them."""
    r = _lint_imports_on_copy(tmp_path, {p: code for p, (code, _) in WRONG_WAY.items()})
    assert r.returncode != 0, r.stdout
    assert "0 kept, 2 broken" in r.stdout, r.stdout
    for _code, report in WRONG_WAY.values():
        assert report in r.stdout, (report, r.stdout)


def test_one_atomic_write_implementation():
    """Files are written through vlab.atomic only: nobody else makes temp files to rename
    or fsyncs (settings, progress, practicals' files, recordings, protocols)."""
    root = Path(vlab.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "atomic.py"
        and any(word in p.read_text(encoding="utf-8") for word in ("mkstemp", "fsync("))
    ]
    assert offenders == []


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    from vlab.atomic import atomic_path, write_text_atomic

    target = tmp_path / "data.txt"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full, say")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["data.txt"]
    write_text_atomic(target, "new", private=True)
    assert target.read_text() == "new" and (target.stat().st_mode & 0o077) == 0
