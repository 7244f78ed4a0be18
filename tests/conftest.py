"""Test configuration shared by every test folder.

Qt must run headless: the platform is chosen before anything imports PySide6.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONHASHSEED", "0")
