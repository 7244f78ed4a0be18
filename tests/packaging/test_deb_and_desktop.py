"""Packaging checks: the .desktop entry, the PyInstaller spec, a built .deb, the About box.

The .deb tests run only when ``packaging/build.sh`` has produced ``dist/vlab_<version>_amd64.deb``
(the build is too heavy for every test run; see packaging/README.md); they install it with
``dpkg --root`` into a scratch folder, never into the system. Its maintainer scripts run
there without chroot (``--force-script-chrootless``, ``$DPKG_ROOT`` set), so the post-install
kernel compilation happens at the scratch root's ``/opt/vlab``.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vlab import __version__

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
DESKTOP = PKG / "linux" / "vlab.desktop"
SPEC = PKG / "vlab.spec"
DEB = ROOT / "dist" / f"vlab_{__version__}_amd64.deb"
REQUIRED_LIBS = ("libgl1", "libegl1", "libfontconfig1", "libxkbcommon-x11-0")


def read_desktop(path: Path) -> dict[str, str]:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    cp.read(path, encoding="utf-8")
    return dict(cp["Desktop Entry"])


# ------------------------------------------------------------------ .desktop entry
def test_desktop_entry_fields():
    e = read_desktop(DESKTOP)
    assert e["Type"] == "Application"
    assert e["Exec"] == "/opt/vlab/vlab"  # no %F: the CLI does not take file arguments
    assert e["Icon"] == "vlab"
    assert e["Terminal"] == "false"
    assert "Education;" in e["Categories"]


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate missing (apt-get install desktop-file-utils)",
)
def test_desktop_entry_validates():
    r = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "", r.stdout  # no warnings or hints either


# ------------------------------------------------------------------ PyInstaller spec
def test_spec_bundles_resources_and_entry():
    text = SPEC.read_text(encoding="utf-8")
    tree = ast.parse(text)  # the spec is Python: it must at least parse
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    # resources/ is copied to the top of the bundle, where vlab.resources looks (_MEIPASS)
    assert 'ROOT / "resources"' in text
    assert 'Path("resources")' in text
    assert "datas=DATAS" in text
    # one-folder (COLLECT with exclude_binaries), entry = vlab.cli.main
    assert "exclude_binaries=True" in text
    assert "vlab_entry.py" in text
    assert "from vlab.cli import main" in (PKG / "vlab_entry.py").read_text(encoding="utf-8")
    # numba needs real source files to cache the kernel; scipy must not be excluded
    assert '"vlab": "pyz+py"' in text
    excludes = text.split("EXCLUDES = [", 1)[1].split("]", 1)[0]
    assert '"tkinter"' in excludes
    assert '"scipy"' not in excludes and '"numba"' not in excludes
    assert "org.vlab.vlab" in text
    # NWB export needs pynwb's and hdmf's schema files, which no PyInstaller hook collects
    assert 'for _pkg in ("pynwb", "hdmf")' in text and "collect_data_files(_pkg)" in text


def test_resolver_finds_bundle_resources(tmp_path, monkeypatch):
    """The layout the spec produces (``_MEIPASS/resources``) is what vlab.resources expects."""
    import sys

    from vlab import resources

    (tmp_path / "resources" / "protocols").mkdir(parents=True)
    monkeypatch.delenv("VLAB_RESOURCES", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    resources.resource_root.cache_clear()
    try:
        assert resources.resource_root() == tmp_path / "resources"
    finally:
        resources.resource_root.cache_clear()


def test_licence_files_present_and_current():
    lic = ROOT / "resources" / "licenses"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (lic / "LICENSE").read_text(encoding="utf-8") == (ROOT / "LICENSE").read_text(
        encoding="utf-8"
    )
    third = (lic / "THIRD_PARTY_LICENSES.md").read_text(encoding="utf-8")
    for name in (
        "PySide6",
        "pyqtgraph",
        "numpy",
        "scipy",
        "numba",
        "llvmlite",
        "pyabf",
        "pynwb",
        "h5py",
    ):
        assert f"| {name}" in third or f"| {name.lower()}" in third.lower(), name
    assert "Lesser General Public License" in third and "Relinking" in third
    assert (lic / "LGPL-3.0.txt").is_file()


# ------------------------------------------------------------------ the built .deb
needs_deb = pytest.mark.skipif(
    not DEB.is_file() or shutil.which("dpkg") is None,
    reason=f"{DEB.name} not built (packaging/build.sh)",
)


@pytest.fixture(scope="module")
def deb_root(tmp_path_factory):
    """The .deb installed by dpkg into a scratch root (dependencies not checked there)."""
    root = tmp_path_factory.mktemp("debroot")
    admin = root / "var" / "lib" / "dpkg"
    for d in ("info", "updates", "triggers"):
        (admin / d).mkdir(parents=True)
    (admin / "status").touch()
    r = subprocess.run(
        [
            "dpkg",
            f"--root={root}",
            f"--log={root / 'dpkg.log'}",
            "--force-depends",
            "--force-not-root",
            "--force-script-chrootless",  # postinst and prerm act on $DPKG_ROOT
            "-i",
            str(DEB),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    status = subprocess.run(
        ["dpkg", f"--root={root}", "-s", "vlab"], capture_output=True, text=True, check=True
    ).stdout
    assert "Status: install ok installed" in status
    return root


@needs_deb
def test_deb_control_fields():
    out = subprocess.run(
        ["dpkg-deb", "-f", str(DEB)], check=True, capture_output=True, text=True
    ).stdout
    fields = {}
    for line in out.splitlines():
        if line and not line.startswith(" ") and ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    assert fields["Package"] == "vlab"
    assert fields["Version"] == __version__
    assert fields["Architecture"] == "amd64"
    assert int(fields["Installed-Size"]) > 50_000  # KiB: Python + Qt + numpy ...
    depends = [d.strip().split()[0] for d in fields["Depends"].split(",")]
    for lib in REQUIRED_LIBS:
        assert lib in depends, f"Depends lacks {lib}"


@needs_deb
def test_deb_launcher_points_at_installed_executable(deb_root):
    launcher = deb_root / "usr" / "bin" / "vlab"
    assert launcher.is_symlink()
    target = os.readlink(launcher)
    assert target == "/opt/vlab/vlab"
    exe = deb_root / target.lstrip("/")
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert (deb_root / "opt" / "vlab" / "_internal" / "resources" / "protocols").is_dir()
    assert (
        deb_root
        / "opt"
        / "vlab"
        / "_internal"
        / "resources"
        / "licenses"
        / "THIRD_PARTY_LICENSES.md"
    ).is_file()


@needs_deb
def test_installed_vlab_runs(deb_root):
    exe = deb_root / "opt" / "vlab" / "vlab"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and __version__ in r.stdout, r.stdout + r.stderr


@needs_deb
@pytest.mark.slow
def test_installed_vlab_smoke_test(deb_root, tmp_path):
    """The installed copy starts and paints its first frame (offscreen, first start)."""
    exe = deb_root / "opt" / "vlab" / "vlab"
    r = subprocess.run(
        [str(exe), "--smoke-test"],
        env=_installed_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def _installed_env(tmp_path) -> dict[str, str]:
    """A new user of the installed copy: empty cache, config and data folders."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    for name in ("NUMBA_CACHE_DIR", "VLAB_RESOURCES", "VLAB_NO_JIT", "VLAB_NO_SEED_CACHE"):
        env.pop(name, None)
    return env


