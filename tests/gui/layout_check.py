"""Find what a student would see as broken in a laid-out window: clipped or squeezed
widgets, text that does not fit, widgets outside their parent, overlapping siblings,
panels that need sideways scrolling, tool-bar items folded away, tabs that do not fit.

Used by the screenshot tests (tests/gui/test_layout.py); each check returns readable
lines, so a failure says which widget and by how many pixels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QSizeGrip,
    QStyle,
    QTabBar,
    QTableView,
    QToolBar,
    QToolButton,
    QWidget,
)

__all__ = ["layout_problems", "text_width"]

SLACK = 1  # px of rounding allowed
_DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


def _name(w: QWidget) -> str:
    text = ""
    for attr in ("text", "title", "windowTitle"):
        fn = getattr(w, attr, None)
        if callable(fn):
            try:
                text = fn()
            except TypeError:
                continue
            if text:
                break
    label = w.objectName() or type(w).__name__
    return f"{label}{f' {text[:30]!r}' if text else ''}"


def _shown(w: QWidget, top: QWidget) -> bool:
    """Visible and inside a visible area of the window (not in a hidden tab or dock)."""
    if isinstance(w, QSizeGrip):
        return False  # the status bar's resize corner: placed by Qt, drawn by the style
    return w.isVisible() and w.isVisibleTo(top) and not w.visibleRegion().isEmpty()


def text_width(w: QWidget, text: str) -> int:
    """Width of ``text`` (plain or rich) in the widget's font, px."""
    if not text:
        return 0
    if "<" in text and ">" in text:
        doc = QTextDocument()
        doc.setDefaultFont(w.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    return max(w.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))


def _label_problem(w: QLabel) -> str | None:
    if w.wordWrap() or not w.text() or w.pixmap() is not None and not w.pixmap().isNull():
        return None
    need = text_width(w, w.text()) + 2 * w.margin() + 2 * w.frameWidth() + w.indent() * 0
    have = w.contentsRect().width() + 2 * w.frameWidth()
    if need > have + SLACK:
        return f"label text clipped by {need - have} px: {_name(w)}"
    if w.fontMetrics().height() > w.height() + SLACK:
        return f"label too short for its font ({w.height()} < {w.fontMetrics().height()} px): {_name(w)}"
    return None


def _button_problem(w: QAbstractButton) -> str | None:
    if isinstance(w, QToolButton) or not w.text():
        return None
    need = text_width(w, w.text().replace("&", ""))
    if need > w.width() + SLACK:
        return f"button text wider than the button ({need} > {w.width()} px): {_name(w)}"
    return None


def _squeezed(w: QWidget) -> str | None:
    if not isinstance(w, (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QLabel)):
        return None
    if isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox)):
        return None  # the editor inside a spin box or combo box: its parent is checked
    if isinstance(w, QLabel) and w.wordWrap():
        hfw = w.heightForWidth(w.width())
        if hfw > w.height() + SLACK:
            return f"wrapped label cut at the bottom ({w.height()} < {hfw} px): {_name(w)}"
        return None
    m = w.minimumSizeHint()
    if w.width() + SLACK < m.width() or w.height() + SLACK < m.height():
        return (
            f"squeezed below its minimum size ({w.width()}x{w.height()} < "
            f"{m.width()}x{m.height()}): {_name(w)}"
        )
    return None


def _outside_parent(w: QWidget) -> str | None:
    parent = w.parentWidget()
    if parent is None or w.isWindow():
        return None
    if (
        isinstance(parent.parentWidget(), QAbstractScrollArea)
        and parent is getattr(parent.parentWidget(), "viewport", lambda: None)()
    ):
        return None  # scrolled content may be larger than its viewport
    inner = parent.rect()
    g = w.geometry()
    if not inner.adjusted(-SLACK, -SLACK, SLACK, SLACK).contains(g):
        return f"sticks out of its parent {_name(parent)} ({g} not in {inner}): {_name(w)}"
    return None


def _overlaps(parent: QWidget, top: QWidget) -> list[str]:
    kids = [
        c
        for c in parent.findChildren(QWidget, options=_DIRECT)
        if _shown(c, top) and not c.isWindow() and parent.layout() is not None
    ]
    kids = [c for c in kids if parent.layout().indexOf(c) >= 0 or _in_sublayout(parent, c)]
    out = []
    for i, a in enumerate(kids):
        for b in kids[i + 1 :]:
            inter = a.geometry().intersected(b.geometry())
            if inter.width() > SLACK and inter.height() > SLACK:
                out.append(f"{_name(a)} overlaps {_name(b)} by {inter.width()}x{inter.height()} px")
    return out


def _in_sublayout(parent: QWidget, child: QWidget) -> bool:
    lay = parent.layout()
    stack = [lay]
    while stack:
        item = stack.pop()
        # isinstance, not "is not None": a spacer's wrapper left from a deleted window can
        # be handed back by PySide for a new layout at the same address (seen in the suite)
        if not isinstance(item, QLayout):
            continue
        for i in range(item.count()):
            it = item.itemAt(i)
            if it.widget() is child:
                return True
            sub = it.layout()
            if isinstance(sub, QLayout):
                stack.append(sub)
    return False


