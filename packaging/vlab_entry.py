"""Entry point frozen by PyInstaller (packaging/vlab.spec).

Normally it is the ``vlab`` console script, ``vlab.cli:main``, and nothing else: every option
(``--smoke-test``, ``--screenshot``, sub-commands) is handled there, so the bundle behaves
like ``vlab`` run from a virtual environment.

With ``VLAB_BUNDLE_SELFTEST=1`` in the environment it instead checks the frozen core (no Qt):
resources are found inside the bundle, the membrane kernel runs (compiled by numba when
available) and fires an action potential, the help's markdown extensions load, a recording
exports to NWB, ABF, CSV and NPZ (pynwb's schema files are bundled), and it reports whether
numba's on-disk cache was used. ``packaging/ci-bundle-check.sh`` runs it twice: the first run compiles, the second
must load the kernel from the cache. It prints one JSON line and exits 0 on success. With
``VLAB_SELFTEST_ABOUT_PNG=file.png`` it also renders the About box (offscreen) to that file.

With ``VLAB_BUNDLE_WARMUP=1`` it runs ``vlab.rig.warmup`` (no Qt): every kernel is compiled
into numba's cache at ``$NUMBA_CACHE_DIR``. The ``.deb``'s post-install script does this at
the installed path (``packaging/linux/postinst``), because numba's cache is keyed by the
sources' absolute folder and modification time and so cannot be made at build time.
"""

import multiprocessing
import os
import sys


def bundle_selftest() -> int:
    import json
    import time

    t0 = time.perf_counter()
    from vlab import __version__
    from vlab.protocols.library import load_protocol
    from vlab.resources import resource_root
    from vlab.sim import jit, kernel
    from vlab.sim.cell import Cell
    from vlab.sim.engine import run_protocol

    cell = Cell("squid")
    result = run_protocol(cell, load_protocol("single_pulse"), variables=("Vm",))
    peak_mV = float(result.data["Vm"].max()) * 1e3
    stats = {}
    for name in ("advance", "_gate_step", "_half_gates", "_record"):
        f = getattr(kernel, name, None)
        st = getattr(f, "stats", None)  # numba dispatchers only
        if st is not None:
            stats[name] = {"cache_hits": sum(st.cache_hits.values()),
                           "cache_misses": sum(st.cache_misses.values())}  # fmt: skip
    report = {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "resource_root": str(resource_root()),
        "resources": sorted(p.name for p in resource_root().iterdir() if p.is_dir()),
        "jit": bool(jit.JIT_ENABLED),
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
        "kernel": stats,
        "peak_mV": round(peak_mV, 2),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    # the optional-dependency paths that load data files or modules by name at run time
    import tempfile

    import markdown

    from vlab.cli import result_to_sweeps
    from vlab.recording.export import export_sweeps

    html = markdown.markdown("| a | b |\n|---|---|\n| 1 | 2 |", extensions=["tables", "sane_lists"])
    report["markdown_tables"] = "<table>" in html
    sweeps = result_to_sweeps(result, load_protocol("single_pulse"), cell, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("nwb", "abf", "csv", "npz"):
            path = os.path.join(tmp, f"selftest.{ext}")
            try:
                export_sweeps(sweeps, path)
                report[f"export_{ext}"] = os.path.getsize(path) > 0
            except Exception as exc:  # noqa: BLE001 - report which format fails, and why
                report[f"export_{ext}"] = f"{type(exc).__name__}: {exc}"

    about_png = os.environ.get("VLAB_SELFTEST_ABOUT_PNG")
    if about_png:  # the About box, rendered offscreen: licences, icon (SVG plugin), Qt notice
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from vlab.gui.about import AboutDialog

        app = QApplication.instance() or QApplication(sys.argv[:1])
        dlg = AboutDialog(None)
        dlg.show()
        app.processEvents()
        report["about_png"] = bool(dlg.grab().save(about_png))
        dlg.close()
    print(json.dumps(report))
    checks = [v for k, v in report.items() if k.startswith(("export_", "markdown_", "about_"))]
    return 0 if peak_mV > 0 and all(v is True for v in checks) else 1


if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless on Linux; needed if a worker process is ever used
    if os.environ.get("VLAB_BUNDLE_SELFTEST"):
        sys.exit(bundle_selftest())
    if os.environ.get("VLAB_BUNDLE_WARMUP"):
        from vlab.rig.warmup import main as warmup

        sys.exit(warmup([]))
    from vlab.cli import main

    sys.exit(main())
