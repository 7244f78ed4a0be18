"""scripts/setup-env's decisions, run against fake dpkg-query / apt-cache / apt-get / sudo /
python programs on PATH (nothing is installed; every call is logged and checked).

The real script runs on every `bash scripts/test`, so its happy path on this machine is
exercised by the suite itself; these tests cover the machines we do not have: Debian 13
and Ubuntu 24.04's t64 package names, accounts without sudo, broken and too-old Pythons.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup-env"
TOOLS = ("bash", "awk", "grep", "cat", "cut", "sha1sum", "dirname", "rm", "mkdir", "mv", "env")

QT_LIBS = (
    "libgl1 libegl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 "
    "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
    "libxcb-shape0 libxcb-xkb1 fonts-dejavu-core python3-stfio"
).split()

FAKES = {
    "dpkg-query": """
        # dpkg-query -W -f=... NAME: installed if NAME is in $FAKE_INSTALLED
        name=${@: -1}
        for p in $FAKE_INSTALLED; do
          [ "$p" = "$name" ] && { printf 'install ok installed'; exit 0; }
        done
        exit 1
    """,
    "apt-cache": """
        # apt-cache policy NAME: a candidate if NAME is in $FAKE_AVAILABLE
        name=$2
        for p in $FAKE_AVAILABLE; do
          [ "$p" = "$name" ] && { echo "$name:"; echo "  Installed: (none)"; echo "  Candidate: 1.0"; exit 0; }
        done
        echo "$name:"; echo "  Installed: (none)"; echo "  Candidate: (none)"
    """,
    "apt-get": 'echo "apt-get $*" >> "$FAKE_LOG"',
    "id": 'echo "$FAKE_UID"',
    "python": """
        # a Python that is $FAKE_PY_VERSION; "-m venv DIR" makes DIR/bin/python (a copy)
        case "$1 $2" in
          "-m venv") mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; echo "venv $3" >> "$FAKE_LOG"; exit 0 ;;
          "-m pip") echo "pip ${*:3}" >> "$FAKE_LOG"; exit 0 ;;
          "-m vlab.rig.warmup") echo "warmup" >> "$FAKE_LOG"; exit 0 ;;
        esac
        if [ "$1" = "-c" ]; then
          case "$2" in
            *version_info\\ \\>=*) [ "$FAKE_PY_OLD" = 1 ] && exit 1; exit 0 ;;
            *print*) echo "$FAKE_PY_VERSION"; exit 0 ;;
            *) exit 0 ;;
          esac
        fi
        exit 0
    """,
}


def _write(path: Path, body: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body).strip() + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake(tmp_path):
    """A copy of the repository's script and pyproject with a PATH of fakes."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts" / "setup-env")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    (repo / "vlab" / "sim").mkdir(parents=True)
    (repo / "vlab" / "sim" / "kernel.py").write_text("def advance(): pass\n")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in TOOLS + ("cp", "printf"):
        real = shutil.which(tool)
        if real:
            (bin_ / tool).symlink_to(real)
    for name, body in FAKES.items():
        _write(bin_ / name, body)
    log = tmp_path / "calls.log"
    log.touch()
    env = {
        "PATH": str(bin_),
        "FAKE_LOG": str(log),
        "FAKE_UID": "0",
        "FAKE_INSTALLED": " ".join(QT_LIBS),
        "FAKE_AVAILABLE": "",
        "FAKE_PY_OLD": "0",
        "FAKE_PY_VERSION": "3.11",
        "PYTHON": str(bin_ / "python"),
        "HOME": str(tmp_path),
    }

    class Fake:
        pass

    f = Fake()
    f.repo, f.bin, f.log, f.env = repo, bin_, log, env

    def run(*args, **extra):
        e = dict(env, **extra)
        return subprocess.run(
            ["bash", str(repo / "scripts" / "setup-env"), *args],
            env=e,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )

    f.run = run
    f.calls = lambda: log.read_text().splitlines()
    return f


def test_debian13_installs_the_t64_glib(fake):
    r = fake.run("--system-only", FAKE_AVAILABLE="libglib2.0-0t64")
    assert r.returncode == 0, r.stderr
    installs = [c for c in fake.calls() if c.startswith("apt-get") and "install" in c]
    assert len(installs) == 1 and installs[0].split()[-1] == "libglib2.0-0t64"


def test_debian12_installs_the_old_glib_name(fake):
    r = fake.run("--system-only", FAKE_AVAILABLE="libglib2.0-0")
    assert r.returncode == 0, r.stderr
    installs = [c for c in fake.calls() if "install" in c]
    assert installs[0].split()[-1] == "libglib2.0-0"


@pytest.mark.parametrize("glib", ["libglib2.0-0", "libglib2.0-0t64"])
def test_nothing_is_installed_when_either_name_is_there(fake, glib):
    installed = fake.env["FAKE_INSTALLED"] + " " + glib
    r = fake.run("--system-only", FAKE_INSTALLED=installed)
    assert r.returncode == 0, r.stderr
    assert fake.calls() == []  # not even apt-get update


