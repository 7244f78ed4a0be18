"""Test configuration shared by every test folder.

Qt must run headless: the platform is chosen before anything imports PySide6.
"""

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
