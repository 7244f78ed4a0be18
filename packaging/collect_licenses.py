"""Write ``resources/licenses/`` from the installed distributions, so the list stays true.

Run it with the interpreter whose environment gets bundled (``packaging/build.sh`` does)::

    .venv/bin/python packaging/collect_licenses.py [--check]

It walks vlab's run-time requirements (``importlib.metadata``; extras and markers that do not
apply are skipped, and so are the distributions the bundle excludes, see ``NOT_BUNDLED``) and
writes:

* ``resources/licenses/LICENSE``: vlab's own MIT licence (a copy of the top-level file);
* ``resources/licenses/THIRD_PARTY_LICENSES.md``: the Qt for Python LGPL notice, a table of
  every bundled distribution (version, licence, home page) and the Python and system
  libraries the bundle also carries;
* ``resources/licenses/third_party/<name>.txt``: each distribution's licence files verbatim;
* ``resources/licenses/LGPL-3.0.txt`` and ``GPL-3.0.txt``: the licence texts Qt and PySide6
  are used under (from ``/usr/share/common-licenses`` when the PySide6 wheel carries none).

``--check`` writes nothing and exits 1 when the files on disk differ (for CI).
The About box (``vlab.gui.about``) shows these files.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "licenses"

#: distributions pulled in by a requirement but left out of the bundle (packaging/vlab.spec
#: ``EXCLUDES``), with the reason; their own requirements are not followed either.
NOT_BUNDLED = {
    "matplotlib": "required by pyabf for plotting only; excluded from the bundle",
    "pytest": "required by pyabf's metadata for its tests; excluded from the bundle",
}
LICENSE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|COPYRIGHT)[^/]*$|/LICEN[CS]ES?/", re.I)
QT_NOTICE = """\
## Qt and Qt for Python (PySide6, Shiboken6)

vlab's window is drawn with **Qt {qt}** through **Qt for Python (PySide6 {pyside})**,
copyright (C) The Qt Company Ltd. and other contributors. vlab uses them under the
**GNU Lesser General Public License version 3** (LGPL-3.0-only), whose text is in
[LGPL-3.0.txt](LGPL-3.0.txt) together with the GNU General Public License version 3 it
refers to ([GPL-3.0.txt](GPL-3.0.txt)). vlab does not modify Qt or PySide6.

* **Relinking.** In this bundle Qt and PySide6 are separate shared libraries
  (`libQt6*.so*`, `*.dll` or `*.dylib`, and the PySide6/Shiboken6 extension modules) in the
  application folder, loaded at run time. You may replace them with your own compatible
  (for example modified) builds of the same version, and vlab will use them.
* **Source code.** The complete corresponding source code of Qt {qt} is available at
  <https://download.qt.io/official_releases/qt/> and of Qt for Python {pyside} at
  <https://download.qt.io/official_releases/QtForPython/> and
  <https://code.qt.io/cgit/pyside/pyside-setup.git/>. For at least three years after we
  distribute this version, the vlab developers will also provide that source code on
  request, on a physical medium or for download, at no more than the cost of distribution:
  open an issue in vlab's project tracker.
* vlab itself is free software under the MIT licence ([LICENSE](LICENSE)); its source code
  is public, so you may also rebuild the whole application against other Qt builds.
