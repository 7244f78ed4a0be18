"""The clamp mode: one type for every layer and file format.

:class:`ClampMode` is what the amplifier, protocols, the engine, recordings (provenance),
experiment files and the GUI use. Files and messages are written with its value
(``"VC"``, ``"CC"``, ``"I=0"``); :meth:`ClampMode.parse` also reads the older spellings
(``"voltage-clamp"``, ``"current-clamp"``, ``"IC"``, ``"I0"``, any case) so files written
by earlier versions and other programs keep opening. Qt-free and import-free.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ClampMode", "ClampModeError"]


class ClampModeError(ValueError):
    """Text that is not a clamp mode; the message lists the accepted spellings."""


class ClampMode(str, Enum):  # noqa: UP042 - StrEnum needs Python 3.11
    """Amplifier recording mode."""

    VC = "VC"  # voltage clamp: the command is a voltage (V), Im is recorded
    CC = "CC"  # current clamp: the command is an injected current (A), Vm is recorded
    I0 = "I=0"  # current clamp with the command disconnected (zero current)

    def __str__(self) -> str:  # as StrEnum would: "VC", not "ClampMode.VC"
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def parse(cls, value: object) -> ClampMode:
        """The mode named by ``value``: a ClampMode, its value, or an older spelling.

        Raises
        ------
        ClampModeError
            For anything else (including None), with the spellings vlab writes.
        """
        if isinstance(value, ClampMode):
            return value
        if isinstance(value, Enum):  # another program's mode enum: read its value
            value = value.value
        if isinstance(value, str):
            mode = _SPELLINGS.get(" ".join(value.strip().lower().replace("_", " ").split()))
            if mode is not None:
                return mode
        raise ClampModeError(
            f"{value!r} is not a clamp mode; use 'VC' (voltage clamp), 'CC' (current clamp) "
            "or 'I=0'"
        )

    @property
    def is_voltage_clamp(self) -> bool:
        """The command is a voltage (V); otherwise it is a current (A)."""
        return self is ClampMode.VC

    @property
    def command_unit(self) -> str:
        """SI unit of the command: ``"V"`` in voltage clamp, ``"A"`` otherwise."""
        return "V" if self is ClampMode.VC else "A"

    @property
    def recorded(self) -> str:
        """The channel the amplifier measures: ``"Im"`` in voltage clamp, else ``"Vm"``."""
        return "Im" if self is ClampMode.VC else "Vm"

    @property
    def words(self) -> str:
        """For sentences: ``"voltage clamp"``, ``"current clamp"``, ``"I=0"``."""
        return _WORDS[self]


_WORDS = {ClampMode.VC: "voltage clamp", ClampMode.CC: "current clamp", ClampMode.I0: "I=0"}

#: every spelling :meth:`ClampMode.parse` reads (lower case, "_" and runs of spaces as one space)
_SPELLINGS = {
    "vc": ClampMode.VC,
    "voltage-clamp": ClampMode.VC,
    "voltage clamp": ClampMode.VC,
    "cc": ClampMode.CC,
    "ic": ClampMode.CC,
    "current-clamp": ClampMode.CC,
    "current clamp": ClampMode.CC,
    "i=0": ClampMode.I0,
    "i0": ClampMode.I0,
    "i = 0": ClampMode.I0,
}
