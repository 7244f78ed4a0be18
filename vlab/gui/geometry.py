"""Window placement for school laptops: open within the available screen, remember it.

A window opens where the user left it (``Settings["window_geometry"][key]``), moved and
shrunk so that it lies within the screen's available area (a laptop after a projector, a
smaller screen than last time). Without a remembered place it opens at its default size,
centred, or maximised when that size does not fit (1366x768 and 1024x768 screens).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "PanelScrollArea",
    "panel_scroll_area",
    "FRAME_ALLOWANCE",
    "dock_content_size",
    "place_window",
    "remember_window",
    "show_placed",
]

#: room left for the window manager's title bar and borders, px
FRAME_ALLOWANCE = QSize(16, 40)


def _available(win: QWidget) -> QRect:
    screen = win.screen() or QApplication.primaryScreen()
    return screen.availableGeometry()


def place_window(
    win: QWidget, saved: dict | None, default: QSize, available: QRect | None = None
) -> bool:
    """Give ``win`` a geometry inside ``available`` (the screen's free area by default).

    ``saved`` is what :func:`remember_window` stored (or None). Returns True when the
    window should be shown maximised (remembered so, or the default size does not fit).
    """
    area = available if available is not None else _available(win)
    room = QSize(area.width() - FRAME_ALLOWANCE.width(), area.height() - FRAME_ALLOWANCE.height())
    if isinstance(saved, dict):
        try:
            x, y, w, h = (int(saved[k]) for k in ("x", "y", "w", "h"))
            maximised = bool(saved.get("maximised", False))
        except (KeyError, TypeError, ValueError):
            saved = None
    if not isinstance(saved, dict):
        if default.width() > room.width() or default.height() > room.height():
            win.resize(min(default.width(), room.width()), min(default.height(), room.height()))
            win.move(area.topLeft())
            return True
        w, h = default.width(), default.height()
        x = area.x() + (area.width() - w) // 2
        y = area.y() + (area.height() - h - FRAME_ALLOWANCE.height()) // 2
        maximised = False
    w = max(min(w, room.width()), 200)
    h = max(min(h, room.height()), 150)
    x = min(max(x, area.x()), area.x() + area.width() - w - FRAME_ALLOWANCE.width())
    y = min(max(y, area.y()), area.y() + area.height() - h - FRAME_ALLOWANCE.height())
    win.resize(w, h)
    win.move(x, y)
    return maximised


def remember_window(win: QWidget) -> dict:
    """The window's place to store in the settings (the normal geometry if maximised)."""
    g = win.normalGeometry() if win.isMaximized() else win.geometry()
    if not g.isValid():
        g = win.geometry()
    return {
        "x": g.x(),
        "y": g.y(),
        "w": g.width(),
        "h": g.height(),
        "maximised": bool(win.isMaximized()),
    }


def show_placed(win: QWidget, settings, key: str, default: QSize) -> None:
    """Show ``win`` where it was last closed (``settings["window_geometry"][key]``), within
    the screen, or at ``default`` size (maximised if that does not fit); remember its place
    in ``settings`` when it closes."""
    saved = (settings.get("window_geometry") or {}).get(key)
    if place_window(win, saved, default):
        win.showMaximized()
    else:
        win.show()
    win.installEventFilter(_RememberOnClose(win, settings, key))


class _RememberOnClose(QObject):
    def __init__(self, win: QWidget, settings, key: str) -> None:
        super().__init__(win)
        self._win = win
        self._settings = settings
        self._key = key

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self._win and event.type() == QEvent.Type.Close:
            places = dict(self._settings.get("window_geometry") or {})
            places[self._key] = remember_window(self._win)
            self._settings.set("window_geometry", places)
            self._settings.save()
        return False


def dock_content_size(dock: QDockWidget, hint: bool = False) -> QSize:
    """Size the dock needs to show its panel without scrolling: the panel's minimum size
    (or preferred size with ``hint``) plus the dock's title, margins and a scroll bar."""
    inner = dock.widget()
    content = inner.panel if isinstance(inner, PanelScrollArea) else inner
    if content is None:
        size = QSize(0, 0)
    else:
        size = content.sizeHint() if hint else content.minimumSizeHint()
    style = dock.style()
    bar = (
        style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        if isinstance(inner, QScrollArea)
        else 0
    )
    title = (
        dock.fontMetrics().height()
        + 2 * style.pixelMetric(QStyle.PixelMetric.PM_DockWidgetTitleMargin)
        + 4
    )
    margin = 2 * style.pixelMetric(QStyle.PixelMetric.PM_DockWidgetFrameWidth) + 4
    return QSize(size.width() + bar + margin, size.height() + title + margin)


class _PlainHeightLayout(QVBoxLayout):
    """A layout that hides its children's height-for-width from the scroll area.

    QScrollArea makes a resizable widget with height-for-width (any word-wrapped label)
    at least as tall as its *preferred* height, so panels scroll long before they run out
    of room. Behind this layout the panel's minimum size counts instead."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return False

    def setGeometry(self, rect) -> None:  # noqa: N802 - Qt API
        """Keep the holder at least as tall as the panel's minimum at this width (wrapped
        text takes more lines when narrow), so that the panel scrolls, never overlaps."""
        super().setGeometry(rect)
        item = self.itemAt(0)
        widget = item.widget() if item is not None else None
        inner = widget.layout() if widget is not None else None
        holder = self.parentWidget()
        if inner is None or holder is None or not inner.hasHeightForWidth():
            return
        need = inner.minimumHeightForWidth(rect.width())
        if need > 0 and need != holder.minimumHeight():
            holder.setMinimumHeight(need)


class PanelScrollArea(QScrollArea):
    """A scroll area holding one panel; ``panel`` is that panel (:func:`dock_content_size`
    sizes a dock by it)."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.panel = panel


def panel_scroll_area(panel: QWidget) -> PanelScrollArea:
    """A frameless, resizable scroll area holding ``panel`` (scrolls only when it must)."""
    holder = QWidget()
    lay = _PlainHeightLayout(holder)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(panel)
    sa = PanelScrollArea(panel)
    sa.setWidgetResizable(True)
    sa.setFrameShape(QFrame.Shape.NoFrame)
    sa.setWidget(holder)
    return sa
