"""Per-student unknowns: values drawn from a stable hash of the student ID.

A practical may declare unknowns (a mystery drug, an outside K+ concentration, a
temperature...). Each student gets their own values, drawn deterministically from
``sha256(practical name, unknown name, student ID)``: the same ID always gives the
same values (on any machine, in any Python), different IDs almost always give
different ones, and an instructor regenerates any student's values, and so their
answer key, from the ID alone.

Values are written into preset strings and answer arguments wherever ``{name}``
appears, formatted in the unknown's display unit (``"{K_out}"`` -> ``"12.5 mM"``).
"""

from __future__ import annotations

import hashlib
import math
import re

from vlab.practicals.model import Practical, Unknown

__all__ = ["draw_unknowns", "normalise_student_id", "substitute", "format_unknown", "PLACEHOLDER"]

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def normalise_student_id(student_id: str) -> str:
    """Student IDs are compared without surrounding spaces and case ("S123" == " s123")."""
    return str(student_id or "").strip().lower()


def _uniform(practical: str, unknown: str, student_id: str) -> float:
    """A number in [0, 1) from a stable hash (hashlib, never Python's salted ``hash``)."""
    text = f"vlab-practical\x00{practical}\x00{unknown}\x00{normalise_student_id(student_id)}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def draw_unknown(practical_name: str, u: Unknown, student_id: str) -> float | str:
    """The value of one unknown for one student: SI float (range) or option (choice)."""
    x = _uniform(practical_name, u.name, student_id)
    if u.kind == "choice":
        return u.options[min(int(x * len(u.options)), len(u.options) - 1)]
    if u.step > 0:
        n = int(math.floor((u.high - u.low) / u.step + 1e-9)) + 1
        k = min(int(x * n), n - 1)
        return u.low + k * u.step
    return u.low + x * (u.high - u.low)


def draw_unknowns(practical: Practical, student_id: str) -> dict[str, float | str]:
    """Every unknown of ``practical`` for ``student_id``: ``name -> value``."""
    return {u.name: draw_unknown(practical.name, u, student_id) for u in practical.unknowns}


def format_unknown(u: Unknown, value: float | str) -> str:
    """The value as text with its display unit (what ``{name}`` is replaced by)."""
    if u.kind == "choice":
        return str(value)
    if u.dimension == "number":
        return f"{float(value):.6g}"
    if u.dimension in ("temperature", "concentration") and u.unit in ("degC", "mM"):
        return f"{float(value):.6g} {u.unit}"
    from vlab.units import parse_quantity

    factor = parse_quantity(f"1 {u.unit}", u.dimension).value
    return f"{float(value) / factor:.6g} {u.unit}"


def substitute(
    text: str, practical: Practical, values: dict[str, float | str], strict: bool = True
) -> str:
    """Replace every ``{name}`` in ``text`` by that unknown's formatted value.

    With ``strict=False`` (display text) braces that name no unknown are left alone.
    """

    def repl(m: re.Match) -> str:
        name = m.group(1)
        if not strict and name not in values:
            return m.group(0)
        u = practical.unknown(name)
        return format_unknown(u, values[name])

    return PLACEHOLDER.sub(repl, text)
