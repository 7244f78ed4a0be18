"""Test configuration shared by every test folder.

Qt must run headless: the platform is chosen before anything imports PySide6.
"""

import os

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