def test_without_sudo_the_administrator_gets_the_list(fake):
    r = fake.run("--system-only", FAKE_UID="1000", FAKE_AVAILABLE="libglib2.0-0t64 libgl1")
    assert r.returncode == 3
    assert "sudo apt-get install -y libglib2.0-0t64" in r.stderr
    assert "administrator" in r.stderr
    assert "sudo: command not found" not in r.stderr
    assert fake.calls() == []


def test_with_sudo_rights_apt_runs_through_sudo(fake):
    _write(fake.bin / "sudo", 'echo "sudo $*" >> "$FAKE_LOG"; [ "$1" = "-n" ] && exit 0; "$@"')
    r = fake.run("--system-only", FAKE_UID="1000", FAKE_AVAILABLE="libglib2.0-0t64")
    assert r.returncode == 0, r.stderr
    assert "sudo apt-get install -y -qq --no-install-recommends libglib2.0-0t64" in fake.calls()


def test_a_too_old_python_is_refused_before_any_venv_is_made(fake):
    glib = fake.env["FAKE_INSTALLED"] + " libglib2.0-0"
    r = fake.run(FAKE_INSTALLED=glib, FAKE_PY_OLD="1", FAKE_PY_VERSION="3.8")
    assert r.returncode == 1
    assert "needs Python 3.10 or newer" in r.stderr and "3.8" in r.stderr
    assert not (fake.repo / ".venv").exists()


def test_a_broken_venv_is_rebuilt(fake):
    glib = fake.env["FAKE_INSTALLED"] + " libglib2.0-0"
    venv = fake.repo / ".venv"
    (venv / "bin").mkdir(parents=True)
    _write(venv / "bin" / "python", "exit 1")  # e.g. its base Python was removed
    (venv / "leftover").write_text("from the failed set-up")
    r = fake.run(FAKE_INSTALLED=glib)
    assert r.returncode == 0, r.stderr
    assert "rebuilding" in r.stdout
    assert not (venv / "leftover").exists()
    calls = fake.calls()
    assert f"venv {'.venv'}" in calls and any(c.startswith("pip install") for c in calls)
    assert "warmup" in calls  # the kernel is compiled at install time
    assert (venv / ".vlab-installed").is_file()
    # a second run finds everything in place and does nothing
    fake.log.write_text("")
    r = fake.run(FAKE_INSTALLED=glib)
    assert r.returncode == 0 and fake.calls() == []


def test_launching_the_app_never_asks_for_test_only_tools(fake):
    """stfio and desktop-file-utils are for the test suite: a student's set-up without them
    installs nothing more and asks no administrator for them."""
    installed = [p for p in QT_LIBS if p != "python3-stfio"] + ["libglib2.0-0"]
    r = fake.run("--system-only", FAKE_INSTALLED=" ".join(installed), FAKE_UID="1000")
    assert r.returncode == 0, r.stderr
    assert not [c for c in fake.calls() if c.startswith("apt-get")]


def test_the_test_command_installs_the_test_only_tools(fake):
    installed = [p for p in QT_LIBS if p != "python3-stfio"] + ["libglib2.0-0"]
    r = fake.run(
        "--system-only",
        "--tests",
        FAKE_INSTALLED=" ".join(installed),
        FAKE_AVAILABLE="python3-stfio desktop-file-utils",
    )
    assert r.returncode == 0, r.stderr
    installs = [c for c in fake.calls() if c.startswith("apt-get") and "install" in c]
    assert len(installs) == 1
    assert {"python3-stfio", "desktop-file-utils"} <= set(installs[0].split())


def test_an_unknown_option_is_refused(fake):
    r = fake.run("--sytem-only")
    assert r.returncode == 2
    assert "unknown option" in r.stderr


def test_the_install_time_kernels_are_compiled_again_when_the_engine_changes(fake):
    """A `git pull` that changes vlab/sim leaves pyproject.toml alone: the install-time
    kernel cache (looked up by a digest of vlab/sim) must still be rebuilt, or every new
    user's first start compiles for 10-20 s (docs/performance.md, "Start-up")."""
    glib = fake.env["FAKE_INSTALLED"] + " libglib2.0-0"
    assert fake.run(FAKE_INSTALLED=glib).returncode == 0
    assert fake.calls().count("warmup") == 1
    fake.log.write_text("")
    assert fake.run(FAKE_INSTALLED=glib).returncode == 0
    assert fake.calls() == []  # nothing changed
    (fake.repo / "vlab" / "sim" / "kernel.py").write_text("def advance(): return 1\n")
    r = fake.run(FAKE_INSTALLED=glib)
    assert r.returncode == 0, r.stderr
    assert fake.calls() == ["warmup"]  # the kernels again, not the install
