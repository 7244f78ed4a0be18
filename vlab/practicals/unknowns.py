"""Per-student unknowns: values drawn from a per-student *seed*.

A practical may declare unknowns (a mystery drug, an outside K+ concentration, a
temperature...). Each student gets their own values, drawn deterministically from
``HMAC-SHA256(seed, practical name, unknown name)``. The seed is

- in a class (:mod:`vlab.practicals.classes`): ``HMAC-SHA256(class secret, class id,
  student ID)``. Only the instructor holds the secret; students receive their seed in the
  class pack, so their app sets up their cell, but nobody can derive another student's
  seed (or a seed for an ID that is not on the roster) without the secret;
- without a class (practice on one's own): a public hash of the student ID
  (:func:`practice_seed`). Nothing is protected there, and nothing is graded.

The same seed always gives the same values (on any machine, in any Python) and
different seeds almost always give different ones.

Values are written into preset strings and answer arguments wherever ``{name}``
appears, formatted in the unknown's display unit (``"{K_out}"`` -> ``"12.5 mM"``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re

from vlab.practicals.model import Practical, Unknown

__all__ = [
    "PLACEHOLDER",
    "draw_unknowns",
    "format_unknown",
    "normalise_student_id",
    "practice_seed",
    "substitute",
]

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def normalise_student_id(student_id: str) -> str:
    """Student IDs are compared without surrounding spaces and case ("S123" == " s123")."""
    return str(student_id or "").strip().lower()


def practice_seed(student_id: str) -> str:
    """The public seed of a student practising without a class (hex text).

    Anyone can compute it from the ID: practice keys are not secret and not graded.
    """
    text = f"vlab-practice\x00{normalise_student_id(student_id)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _uniform(practical: str, unknown: str, seed: str) -> float:
    """A number in [0, 1) from ``HMAC-SHA256(seed, practical, unknown)`` (stable anywhere)."""
    msg = f"vlab-unknown\x00{practical}\x00{unknown}".encode()
    digest = hmac.new(seed.encode("ascii"), msg, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def draw_unknown(practical_name: str, u: Unknown, seed: str) -> float | str:
    """The value of one unknown for one student seed: SI float (range) or option (choice)."""
    x = _uniform(practical_name, u.name, seed)
    if u.kind == "choice":
        return u.options[min(int(x * len(u.options)), len(u.options) - 1)]
    if u.spacing == "log":
        value = float(f"{u.low * (u.high / u.low) ** x:.3g}")
        return min(max(value, u.low), u.high)
    if u.step > 0:
        n = int(math.floor((u.high - u.low) / u.step + 1e-9)) + 1
        k = min(int(x * n), n - 1)
        return u.low + k * u.step
    return u.low + x * (u.high - u.low)


def draw_unknowns(
    practical: Practical, student_id: str, seed: str | None = None
) -> dict[str, float | str]:
    """Every unknown of ``practical`` for one student: ``name -> value``.

    ``seed`` is the student's class seed (:func:`vlab.practicals.classes.student_seed`);
    without one the public :func:`practice_seed` of ``student_id`` is used.
    """
    seed = seed or practice_seed(student_id)
    return {u.name: draw_unknown(practical.name, u, seed) for u in practical.unknowns}


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