def _tabbar_problems(bar: QTabBar) -> list[str]:
    out = []
    for i in range(bar.count()):
        r = bar.tabRect(i)
        need = text_width(bar, bar.tabText(i).replace("&", ""))
        if need > r.width() + SLACK:
            out.append(f"tab {bar.tabText(i)!r} clipped ({r.width()} < {need} px)")
        if not bar.rect().contains(r):
            out.append(f"tab {bar.tabText(i)!r} scrolled out of its tab bar")
    return out


def _header_problems(h: QHeaderView) -> list[str]:
    out = []
    model = h.model()
    if model is None:
        return out
    fm = h.fontMetrics()
    for i in range(h.count()):
        if h.isSectionHidden(i):
            continue
        text = str(model.headerData(i, h.orientation()) or "")
        if h.orientation().name == "Horizontal":
            need = fm.horizontalAdvance(text) + 8
            if need > h.sectionSize(i) + SLACK:
                out.append(f"header {text!r} clipped ({h.sectionSize(i)} < {need} px)")
            if fm.height() > h.height() + SLACK:
                out.append(f"header row too short for its font ({h.height()} px)")
    return out


def _icon_width(t: QTableView) -> int:
    """Width (px) of a cell's icon in ``t``: its icon size, else the style's small icon."""
    size = t.iconSize()
    if size.isValid() and size.width() > 0:
        return size.width()
    return t.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, t)


def _table_problems(t: QTableView) -> list[str]:
    out = []
    model = t.model()
    fm = t.fontMetrics()
    for r in range(model.rowCount()):
        if t.rowHeight(r) < fm.height() + 2:
            out.append(f"table row {r} shorter than its font ({t.rowHeight(r)} px): {_name(t)}")
        for c in range(model.columnCount()):
            index = model.index(r, c)
            text = str(index.data() or "")
            need = fm.horizontalAdvance(text) + 6
            if index.data(Qt.ItemDataRole.DecorationRole) is not None:
                need += _icon_width(t) + 6  # the swatch and its margins sit before the text
            if text and need > t.columnWidth(c) + SLACK:
                out.append(
                    f"table cell {text!r} clipped ({t.columnWidth(c)} < {need} px): {_name(t)}"
                )
    return out


def layout_problems(
    win: QWidget,
    min_central_share: float = 0.5,
    check_screen: bool = True,
    vertical_scroll: bool = False,
) -> list[str]:
    """Everything that looks broken in ``win`` as laid out now (an empty list if nothing)."""
    problems: list[str] = []
    screen = win.screen().availableGeometry() if win.screen() and check_screen else None
    if screen is not None and win.isWindow() and win.isVisible():
        frame = win.frameGeometry()
        if not screen.adjusted(-SLACK, -SLACK, SLACK, SLACK).contains(frame):
            problems.append(f"window {frame} is not within the screen's free area {screen}")
    if isinstance(win, QMainWindow) and win.centralWidget() is not None:
        cw = win.centralWidget().width()
        if cw < min_central_share * win.width() - SLACK:
            problems.append(f"central widget only {cw} px of {win.width()} px")
    widgets = [win, *win.findChildren(QWidget)]
    for w in widgets:
        if not _shown(w, win) and w is not win:
            continue
        for check in (_squeezed, _outside_parent):
            p = check(w)
            if p:
                problems.append(p)
        if isinstance(w, QLabel):
            p = _label_problem(w)
            if p:
                problems.append(p)
        elif isinstance(w, QAbstractButton):
            p = _button_problem(w)
            if p:
                problems.append(p)
        elif isinstance(w, QGroupBox) and w.title():
            need = text_width(w, w.title()) + 10
            if need > w.width():
                problems.append(f"group title clipped: {_name(w)}")
        elif isinstance(w, QTabBar):
            problems += _tabbar_problems(w)
        elif isinstance(w, QHeaderView):
            problems += _header_problems(w)
        elif isinstance(w, QToolBar):
            ext = w.findChild(QToolButton, "qt_toolbar_ext_button")
            if ext is not None and ext.isVisible():
                problems.append(f"tool bar {_name(w)} folds items behind its » button")
        if isinstance(w, QTableView) and not isinstance(w, QHeaderView):
            problems += _table_problems(w)
        if isinstance(w, QScrollArea) and isinstance(w.parentWidget(), QDockWidget):
            title = w.parentWidget().windowTitle()
            if w.horizontalScrollBar().maximum() > 0:
                problems.append(
                    f"panel {title!r} needs sideways scrolling "
                    f"({w.horizontalScrollBar().maximum()} px)"
                )
            if not vertical_scroll and w.verticalScrollBar().maximum() > 0:
                problems.append(
                    f"panel {title!r} needs scrolling ({w.verticalScrollBar().maximum()} px)"
                )
        if w.layout() is not None:
            problems += _overlaps(w, win)
    return problems
