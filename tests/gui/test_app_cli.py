"""``vlab.gui.app.main``: smoke test and screenshots."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from vlab.gui.app import main

pytestmark = pytest.mark.gui


def test_smoke_test_returns_0():
    assert main(["--smoke-test"]) == 0


def _distinct_colours(path, step: int = 4) -> int:
    img = QImage(str(path))
    assert not img.isNull()
    assert (img.width(), img.height()) == (1280, 800)
    return len(
        {img.pixel(x, y) for x in range(0, img.width(), step) for y in range(0, img.height(), step)}
    )


def test_screenshot_single_pulse(tmp_path):
    out = tmp_path / "x.png"
    assert main(["--screenshot", str(out), "--protocol", "single_pulse"]) == 0
    assert out.stat().st_size > 10_000
    assert _distinct_colours(out) > 50


def test_screenshot_gap_free_with_drug(tmp_path):
    out = tmp_path / "gf.png"
    assert main(["--screenshot", str(out), "--drug", "TTX=1uM"]) == 0
    assert _distinct_colours(out) > 50


def test_bad_arguments_exit_1(tmp_path, capsys):
    assert main(["--screenshot", str(tmp_path / "y.png"), "--protocol", "no_such_protocol"]) == 1
    assert "no_such_protocol" in capsys.readouterr().err


def test_no_display_gives_a_clear_message_instead_of_a_qt_abort(monkeypatch, capsys):
    import sys

    from vlab.gui import app

    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert app.main([]) == 1
    assert "no graphical display" in capsys.readouterr().err


def test_interactive_start_paints_a_splash_before_the_heavy_imports(qapp):
    from vlab.gui.app import _splash

    splash = _splash(qapp)
    assert splash is not None and splash.isVisible()
    assert "Starting vlab" in splash.accessibleName()
    splash.close()
