"""Practical panel: a guided practical beside the rig.

The panel shows the practical's steps with check marks, the current step's text
(Markdown, rendered by the ``markdown`` package into a ``QTextBrowser``), one input per
question (a number field with its unit, radio buttons, or a "check my recordings"
button) with immediate feedback, the controls the step locks, and an *Export report*
button. Opening a step applies its rig preset (:func:`vlab.practicals.apply_preset`), so
the rig always looks exactly as the step says.

Public API for the main window (no signals needed):

- :meth:`PracticalPanel.list_practicals` fills the chooser (once; call it when the panel
  is first shown: the main window does so when its tab is first selected);
- :meth:`PracticalPanel.open_practical` ``(name, student_id, klass=None)``; a class pack
  (``*.class.toml``, :mod:`vlab.practicals.classes`) is chosen with the *Class…* button
  or :meth:`PracticalPanel.set_class`;
- :attr:`PracticalPanel.recording_provider`: a callable returning the recorded
  :class:`vlab.recording.Sweep` list (set by the main window; recording questions are
  checked against it);
- :attr:`PracticalPanel.control_lock`: the :class:`vlab.practicals.ControlLock` of the
  open step (the main window may disable those controls); :attr:`lock_listener`, if set,
  is called with it whenever the step changes;
- :meth:`PracticalPanel.export_report_to` ``(path)`` (the button asks for a path).

All checking and saving is done by the Qt-free :class:`vlab.practicals.PracticalSession`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from vlab.practicals import (
    ControlLock,
    PracticalError,
    PracticalSession,
    apply_preset,
    available_practicals,
    export_report,
    load_practical,
    render_report,
)
from vlab.practicals.checks import describe_condition

log = logging.getLogger(__name__)

__all__ = ["PracticalPanel", "QuestionBox"]

_OK = "#1a7f37"
_BAD = "#b42318"
_CSS = "body{font-size:10.5pt} h1,h2,h3{margin:4px 0} p{margin:4px 0} code{background:#eef1f5}"


def _svg_to_img(svg: str) -> str:
    """An inline SVG figure as an ``<img>`` with a PNG data URI (QTextDocument has no SVG)."""
    import base64
    import re

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    m = re.search(r'width="(\d+)" height="(\d+)"', svg)
    w, h = (int(m.group(1)), int(m.group(2))) if m else (640, 200)
    img = QImage(2 * w, 2 * h, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter)
    painter.end()
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")  # type: ignore[call-overload]  # stubs: bytes; PySide6 takes a str
    data = base64.b64encode(buf.data().data()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{w}" height="{h}">'


def _html_to_pdf(html: str, path: str) -> None:
    """Print the report HTML to a PDF with Qt (no browser needed)."""
    import re

    from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

    html = re.sub(r"<svg.*?</svg>", lambda m: _svg_to_img(m.group(0)), html, flags=re.S)
    doc = QTextDocument()
    doc.setHtml(html)
    writer = QPdfWriter(path)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(150)
    doc.print_(writer)


def _markdown(text: str) -> str:
    import markdown

    return markdown.markdown(text or "", extensions=["extra"])


class QuestionBox(QFrame):
    """The input and feedback of one question."""

    def __init__(self, panel: PracticalPanel, question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.question = q = question
        self.setObjectName(f"question_{q.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        prompt = QLabel(_markdown(self.session.render(q.prompt)))
        prompt.setWordWrap(True)
        prompt.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(prompt)
        row = QHBoxLayout()
        self.field: QLineEdit | None = None
        self.group: QButtonGroup | None = None
        self.text_box: QPlainTextEdit | None = None
        if q.kind == "numeric":
            self.field = QLineEdit()
            self.field.setPlaceholderText("your answer")
            self.field.setAccessibleName(f"answer to {q.id}")
            self.field.returnPressed.connect(self.check)
            row.addWidget(self.field, 1)
            if q.unit not in ("", "1"):
                row.addWidget(QLabel(q.unit))
            self.button = QPushButton("Check")
        elif q.kind == "choice":
            box = QVBoxLayout()
            self.group = QButtonGroup(self)
            for key, label in q.choices:
                rb = QRadioButton(label)
                rb.setProperty("choice_key", key)
                self.group.addButton(rb)
                box.addWidget(rb)
            row.addLayout(box, 1)
            self.button = QPushButton("Check")
        elif q.kind == "text":
            self.text_box = QPlainTextEdit()
            self.text_box.setPlaceholderText(
                "Write your answer in your own words; your instructor marks it."
            )
            self.text_box.setAccessibleName(f"written answer to {q.id}")
            self.text_box.setTabChangesFocus(True)
            self.text_box.setMinimumHeight(56)  # three lines: fits a 1024x768 window
            self.text_box.setMaximumHeight(120)
            row.addWidget(self.text_box, 1)
            self.button = QPushButton("Save answer")
        else:
            reqs = QLabel(
                "One recorded sweep must show: "
                + "; ".join(describe_condition(r) for r in q.require)
            )
            reqs.setWordWrap(True)
            reqs.setStyleSheet("color:#566074")
            lay.addWidget(reqs)
            row.addStretch(1)
            self.button = QPushButton("Check my recordings")
        self.button.clicked.connect(self.check)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(row)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        self.feedback.setObjectName("feedback")
        lay.addWidget(self.feedback)
        self._restore()

    @property
    def session(self) -> PracticalSession:
        """The panel's open session (a question box exists only while one is open)."""
        s = self.panel.session
        assert s is not None, "a question box without an open practical"
        return s

    def _restore(self) -> None:
        s = self.session
        q = self.question
        prev = s.progress.answers.get(q.id)
        if prev is not None:
            if self.field is not None:
                self.field.setText(prev)
            elif self.text_box is not None:
                self.text_box.setPlainText(prev)
            elif self.group is not None:
                for b in self.group.buttons():
                    b.setChecked(b.property("choice_key") == prev)
        res = s.progress.results.get(q.id)
        if res:
            self.show_feedback(s.is_done(q.id), res.get("feedback", ""))
        self._update_enabled()

    def _update_enabled(self) -> None:
        """Graded mode: no input once the answer is right or the attempts are used up."""
        s = self.session
        q = self.question
        if q.kind in ("recording", "text") or not s.graded:
            return
        left = s.attempts_left(q.id)
        done = s.is_correct(q.id) or left == 0
        for w in [self.field, self.button, *(self.group.buttons() if self.group else [])]:
            if w is not None:
                w.setEnabled(not done)
        if not done:
            self.button.setText(f"Check ({left} left)")

    def answer_text(self) -> str:
        if self.field is not None:
            return self.field.text()
        if self.text_box is not None:
            return self.text_box.toPlainText()
        if self.group is not None:
            b = self.group.checkedButton()
            return "" if b is None else str(b.property("choice_key"))
        return ""

    def check(self) -> None:
        """Check the answer now (or the recordings) and show the feedback."""
        s = self.session
        try:
            if self.question.kind == "recording":
                provider = self.panel.recording_provider
                sweeps = list(provider()) if provider is not None else []
                fb = s.check_recording(self.question.id, sweeps)
            else:
                if self.group is not None and self.group.checkedButton() is None:
                    self.show_feedback(False, "Choose an answer first.")
                    return
                fb = s.submit(self.question.id, self.answer_text())
        except PracticalError as exc:
            self.show_feedback(False, str(exc))
            return
        self.show_feedback(fb.correct, fb.message)
        self._update_enabled()
        self.panel.refresh_marks()

    def show_feedback(self, correct: bool, message: str) -> None:
        color = _OK if correct else _BAD
        mark = "\u2714 " if correct else "\u2718 "
        self.feedback.setText(mark + message)
        self.feedback.setStyleSheet(f"color:{color}")
        self.setStyleSheet(
            f"QFrame#question_{self.question.id}{{border:1px solid {color if correct else '#c9d1dc'};"
            "border-radius:4px}"
        )


