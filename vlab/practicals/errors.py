"""Errors of the practicals package."""

from __future__ import annotations

__all__ = ["PracticalError"]


class PracticalError(ValueError):
    """A practical file that cannot be used, or input a practical cannot take.

    The message names the file and the key (``steps[2].questions[0].tolerance``), says
    what is wrong and what is allowed.
    """
