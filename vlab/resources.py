"""The one place that finds vlab's data files (preparations, protocols, drugs, help, icons).

Order of search:

1. ``VLAB_RESOURCES`` environment variable, if set (tests, instructors' overrides).
2. A PyInstaller bundle: ``sys._MEIPASS/resources``.
3. An installed wheel: ``vlab/_resources`` (hatchling force-includes ``resources/`` there).
4. The source tree: ``<checkout>/resources``.

Nothing else in vlab builds paths to resources.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

__all__ = ["resource_root", "resource_path", "list_resources"]


@cache
def resource_root() -> Path:
    """The folder holding vlab's bundled resources."""
    env = os.environ.get("VLAB_RESOURCES")
    candidates = []
    if env:
        candidates.append(Path(env))
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "resources")
    here = Path(__file__).resolve().parent
    candidates += [here / "_resources", here.parent / "resources"]
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(
        "vlab cannot find its resources folder; looked in: " + ", ".join(str(c) for c in candidates)
    )


def resource_path(*parts: str) -> Path:
    """Path of a resource, e.g. ``resource_path('preparations', 'squid.toml')``."""
    return resource_root().joinpath(*parts)


def list_resources(folder: str, suffix: str) -> list[Path]:
    """All files in ``resources/<folder>`` ending with ``suffix``, sorted by name."""
    d = resource_path(folder)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(suffix))
