"""Screenshot of the Analysis window with a real cell's I–V over the model's (docs/formats.md).

The model: the voltage-step family on the mammalian pyramidal cell. The real cell:
``tests/data/recordings/171116sh_0013.abf`` (Clampex, pyABF's sample data, MIT),
imported as a student does with *Import recording…*. The window is 1366 x 768 px.

Usage: ``.venv/bin/python scripts/import_screenshot.py [OUT.png]`` (offscreen, or on the
X display in ``DISPLAY`` when ``QT_QPA_PLATFORM`` is unset).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "recordings" / "171116sh_0013.abf"


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from vlab.gui.analysis_windows import AnalysisWindow, sweeps_from_run
    from vlab.protocols import load_protocol
    from vlab.sim.cell import Cell
    from vlab.sim.engine import run_protocol

    protocol = load_protocol("vc_step_family")
    result = run_protocol(Cell("mammalian"), protocol)
    model = sweeps_from_run(
        result, protocol, provenance={"run_id": "model", "preparation": "mammalian"}
    )
    win = AnalysisWindow(model)
    win.resize(1366, 768)
    win.show()
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    win.import_finished.connect(lambda _found: loop.quit())
    win.import_recording(str(FIXTURE))  # read off the GUI thread
    loop.exec()
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(out))
    print(f"wrote {out}")
    win.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/screenshots/import_iv.png")
