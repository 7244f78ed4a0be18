"""One builder for the small practical files the tests write (instead of a near-copy of
the same TOML in every test module).

``practical_toml(...)`` returns the text of a one-step practical: a squid cell in
current clamp with ``single_pulse`` unless ``preset`` says otherwise (a key set to
``None`` is left out), and the questions given (default: one numeric Nernst question).
Every key is written on its own line as ``key = value``, so a test may still
``.replace()`` one line to make a file bad in one place.
"""

from __future__ import annotations

import json
import re

__all__ = ["NUMERIC_QUESTION", "practical_toml", "toml_value"]

#: the default question: E_K in mV, 1 mV tolerance
NUMERIC_QUESTION = {
    "id": "q",
    "kind": "numeric",
    "prompt": "p",
    "answer": "nernst:K",
    "unit": "mV",
    "tolerance": "1 mV",
}

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value) -> str:
    """A TOML value: strings quoted, lists in brackets, tables inline ``{ k = v }``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"no TOML for {value!r}")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k)


def _lines(table: dict) -> list[str]:
    return [f"{_key(k)} = {toml_value(v)}" for k, v in table.items() if v is not None]


def practical_toml(
    name: str = "t",
    *,
    preset: dict | None = None,
    questions: list[dict] | tuple[dict, ...] = (NUMERIC_QUESTION,),
    unknowns: dict[str, dict] | None = None,
    step: dict | None = None,
    title: str = "t",
    summary: str = "s",
) -> str:
    """The text of a one-step practical file (see the module docstring); ``step`` adds
    keys to the step (``hide``...), ``unknowns`` adds ``[unknowns.NAME]`` sections."""
    lines = _lines({"name": name, "title": title, "summary": summary})
    for uname, spec in (unknowns or {}).items():
        lines += [f"[unknowns.{uname}]", *_lines(spec)]
    lines += ["[[steps]]", *_lines({"id": "a", "title": "a", "text": "a", **(step or {})})]
    full = {"preparation": "squid", "mode": "CC", "protocol": "single_pulse", **(preset or {})}
    lines += ["[steps.preset]", *_lines(full)]
    for q in questions:
        lines += ["[[steps.questions]]", *_lines(q)]
    return "\n".join(lines) + "\n"
