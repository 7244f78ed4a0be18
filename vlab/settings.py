"""User settings and recent files, kept in the platform's configuration folder.

Qt-free. The file is JSON (``settings.json``) in ``platformdirs.user_config_dir("vlab")``
(``~/.config/vlab`` on Linux, ``%APPDATA%\\vlab`` on Windows, ``~/Library/Application
Support/vlab`` on macOS); ``VLAB_CONFIG_DIR`` overrides the folder (tests, lab images).

Writes are atomic (temporary file, fsync, rename). A missing, unreadable or corrupt file
never stops vlab: the defaults are used and the problem is logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from vlab.atomic import write_text_atomic
from vlab.safe_read import BadFileError, loads_json, read_bytes
from vlab.schema import Field, keep_valid

log = logging.getLogger(__name__)

__all__ = ["Settings", "config_dir"]

MAX_RECENT = 8
MAX_SETTINGS_BYTES = 2**20
DEFAULTS = {
    "version": 1,
    "ui_scale": 1.0,
    "speed": 1.0,
    "recent_experiments": [],
    "recent_protocols": [],
    "show_welcome": True,  # the first-start welcome (vlab.gui.welcome)
    "window_geometry": {},  # window key -> {"x", "y", "w", "h", "maximised"} (vlab.gui.geometry)
}
#: what each key of the file may hold (a bad value is dropped: the default stays)
SETTINGS_FIELDS = {
    "version": Field("integer", default=DEFAULTS["version"]),
    "ui_scale": Field("number", default=DEFAULTS["ui_scale"]),
    "speed": Field("number", default=DEFAULTS["speed"]),
    "recent_experiments": Field("list", default=DEFAULTS["recent_experiments"]),
    "recent_protocols": Field("list", default=DEFAULTS["recent_protocols"]),
    "show_welcome": Field("flag", default=DEFAULTS["show_welcome"]),
    "window_geometry": Field("table", default=DEFAULTS["window_geometry"]),
}


def config_dir() -> Path:
    """The folder vlab keeps its settings in."""
    env = os.environ.get("VLAB_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("vlab", appauthor=False))


def _usable(path: str) -> bool:
    """A recent-file entry that can be asked about (no NUL, not absurdly long)."""
    if not 0 < len(path) <= 4096 or "\0" in path:
        return False
    try:
        os.stat(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return True


class Settings:
    """A small dict-like store with recent-file lists. Call :meth:`save` to persist."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / "settings.json"
        self.data: dict = json.loads(json.dumps(DEFAULTS))
        self.load()

    def load(self) -> None:
        if not os.path.lexists(self.path):
            return
        try:
            raw = loads_json(read_bytes(self.path, MAX_SETTINGS_BYTES), self.path.name)
        except BadFileError as exc:
            log.warning("ignoring unreadable settings file %s (%s)", self.path, exc)
            return
        if not isinstance(raw, dict):
            log.warning("ignoring settings file %s: not a JSON object", self.path)
            return
        values, _dropped = keep_valid(raw, SETTINGS_FIELDS)
        for key, value in values.items():
            if key in raw and key not in _dropped:
                self.data[key] = value
        for key in ("recent_experiments", "recent_protocols"):
            self.data[key] = [v for v in self.data[key] if isinstance(v, str) and _usable(v)]
        for key in ("ui_scale", "speed"):
            self.data[key] = float(self.data[key])

    def save(self) -> bool:
        """Write the settings atomically; False (and a log line) if the folder is not writable."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(self.data, indent=1), private=True)
        except OSError as exc:
            log.warning("could not save settings to %s (%s)", self.path, exc)
            return False
        return True

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def set(self, key: str, value) -> None:
        self.data[key] = value

    def recent(self, kind: str) -> list[str]:
        """Recent files of ``kind`` ("experiments" or "protocols") that still exist."""
        return [p for p in self.data.get(f"recent_{kind}", []) if _usable(p) and Path(p).is_file()]

    def add_recent(self, kind: str, path: str | os.PathLike) -> None:
        key = f"recent_{kind}"
        p = str(Path(path).resolve())
        items = [x for x in self.data.get(key, []) if x != p]
        self.data[key] = [p, *items][:MAX_RECENT]