class PracticalPanel(QWidget):
    """A guided practical beside the rig (see module docstring).

    Parameters
    ----------
    rig
        The shared :class:`vlab.rig.Rig`; each step's preset is applied to it.
    parent
        Parent widget.
    data_root
        Folder for progress files (default: the user data folder).
    """

    def __init__(self, rig, parent: QWidget | None = None, data_root=None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.data_root = data_root
        self.session: PracticalSession | None = None
        self.klass = None  # the students' class pack, if one is open
        self.recording_provider: Callable[[], list] | None = None
        self.lock_listener: Callable[[ControlLock], None] | None = None
        self.control_lock = ControlLock()
        self.question_boxes: dict[str, QuestionBox] = {}
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(4)  # eleven rows: the panel must fit a 768 px screen's dock
        chooser = QHBoxLayout()
        self.practical_combo = QComboBox()
        self.practical_combo.setAccessibleName("practical")
        self._listed = False  # the practical files are read when the panel is first shown
        self.student_field = QLineEdit()
        self.student_field.setPlaceholderText("student ID")
        self.student_field.setAccessibleName("student ID")
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._open_clicked)
        self.class_button = QPushButton("Class\u2026")
        self.class_button.setToolTip(
            "Open the class file your instructor gave you (*.class.toml): it sets up your own "
            "unknowns and the class's rules (graded or practice)"
        )
        self.class_button.clicked.connect(self._class_clicked)
        self.student_field.setMinimumWidth(110)
        self.practical_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.practical_combo.setMinimumContentsLength(14)
        # two rows, so that the panel fits the narrow dock of a 1024 px screen
        outer.addWidget(self.practical_combo)
        chooser.addWidget(self.student_field, 1)
        chooser.addWidget(self.class_button)
        chooser.addWidget(self.open_button)
        outer.addLayout(chooser)
        #: practical files that could not be loaded, shown (not only logged)
        self.problems_label = QLabel("")
        self.problems_label.setObjectName("problems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color:#b42318")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.problems_label)
        self.problems_label.setVisible(False)

        self.title_label = QLabel("Choose a practical and type your student ID.")
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet("font-weight:600;font-size:12pt")
        outer.addWidget(self.title_label)
        self.score_label = QLabel("")
        self.score_label.setWordWrap(True)
        outer.addWidget(self.score_label)
        self.mode_label = QLabel("")
        self.mode_label.setObjectName("mode")
        self.mode_label.setWordWrap(True)
        outer.addWidget(self.mode_label)

        self.step_list = QListWidget()
        self.step_list.setAccessibleName("steps")
        self.step_list.currentRowChanged.connect(self._row_changed)
        outer.addWidget(self.step_list)
        split = QSplitter(Qt.Orientation.Vertical)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.document().setDefaultStyleSheet(_CSS)
        split.addWidget(self.text)
        self.questions_area = QScrollArea()
        self.questions_area.setWidgetResizable(True)
        split.addWidget(self.questions_area)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)  # the questions get the larger share (a small screen)
        self.text.setMinimumHeight(90)
        split.setChildrenCollapsible(False)
        self.splitter = split
        outer.addWidget(split, 1)

        self.lock_label = QLabel("")
        self.lock_label.setWordWrap(True)
        self.lock_label.setStyleSheet("color:#566074")
        outer.addWidget(self.lock_label)
        self.save_label = QLabel("")  # "progress not saved" (read-only or full disk)
        self.save_label.setWordWrap(True)
        self.save_label.setStyleSheet(f"color:{_BAD}")
        self.save_label.setVisible(False)
        outer.addWidget(self.save_label)
        buttons = QHBoxLayout()
        self.prev_button = QPushButton("\u2190 Previous")
        self.next_button = QPushButton("Next \u2192")
        self.preset_button = QPushButton("Reset rig to this step")
        self.preset_button.setToolTip(
            "Apply this step's rig preset again (preparation, solutions, drugs, mode, protocol)"
        )
        self.report_button = QPushButton("Export report\u2026")
        self.prev_button.clicked.connect(lambda: self.go_to(self.step_list.currentRow() - 1))
        self.next_button.clicked.connect(lambda: self.go_to(self.step_list.currentRow() + 1))
        self.preset_button.clicked.connect(self.apply_step_preset)
        self.report_button.clicked.connect(self._export_clicked)
        for b in (self.prev_button, self.next_button, self.preset_button, self.report_button):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        self._enable(False)

    def list_practicals(self) -> None:
        """Fill the chooser with every practical, in their order, and show the files that
        cannot be loaded. Done once: by the window when the panel's tab is first selected,
        or when a practical is opened. Reading every practical file is a noticeable part
        of the start-up, and the panel starts behind the Stimulator tab
        (docs/performance.md, "Start-up")."""
        if self._listed:
            return
        self._listed = True
        listed, problems = [], []
        for name in available_practicals():
            try:
                practical = load_practical(name)
            except PracticalError as exc:
                problems.append(f"{name}: {exc}")
                continue
            listed.append((practical.order, name, practical.title))
        for _order, name, title in sorted(listed):
            self.practical_combo.addItem(title, name)
        self.problems_label.setVisible(bool(problems))
        if problems:
            self.problems_label.setText(
                f"{len(problems)} practical file(s) could not be loaded:\n" + "\n".join(problems)
            )

    def _enable(self, on: bool) -> None:
        for w in (
            self.prev_button,
            self.next_button,
            self.preset_button,
            self.report_button,
            self.step_list,
        ):
            w.setEnabled(on)

    # ------------------------------------------------------------------ public API
    def set_class(self, klass) -> None:
        """Use a class pack (:class:`vlab.practicals.classes.ClassPack`) or None."""
        self.klass = klass
        self.class_button.setText(f"Class {klass.class_id}" if klass else "Class\u2026")

    def open_practical(self, name: str, student_id: str, klass=None) -> None:
        """Open practical ``name`` for ``student_id`` at the step saved last time, in
        ``klass`` (default: the class set with :meth:`set_class`, if any).

        Raises :class:`vlab.practicals.PracticalError` for an unknown practical, an
        empty student ID or one that is not on the class roster.
        """
        if klass is not None:
            self.set_class(klass)
        practical = load_practical(name)
        self.session = PracticalSession(
            practical, student_id, root=self.data_root, klass=self.klass
        )
        # one short line on a narrow dock; the attempts left are on each Check button
        where = f" ({self.session.class_id})" if self.session.class_id else ""
        self.mode_label.setText(
            f"Graded mode{where}: limited attempts, no hints"
            if self.session.graded
            else self.session.mode_text()
        )
        self.mode_label.setToolTip(self.session.mode_text())
        self.mode_label.setStyleSheet(
            "color:#8a4b00;font-weight:600" if self.session.graded else "color:#566074"
        )
        self.list_practicals()
        i = self.practical_combo.findData(name)
        if i >= 0:
            self.practical_combo.setCurrentIndex(i)
        self.student_field.setText(student_id)
        self.title_label.setText(practical.title)
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for k, step in enumerate(practical.steps, 1):
            self.step_list.addItem(QListWidgetItem(f"{k}. {step.title}"))
        self.step_list.blockSignals(False)
        rows = min(self.step_list.count(), 8)
        row_h = max(self.step_list.sizeHintForRow(0), 16)
        self.step_list.setFixedHeight(rows * row_h + 2 * self.step_list.frameWidth() + 4)
        self._enable(True)
        self.go_to(self.session.step_index)
        if self.session.notice:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Practical progress",
                self.session.notice,
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # not modal-blocking

    def go_to(self, index: int) -> None:
        """Show step ``index`` and configure the rig as it says."""
        if self.session is None or not 0 <= index < len(self.session.practical.steps):
            return
        self.session.go_to(index)
        self.step_list.blockSignals(True)
        self.step_list.setCurrentRow(index)
        self.step_list.blockSignals(False)
        self._show_step(index)
        self.apply_step_preset()
        self.show_save_state()

    def apply_step_preset(self) -> None:
        """Apply the current step's rig preset to the rig."""
        if self.session is None:
            return
        i = self.session.step_index
        try:
            with self.rig.lock:  # the set-up and its tag reach the simulation together
                apply_preset(self.rig, self.session.preset(i))
                self.rig.set_practical_tag(self.session.recording_tag(i))
        except (PracticalError, ValueError) as exc:
            QMessageBox.warning(
                self, "Practical", f"The rig could not be set up for this step: {exc}"
            )
            return
        self.control_lock = self.session.lock(i)
        items = self.control_lock.describe()
        self.lock_label.setText(
            "Locked in this step: " + ", ".join(items)
            if items
            else "No controls are locked in this step."
        )
        if self.lock_listener is not None:
            self.lock_listener(self.control_lock)

    def export_report_to(self, path) -> None:
        """Write the report of the open practical to ``path``: HTML, or PDF if the name
        ends in ``.pdf`` (printed by Qt, figures rasterised)."""
        if self.session is None:
            raise PracticalError("no practical is open")
        sweeps = list(self.recording_provider()) if self.recording_provider is not None else None
        s = self.session
        if str(path).lower().endswith(".pdf"):
            html = render_report(s.progress, s.practical, sweeps=sweeps, session=s)
            _html_to_pdf(html, str(path))
            return
        export_report(s.progress, path, s.practical, sweeps=sweeps, session=s)

    # ------------------------------------------------------------------ internals
    def _open_clicked(self) -> None:
        name = self.practical_combo.currentData()
        try:
            self.open_practical(name, self.student_field.text())
        except PracticalError as exc:
            QMessageBox.warning(self, "Practical", str(exc))

    def _class_clicked(self) -> None:
        from vlab.practicals.classes import InstructorClass, load_class

        path, _ = QFileDialog.getOpenFileName(
            self, "Open class file", "", "vlab class (*.class.toml);;All files (*)"
        )
        if not path:
            return
        try:
            klass = load_class(path)
        except PracticalError as exc:
            QMessageBox.warning(self, "Practical", str(exc))
            return
        if isinstance(klass, InstructorClass):
            QMessageBox.warning(
                self,
                "Practical",
                "This is the instructor's class file with the secret: do not hand it out. "
                "Students open the .class.toml pack.",
            )
            klass = klass.pack()
        self.set_class(klass)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.go_to(row)

    def _show_step(self, index: int) -> None:
        s = self.session
        if s is None:
            return
        step = s.practical.steps[index]
        self.text.setHtml(f"<h2>{step.title}</h2>" + _markdown(s.render(step.text)))
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(2, 2, 2, 2)
        self.question_boxes = {}
        if not step.questions:
            lay.addWidget(QLabel("No questions in this step: read it, then go on."))
        for q in step.questions:
            box = QuestionBox(self, q, holder)
            self.question_boxes[q.id] = box
            lay.addWidget(box)
        lay.addStretch(1)
        self.questions_area.setWidget(holder)
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(s.practical.steps) - 1)
        self.refresh_marks()

    def show_save_state(self) -> None:
        """Say "progress not saved" (and why) while saving fails; hide it once it works."""
        problem = self.session.save_problem if self.session is not None else None
        self.save_label.setText(
            f"\u26a0 Your progress is not being saved ({problem}). You can go on; "
            "answers count once saving works again."
            if problem
            else ""
        )
        self.save_label.setVisible(bool(problem))

    def refresh_marks(self) -> None:
        """Update the check marks of the step list and the score."""
        s = self.session
        if s is None:
            return
        self.show_save_state()
        for k, step in enumerate(s.practical.steps):
            item = self.step_list.item(k)
            done = s.step_complete(k) and bool(step.questions)
            mark = "\u2714" if done else "\u25cb"
            item.setText(f"{mark} {k + 1}. {step.title}")
            item.setForeground(Qt.GlobalColor.darkGreen if done else Qt.GlobalColor.black)
            item.setData(Qt.ItemDataRole.UserRole, done)
        got, total = s.score
        done_text = " \u2014 complete!" if s.passed else ""
        written = ""
        if s.to_mark:
            n = sum(s.is_answered(qid) for qid in s.to_mark)
            written = f" \u00b7 {n} of {len(s.to_mark)} written answer(s)"
        self.score_label.setText(
            f"Student {s.student_id} \u00b7 {got} of {total} correct{written}{done_text}"
        )
        self.score_label.setToolTip(
            "Typed and multiple-choice answers are checked at once; written answers are "
            "saved for your instructor to mark"
        )

    def _export_clicked(self) -> None:
        if self.session is None:
            return
        default = f"{self.session.practical.name}-{self.session.student_id}.html"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export report", default, "HTML report (*.html)"
        )
        if not path:
            return
        try:
            self.export_report_to(path)
        except PracticalError as exc:
            QMessageBox.warning(self, "Practical", str(exc))
