"""Built-in protocols (``resources/protocols/*.toml``) and loading by name or path."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from vlab.protocols.errors import ProtocolError
from vlab.protocols.model import Protocol
from vlab.protocols.parse import load_protocol_file
from vlab.resources import list_resources

__all__ = ["builtin_protocols", "load_protocol"]


def builtin_protocols() -> dict[str, Path]:
    """Built-in protocol files: name (file stem, e.g. ``"vc_step_family"``) -> path."""
    return {p.stem: p for p in list_resources("protocols", ".toml")}


def _exists(path: Path) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):  # name too long, NUL byte
        return False


def _load_path(path: Path) -> Protocol:
    if path.suffix.lower() == ".abf":
        from vlab.protocols.abf_import import protocol_from_abf

        return protocol_from_abf(path)
    return load_protocol_file(path)


def load_protocol(name_or_path: str | Path) -> Protocol:
    """Load a built-in protocol by name, or any protocol file by path.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A built-in name such as ``"single_pulse"``, or the path of a ``.toml`` file (or
        of a Clampex ``.abf`` recording, whose epoch table is imported exactly:
        :func:`vlab.protocols.abf_import.protocol_from_abf`). A built-in name wins; any
        other string that contains a path separator, ends in ``.toml`` or names an
        existing file is treated as a path.

    Raises
    ------
    ProtocolError
        Unknown name (the message lists the built-ins), missing file, or an invalid
        protocol (the message names the file and key).
    """
    if isinstance(name_or_path, Path):
        return _load_path(name_or_path)
    text = str(name_or_path)
    builtins = builtin_protocols()
    if text in builtins:
        return load_protocol_file(builtins[text])
    as_path = Path(text)
    if text.endswith((".toml", ".abf")) or "/" in text or "\\" in text or _exists(as_path):
        return _load_path(as_path)
    hint = ""
    close = difflib.get_close_matches(text, list(builtins), n=1)
    if close:
        hint = f" Did you mean {close[0]!r}?"
    raise ProtocolError(
        f"no built-in protocol of that name and no such file.{hint} "
        f"Built-ins: {', '.join(builtins) or '(none found)'}; or give the path of a .toml file",
        source=text,
    )
