"""The single exception type of :mod:`vlab.protocols`."""

from __future__ import annotations

import re

__all__ = ["ProtocolError", "describe_key"]

_EPOCH_KEY = re.compile(r"^epochs\[(\d+)\]")


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe_key(key: str) -> str:
    """Spell out a key path for people who count tables from one.

    ``"epochs[2].duration"`` becomes
    ``"epochs[2].duration (the 3rd [[epochs]] table)"``; other keys are returned unchanged.
    """
    m = _EPOCH_KEY.match(key)
    if not m:
        return key
    return f"{key} (the {_ordinal(int(m.group(1)) + 1)} [[epochs]] table)"


class ProtocolError(ValueError):
    """A protocol file or object is invalid.

    The message always starts with the source (usually the file name) and, when one
    key is to blame, the key path such as ``epochs[2].duration``, followed by what is
    wrong and what is allowed.

    Attributes
    ----------
    source : str
        File name or other label of the protocol.
    key : str or None
        Key path of the offending value (``None`` for whole-file problems such as
        malformed TOML).
    problem : str
        The explanation without the source and key prefix.
    """

    def __init__(self, problem: str, *, source: str = "<protocol>", key: str | None = None):
        self.source = source
        self.key = key
        self.problem = problem
        prefix = f"{source}: "
        if key:
            prefix += f"{describe_key(key)}: "
        super().__init__(prefix + problem)

    def __reduce__(self):  # keep pickling (multiprocessing) working with keyword-only args
        return (_rebuild, (self.problem, self.source, self.key))


def _rebuild(problem: str, source: str, key: str | None) -> ProtocolError:
    return ProtocolError(problem, source=source, key=key)