@needs_deb
def test_deb_scripts_compile_the_kernels_at_install_and_remove_them(tmp_path_factory):
    """postinst fills /opt/vlab's install-time kernel cache (numba's files are keyed by the
    installed sources' folder, so they can only be made there); prerm deletes it, and
    the removal leaves nothing of vlab behind."""
    out = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(DEB)], check=True, capture_output=True
    ).stdout
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        scripts = {Path(m.name).name: m.mode for m in tar.getmembers() if m.isfile()}
    assert scripts.get("postinst", 0) & 0o111 and scripts.get("prerm", 0) & 0o111, scripts

    root = tmp_path_factory.mktemp("debroot-remove")
    dpkg = ["dpkg", f"--root={root}", "--force-not-root", "--force-script-chrootless"]
    for d in ("info", "updates", "triggers"):
        (root / "var" / "lib" / "dpkg" / d).mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "status").touch()
    r = subprocess.run([*dpkg, "--force-depends", "-i", str(DEB)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    cache = root / "opt" / "vlab" / "_internal" / "share" / "vlab" / "numba-cache"
    names = [p.name for p in cache.rglob("*") if p.is_file()]
    assert any(n.endswith(".nbi") for n in names) and any(n.endswith(".nbc") for n in names)
    # every kernel the rig and the axon bench use was compiled (vlab.rig.warmup)
    assert any(n.startswith("kernel.") for n in names) and any(
        n.startswith("cable_kernel.") for n in names
    )
    r = subprocess.run([*dpkg, "--purge", "vlab"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (root / "opt" / "vlab").exists()


@needs_deb
@pytest.mark.slow
def test_installed_vlab_first_start_loads_the_kernels_compiled_at_install(deb_root, tmp_path):
    """A new user's first start copies the install-time cache and compiles nothing."""
    exe = deb_root / "opt" / "vlab" / "vlab"
    env = dict(_installed_env(tmp_path), VLAB_BUNDLE_SELFTEST="1")
    r = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    import json

    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["jit"] and report["peak_mV"] > 0, report
    advance = report["kernel"]["advance"]
    assert advance["cache_misses"] == 0 and advance["cache_hits"] >= 1, report


@needs_deb
def test_deb_desktop_entry_matches_installed_files(deb_root):
    desktop = deb_root / "usr" / "share" / "applications" / "vlab.desktop"
    e = read_desktop(desktop)
    for key in ("Exec", "TryExec"):
        path = deb_root / e[key].split()[0].lstrip("/")
        assert path.is_file() and os.access(path, os.X_OK), f"{key}={e[key]} is not installed"
    icons = deb_root / "usr" / "share" / "icons" / "hicolor"
    for size in ("16x16", "32x32", "48x48", "256x256", "512x512"):
        assert (icons / size / "apps" / f"{e['Icon']}.png").is_file(), size
    assert (icons / "scalable" / "apps" / f"{e['Icon']}.svg").is_file()
    if shutil.which("desktop-file-validate"):
        r = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout


# ------------------------------------------------------------------ About box
@pytest.mark.gui
def test_about_dialog_shows_version_and_lgpl(qtbot):
    from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextBrowser  # noqa: TID251

    from vlab.gui.about import AboutDialog

    dlg = AboutDialog(None)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    labels = " ".join(w.text() for w in dlg.findChildren(QLabel))
    assert __version__ in dlg.findChild(QLabel, "aboutTitle").text()
    assert "LGPL" in labels and "Lesser General Public License" in labels
    assert dlg.findChild(QPlainTextEdit, "licenceText").toPlainText().startswith("MIT License")
    browser = dlg.findChild(QTextBrowser, "thirdPartyText")
    text = browser.toPlainText()
    assert "Relinking" in text and "pyqtgraph" in text
    # a licence text opens as plain text, and Back returns to the list
    from PySide6.QtCore import QUrl  # noqa: TID251

    browser.setSource(QUrl("LGPL-3.0.txt"))
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in browser.toPlainText().splitlines()[0]
    browser.backward()
    assert "Third-party software" in browser.toPlainText()


def test_third_party_licences_name_every_bundled_distribution():
    """Every distribution vlab pulls in is named in THIRD_PARTY_LICENSES.md.

    Versions are not compared: a fresh environment may resolve newer patch releases, and
    packaging/build.sh regenerates the file (with exact versions) for every bundle.
    """
    import importlib.util
    import re

    spec = importlib.util.spec_from_file_location("collect_licenses", PKG / "collect_licenses.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    names = {mod.norm(n) for n in mod.closure()}
    text = (PKG.parent / "resources" / "licenses" / "THIRD_PARTY_LICENSES.md").read_text()
    made_with = re.search(r"\*\*Python (\d+\.\d+)\.", text)
    assert made_with, "THIRD_PARTY_LICENSES.md does not say which Python it was made with"
    if made_with.group(1) != "{}.{}".format(*sys.version_info[:2]):
        # another Python resolves other requirements (tomli below 3.11, older pandas with
        # pytz and six): a bundle made with it gets the list packaging/build.sh writes
        text = mod.build_files()["THIRD_PARTY_LICENSES.md"]
    listed = {mod.norm(m) for m in re.findall(r"[A-Za-z0-9_.-]+", text)}
    missing = sorted(n for n in names if n not in listed and n != "vlab")
    assert not missing, (
        f"not in THIRD_PARTY_LICENSES.md (run packaging/collect_licenses.py): {missing}"
    )
