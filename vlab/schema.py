"""A small declarative schema for the values in vlab's files.

A file's rules are a table ``{key: Field(...)}``: the kind of value (text, number, whole
number, flag, table, list), whether it is required, an inclusive range with its unit, the
allowed choices, and the one-line messages the file's readers have always given.
:func:`problem` says what is wrong with one value (or None); :func:`check_fields` walks a
table and raises the caller's own error (a ``ValueError`` subclass: ``ProtocolError``,
``RigError``...) for the first bad key, and :func:`keep_valid` drops bad values for
readers that repair instead of refusing (settings, progress). Relations between fields
(a sweep longer than its sample interval...) stay in code next to the table.

Numbers are SI; ``bool`` never counts as a number (``True`` is not 1 ms).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Field", "check_fields", "is_integer", "is_number", "keep_valid", "problem"]

KINDS = ("text", "number", "integer", "flag", "table", "list", "scalar", "any")


def is_number(x: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def is_integer(x: Any) -> bool:
    """A whole number (Python or numpy int), not a bool."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


_IS_KIND: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "number": is_number,
    "integer": is_integer,
    "flag": lambda v: isinstance(v, bool),
    "table": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "scalar": lambda v: isinstance(v, str) or is_number(v),
    "any": lambda v: True,
}

#: default messages; ``{value!r}``, ``{low}``, ``{high}``, ``{unit}`` and ``{choices}`` are
#: filled in (a field's own ``messages`` override them)
DEFAULT_MESSAGES: dict[str, str | dict[str, str]] = {
    "kind": {
        "text": "must be a string, got {value!r}",
        "number": "must be a number, got {value!r}",
        "integer": "must be a whole number, got {value!r}",
        "flag": "must be true or false, got {value!r}",
        "table": "must be a table of values",
        "list": "must be a list",
        "scalar": "must be a number or a string, got {value!r}",
        "any": "",
    },
    "empty": "must be a non-empty string, got {value!r}",
    "finite": "must be a finite number, got {value!r}",
    "positive": "must be positive, got {shown}",
    "range": "must be between {low:g} and {high:g}{unit}, got {value!r}",
    "choice": "{value!r} is not allowed; use one of: {choices}",
    "length": "is too long (at most {max_length} characters)",
    "missing": "is missing",
}


@dataclass(frozen=True)
class Field:
    """The rule for one key of a file.

    ``kind`` one of :data:`KINDS`; ``required``: a missing key is an error (otherwise
    ``default``); ``low``/``high``: inclusive range (SI, ``unit`` for messages; ``slack``
    relative tolerance for values read from text); ``choices``: the allowed values;
    ``non_empty``/``max_length``/``no_nul``: for text; ``finite``/``positive``: for
    numbers; ``messages``: this file's own one-line messages, by rule (``kind``,
    ``empty``, ``finite``, ``positive``, ``range``, ``choice``, ``length``, ``missing``),
    where ``{shown}`` is the value as ``show`` writes it (e.g. with its unit).
    """

    kind: str = "any"
    required: bool = False
    default: Any = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    slack: float = 0.0
    choices: tuple = ()
    non_empty: bool = False
    max_length: int | None = None
    no_nul: bool = False
    finite: bool = False
    positive: bool = False
    show: Callable[[Any], str] = repr
    messages: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"schema kind {self.kind!r} is not one of {KINDS}")

    def message(self, rule: str, value: Any) -> str:
        default = DEFAULT_MESSAGES[rule]
        template = self.messages.get(rule) or (
            default[self.kind] if isinstance(default, dict) else default
        )
        return template.format(
            value=value,
            low=self.low if self.low is not None else -math.inf,
            high=self.high if self.high is not None else math.inf,
            unit=f" {self.unit}" if self.unit else "",
            choices=", ".join(str(c) for c in self.choices),
            max_length=self.max_length,
            shown=self.show(value) if rule != "kind" else repr(value),
        )


def problem(rule: Field, value: Any) -> str | None:
    """What is wrong with ``value`` under ``rule`` (one line), or None if it is fine."""
    if not _IS_KIND[rule.kind](value):
        return rule.message("kind", value)
    if rule.kind == "text":
        if rule.non_empty and not value.strip():
            return rule.message("empty", value)
        if (rule.max_length is not None and len(value) > rule.max_length) or (
            rule.no_nul and "\0" in value
        ):
            return rule.message("length", value)
    if rule.kind in ("number", "integer"):
        if rule.finite and not math.isfinite(value):
            return rule.message("finite", value)
        if rule.positive and value <= 0:
            return rule.message("positive", value)
        low = (
            -math.inf if rule.low is None else rule.low * (1 - math.copysign(rule.slack, rule.low))
        )
        high = (
            math.inf
            if rule.high is None
            else rule.high * (1 + math.copysign(rule.slack, rule.high))
        )
        if not low <= value <= high:
            return rule.message("range", value)
    if rule.choices and value not in rule.choices:
        return rule.message("choice", value)
    return None


def check_fields(
    data: Mapping[str, Any],
    schema: Mapping[str, Field],
    fail: Callable[[str, str], Exception],
) -> dict[str, Any]:
    """Check ``data`` against ``schema`` in the table's order; raise ``fail(key, problem)``
    for the first bad or missing key. Returns the values (defaults for absent keys)."""
    out = {}
    for key, rule in schema.items():
        if key not in data:
            if rule.required:
                raise fail(key, rule.message("missing", None))
            out[key] = rule.default
            continue
        bad = problem(rule, data[key])
        if bad is not None:
            raise fail(key, bad)
        out[key] = data[key]
    return out


def keep_valid(
    data: Mapping[str, Any], schema: Mapping[str, Field]
) -> tuple[dict[str, Any], list[str]]:
    """The values of ``data`` that pass ``schema`` (defaults for the rest) and the keys
    whose values were dropped (present but bad), for readers that repair a file."""
    out, dropped = {}, []
    for key, rule in schema.items():
        value = data.get(key, rule.default)
        if key in data and problem(rule, value) is not None:
            dropped.append(key)
            value = rule.default
        out[key] = value
    return out, dropped
