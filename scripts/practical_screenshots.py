"""Screenshots for docs/practicals.md: graded mode in the rig, a report, a gradebook.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/practical_screenshots.py``
Writes ``docs/screenshots/practical_graded.png``, ``practical_report.png`` and
``practical_gradebook.png`` (a small synthetic class in a temporary folder: two
practicals, one with a written answer, so the gradebook has a free-text column), and at
1024x768 ``practical_free_text.png`` (graded mode, a written answer) and
``practical_report_vc.png`` and ``practical_report_text.png`` (a voltage-clamp family
scaled to its ionic current; a written answer in the report), as Qt's rich text draws
them (the in-app view and its PDF). Where Chromium is installed (``apt-get install
chromium``) it also writes ``practical_report_browser.png``: the same report as a
browser draws it (students open the HTML file in one).
"""

from __future__ import annotations

import copy
import csv
import io
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    import os

    tmp = Path(tempfile.mkdtemp(prefix="vlab-shots-"))
    os.environ["VLAB_DATA_DIR"] = str(tmp / "data")
    from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem, QTextBrowser

    from vlab.gui.main_window import MainWindow
    from vlab.gui.panels.practical import _svg_to_img
    from vlab.practicals import (
        PracticalSession,
        load_practical,
        render_report,
        simulate_sweeps,
    )
    from vlab.practicals.classes import create_class
    from vlab.practicals.grade import grade_folder, gradebook_csv
    from vlab.practicals.session import format_answer
    from vlab.rig import Rig

    app = QApplication.instance() or QApplication(sys.argv)
    roster = [f"s{k:03d}" for k in range(1, 9)]
    klass = create_class("phys101", roster, title="Physiology 101", secret=b"s" * 32)
    pack = klass.pack()

    # 1. graded mode in the rig: nernst, one wrong attempt, read-outs hidden
    win = MainWindow(Rig(), start_worker=False)
    win.resize(1366, 768)
    win.show()
    panel = win.practical
    panel.open_practical("nernst", "s001", klass=pack)
    win.docks["practical"].raise_()
    box = panel.question_boxes["ek_default"]
    box.field.setText("-80")
    box.check()
    app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(OUT / "practical_graded.png"))
    win.shutdown()
    win.close()

    # 1b. graded mode at 1024x768: threshold_peak's driving-force step, a written answer
    win = MainWindow(Rig(), start_worker=False)
    win.resize(1024, 768)
    win.show()
    panel = win.practical
    panel.open_practical("threshold_peak", "s002", klass=pack)
    win.docks["practical"].raise_()
    win.docks["amplifier"].hide()  # the practical gets the column's height
    panel.go_to(3)
    box = panel.question_boxes["df_rest"]
    box.field.setText("-110")
    box.check()
    text = panel.question_boxes["explain_collapse"]
    text.text_box.setPlainText(
        "INa = gNa (V - E_Na). At the peak V is close to E_Na, so the driving force is "
        "only about -12 mV instead of -115 mV at rest."
    )
    text.check()
    app.processEvents()
    panel.questions_area.verticalScrollBar().setValue(text.y())  # the prompt on top
    app.processEvents()
    win.grab().save(str(OUT / "practical_free_text.png"))
    win.shutdown()
    win.close()

    # 1c. a voltage-clamp report: time_scales, the family and a written answer
    p = load_practical("time_scales")
    s = PracticalSession(p, "s003", klass=pack, autosave=False)
    sweeps = simulate_sweeps(s.preset(0), tag=s.recording_tag(0))
    s.check_recording("family", sweeps)
    s.go_to(1)
    for qid in ("tau_m", "tau_h", "tau_n"):
        s.submit(qid, format_answer(p.question(qid)[1], s.key(qid)).split()[0])
    s.go_to(2)
    s.submit(
        "explain_race",
        "m reaches its new value within about 0.1 ms, h and n take 0.4 to 0.6 ms, so Na+ "
        "channels open and the voltage shoots up before inactivation and K+ catch up.",
    )
    html = render_report(s.progress, session=s)
    _browser_shot(html, tmp, OUT / "practical_report_browser.png")
    html = re.sub(r"<svg.*?</svg>", lambda m: _svg_to_img(m.group(0)), html, flags=re.S)
    view = QTextBrowser()
    view.setHtml(html)
    view.resize(1024, 768)
    view.show()
    app.processEvents()
    for find, name in (
        ("Step 1.", "practical_report_vc.png"),
        ("Step 3.", "practical_report_text.png"),
    ):
        anchor = view.document().find(find)  # scroll to the evidence, the written answer
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
        view.setTextCursor(anchor)
        view.ensureCursorVisible()
        anchor.clearSelection()
        view.setTextCursor(anchor)
        app.processEvents()
        view.grab().save(str(OUT / name))
    view.close()

    # 2. reports of a small class: honest, one wrong attempt, one edited
    reports = tmp / "reports"
    reports.mkdir()
    from vlab.practicals import export_report

    p = load_practical("threshold")
    for k, sid in enumerate(roster[:6]):
        s = PracticalSession(p, sid, klass=pack, autosave=False)
        for i, step in enumerate(p.steps):
            sweeps = simulate_sweeps(s.preset(i), tag=s.recording_tag(i)) if i == 0 else []
            for q in step.questions:
                if q.kind == "recording":
                    s.check_recording(q.id, sweeps)
                elif q.kind == "choice":
                    s.submit(q.id, str(s.key(q.id)))
                else:
                    if k % 2:
                        s.submit(q.id, "5")
                    s.submit(q.id, format_answer(q, s.key(q.id)).split()[0])
        if k == 5:  # an edited progress: a wrong answer made "correct" by hand
            s.progress = copy.deepcopy(s.progress)
            s.progress.answers["threshold"] = "999"
            s.progress.attempts["threshold"] = [{"value": "999", "correct": True, "time": "?"}]
        export_report(s.progress, reports / f"{sid}-threshold.html", session=s)
        if k == 0:
            html = render_report(s.progress, session=s)
            html = re.sub(r"<svg.*?</svg>", lambda m: _svg_to_img(m.group(0)), html, flags=re.S)
            view = QTextBrowser()
            view.setHtml(html)
            view.resize(900, 1100)
            view.show()
            app.processEvents()
            view.grab().save(str(OUT / "practical_report.png"))
            view.close()
    # ... and passive_properties, with a written answer (left blank by two students)
    p = load_practical("passive_properties")
    words = [
        "The bilayer is equally thick everywhere, so C per area stays 1 uF/cm2.",
        "Capacitance depends on the area, not on the channels.",
        "",
        "More channels lower R, not C: tau halves because R halves.",
        "",
        "=SUM(A1:A9)",  # shown with an apostrophe, never as a formula
    ]
    for sid, text in zip(roster[:6], words, strict=True):
        s = PracticalSession(p, sid, klass=pack, autosave=False)
        for i, step in enumerate(p.steps):
            for q in step.questions:
                if q.kind == "recording":
                    s.check_recording(q.id, simulate_sweeps(s.preset(i), tag=s.recording_tag(i)))
                elif q.kind == "text":
                    if text:
                        s.submit(q.id, text)
                elif q.kind == "choice":
                    s.submit(q.id, str(s.key(q.id)))
                else:
                    s.submit(q.id, format_answer(q, s.key(q.id)).split()[0])
        export_report(s.progress, reports / f"{sid}-passive.html", session=s)

    # 3. the gradebook as a spreadsheet
    rows = list(csv.reader(io.StringIO(gradebook_csv(grade_folder(klass, reports), klass))))
    # shown with the scores, the written answers and the flags first (the CSV keeps the
    # flags last and the per-question columns in between)
    head = rows[0]
    first = [
        "student_id",
        "threshold score",
        "threshold max",
        "passive_properties score",
        "passive_properties max",
        "passive_properties:explain_same_c (to mark by instructor)",
        "flags",
    ]
    order = [head.index(c) for c in first]
    order += [i for i in range(len(head)) if i not in order]
    rows = [[row[i] for i in order] for row in rows]
    table = QTableWidget(len(rows) - 1, len(rows[0]))
    # headers on two lines, so that the score columns stay narrow
    table.setHorizontalHeaderLabels(
        [
            h.replace(" score", "\nscore").replace(" max", "\nmax").replace(" (", "\n(")
            for h in rows[0]
        ]
    )
    for r, row in enumerate(rows[1:]):
        for c, cell in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(cell))
    table.resizeColumnsToContents()
    table.setColumnWidth(5, 400)  # the written answers
    table.setColumnWidth(6, 470)  # the flags, wrapped
    table.resizeRowsToContents()
    table.resize(1360, 240)
    table.show()
    app.processEvents()
    table.grab().save(str(OUT / "practical_gradebook.png"))
    table.close()
    print(
        f"wrote {OUT}/practical_graded.png, practical_report.png, practical_gradebook.png, "
        "practical_free_text.png, practical_report_vc.png, practical_report_text.png"
    )
    return 0


def _browser_shot(html: str, tmp: Path, out: Path) -> None:
    """The report as Chromium draws it (headless), if Chromium is installed."""
    exe = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if exe is None:
        print(f"no Chromium on PATH: {out.name} not made (apt-get install chromium)")
        return
    page = tmp / "report.html"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [
            exe,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1024,1100",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


if __name__ == "__main__":
    sys.exit(main())
