"""Test configuration shared by every test folder.

Qt must run headless: the platform is chosen before anything imports PySide6.
A log record at ERROR or above fails the test that caused it (mark the test
``logs_errors`` when it provokes one on purpose and checks it with ``caplog``).
"""

import logging
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONHASHSEED", "0")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Tests never read or write the real user's settings, progress or caches."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("VLAB_CONFIG_DIR", str(base / "config"))
    if "VLAB_DATA_DIR" not in os.environ:
        monkeypatch.setenv("VLAB_DATA_DIR", str(base / "data"))


@pytest.fixture(autouse=True)
def _collect_cycles_between_tests():
    """Once a GUI test has moved garbage collection to the GUI thread (vlab.gui.gc_guard),
    tests without an event loop would never collect cycles: collect what is due after each."""
    yield
    guard = sys.modules.get("vlab.gui.gc_guard")
    if guard is not None and guard.installed():
        guard.collect_due()


@pytest.fixture(autouse=True)
def _logged_errors_fail(request, caplog):
    """An ERROR (or CRITICAL) log record fails the test, unless it is marked ``logs_errors``."""
    yield
    if request.node.get_closest_marker("logs_errors"):
        return
    bad = [
        r
        for when in ("setup", "call")
        for r in caplog.get_records(when)
        if r.levelno >= logging.ERROR
    ]
    if bad:
        pytest.fail(
            "error logged during the test:\n"
            + "\n".join(f"{r.name}: {r.getMessage()}" for r in bad),
            pytrace=False,
        )