"""


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str = "vlab") -> dict[str, md.Distribution]:
    from packaging.requirements import Requirement

    seen: dict[str, md.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = norm(name)
        if key in seen or key in NOT_BUNDLED:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # an optional requirement that is not installed is not bundled
        seen[key] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    seen.pop(norm(root), None)
    return dict(sorted(seen.items()))


def licence_of(dist: md.Distribution) -> str:
    m = dist.metadata
    if m.get("License-Expression"):
        return m["License-Expression"]
    lic = (m.get("License") or "").strip()
    if lic and "\n" not in lic and len(lic) <= 60:
        return lic
    classifiers = [
        c.split(" :: ")[-1] for c in m.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    if classifiers:
        return ", ".join(classifiers)
    first = lic.splitlines()[0].strip() if lic else ""
    return first[:60] or "see licence text"


def homepage(dist: md.Distribution) -> str:
    m = dist.metadata
    if m.get("Home-page"):
        return m["Home-page"]
    urls = {}
    for entry in m.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for key in ("homepage", "home", "source", "source code", "repository", "documentation"):
        if key in urls:
            return urls[key]
    return next(iter(urls.values()), "")


def licence_texts(dist: md.Distribution) -> list[tuple[str, str]]:
    out = []
    for f in dist.files or []:
        path = str(f)
        if LICENSE_FILE.search(path) and not path.endswith((".py", ".pyc", ".so", ".pyi")):
            try:
                out.append((path, Path(f.locate()).read_text(encoding="utf-8", errors="replace")))
            except OSError:
                pass
    if not out:
        text = (dist.metadata.get("License") or "").strip()
        if "\n" in text:
            out.append(("METADATA License field", text))
    return sorted(out)


def build_files() -> dict[str, str]:
    files: dict[str, str] = {}
    files["LICENSE"] = (ROOT / "LICENSE").read_text(encoding="utf-8")
    dists = closure()
    qt = md.version("PySide6-Essentials") if "pyside6-essentials" in dists else "6"
    for name in ("LGPL-3", "GPL-3"):
        src = Path("/usr/share/common-licenses") / name
        dest = f"{name}.0.txt"
        if src.is_file():
            files[dest] = src.read_text(encoding="utf-8")
        elif (OUT / dest).is_file():  # not Debian: keep the committed copy
            files[dest] = (OUT / dest).read_text(encoding="utf-8")

    py = platform.python_version()
    lines = [
        "# Third-party software in vlab",
        "",
        "<!-- Generated by packaging/collect_licenses.py from the installed distributions; "
        "do not edit. -->",
        "",
        "The vlab application bundle contains the software below in addition to vlab itself "
        "(MIT licence, [LICENSE](LICENSE)). Each licence's full text is linked from the table.",
        "",
        QT_NOTICE.format(qt=qt, pyside=qt),
        "## Python packages",
        "",
        "| Package | Version | Licence | Home page | Licence text |",
        "|---|---|---|---|---|",
    ]
    for key, dist in dists.items():
        name = dist.metadata["Name"]
        texts = licence_texts(dist)
        if key.startswith(("pyside6", "shiboken6")) and not texts:
            link = "[LGPL-3.0](LGPL-3.0.txt)"
        elif texts:
            body = "\n\n".join(f"===== {p} =====\n\n{t.strip()}\n" for p, t in texts)
            files[f"third_party/{key}.txt"] = f"{name} {dist.version}\n\n{body}"
            link = f"[{key}.txt](third_party/{key}.txt)"
        else:
            link = "none shipped"
        lines.append(
            f"| {name} | {dist.version} | {licence_of(dist)} | {homepage(dist)} | {link} |"
        )
    lines += [
        "",
        "## Python and native libraries",
        "",
        f"* **Python {py}** (the interpreter and its standard library): Python Software "
        "Foundation License Version 2 (PSF-2.0), <https://docs.python.org/3/license.html>"
        + (" ([text](third_party/python.txt))." if _python_licence() else "."),
        "* The bundle also carries shared libraries from the build system that Qt and Python "
        "load (for example libxcb and its extensions, libxkbcommon, fontconfig, FreeType, "
        "HarfBuzz, GLib, libpng, zlib, OpenSSL, libffi, libstdc++). They keep their own "
        "licences (MIT/X11, LGPL-2.1+, FreeType/GPL-2, zlib, Apache-2.0, GPL-3 with the GCC "
        "Runtime Library Exception); on Debian the texts are in `/usr/share/doc/<package>/copyright`.",
        "* numpy and scipy include OpenBLAS and the GNU Fortran runtime (BSD-3-Clause; "
        "GPL-3 with the GCC Runtime Library Exception); llvmlite includes LLVM "
        "(Apache-2.0 WITH LLVM-exception); h5py includes HDF5 (BSD-style). Their texts are "
        "in the packages' licence files above.",
        "",
        "## Not bundled",
        "",
    ]
    lines += [f"* {n}: {why}." for n, why in NOT_BUNDLED.items()]
    files["THIRD_PARTY_LICENSES.md"] = "\n".join(lines) + "\n"
    pl = _python_licence()
    if pl:
        files["third_party/python.txt"] = pl
    return files


def _python_licence() -> str | None:
    p = (
        Path(sys.base_prefix)
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "LICENSE.txt"
    )
    if not p.is_file():
        p = Path(sys.base_prefix) / "LICENSE.txt"  # Windows
    return p.read_text(encoding="utf-8", errors="replace") if p.is_file() else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the files are out of date")
    args = ap.parse_args(argv)
    files = build_files()
    existing = (
        {str(p.relative_to(OUT)).replace("\\", "/"): p for p in OUT.rglob("*") if p.is_file()}
        if OUT.is_dir()
        else {}
    )
    stale = sorted(set(existing) - set(files))
    changed = sorted(
        k
        for k, v in files.items()
        if k not in existing or existing[k].read_text(encoding="utf-8") != v
    )
    if args.check:
        for k in changed + stale:
            print(f"out of date: resources/licenses/{k}")
        return 1 if changed or stale else 0
    for k in stale:
        existing[k].unlink()
    for k in changed:
        dest = OUT / k
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(files[k], encoding="utf-8")
    print(
        f"collect_licenses: {len(files)} files in {OUT} ({len(changed)} written, {len(stale)} removed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
