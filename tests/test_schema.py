"""The declarative rules for the values in vlab's files (vlab/schema.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.schema import Field, check_fields, keep_valid, problem


class _Refused(ValueError):
    def __init__(self, key: str, text: str) -> None:
        super().__init__(f"{key}: {text}")


def test_a_flag_is_never_a_number():
    assert problem(Field("number"), True) == "must be a number, got True"
    assert problem(Field("integer"), False) == "must be a whole number, got False"
    assert problem(Field("number"), np.float64(2.5)) is None
    assert problem(Field("integer"), np.int32(3)) is None
    assert problem(Field("integer"), 3.0) is not None


def test_ranges_are_inclusive_with_the_stated_slack():
    rule = Field("number", low=1e-6, high=1e-3, unit="s")
    assert problem(rule, 1e-6) is None and problem(rule, 1e-3) is None
    assert problem(rule, 1.0000001e-3) == "must be between 1e-06 and 0.001 s, got 0.0010000001"
    slack = Field("number", low=-0.2, high=0.2, slack=1e-9)
    assert problem(slack, 0.2 * (1 + 5e-10)) is None  # within the slack
    assert problem(slack, -0.2 * (1 + 5e-10)) is None
    assert problem(slack, 0.2 * (1 + 2e-9)) is not None


def test_finite_positive_and_choices():
    time = Field("number", finite=True, positive=True, show=lambda v: f"{v * 1e3:g} ms")
    assert problem(time, math.nan) == "must be a finite number, got nan"
    assert problem(time, -0.002) == "must be positive, got -2 ms"
    assert problem(time, 0.0) is not None
    assert problem(Field(choices=("VC", "CC")), "IC") == "'IC' is not allowed; use one of: VC, CC"


def test_text_rules_and_a_files_own_messages():
    name = Field("text", non_empty=True, max_length=5, no_nul=True, messages={"length": "too long"})
    assert problem(name, " ") == "must be a non-empty string, got ' '"
    assert problem(name, "abcdef") == "too long"
    assert problem(name, "a\0") == "too long"
    assert problem(name, "abc") is None
    assert problem(Field("scalar"), "1.5") is None and problem(Field("scalar"), 2) is None
    assert problem(Field("scalar"), [2]) == "must be a number or a string, got [2]"


def test_check_fields_names_the_first_bad_or_missing_key_in_table_order():
    schema = {"a": Field("integer", required=True), "b": Field("text", default="x")}
    assert check_fields({"a": 1}, schema, _Refused) == {"a": 1, "b": "x"}
    with pytest.raises(_Refused, match="^a: is missing$"):
        check_fields({"b": "y"}, schema, _Refused)
    with pytest.raises(_Refused, match="^a: must be a whole number, got 'one'$"):
        check_fields({"a": "one", "b": 2}, schema, _Refused)


def test_keep_valid_drops_only_bad_values_and_says_which():
    schema = {"speed": Field("number", default=1.0), "welcome": Field("flag", default=True)}
    values, dropped = keep_valid({"speed": "fast", "welcome": False}, schema)
    assert values == {"speed": 1.0, "welcome": False} and dropped == ["speed"]


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="schema kind"):
        Field("date")
