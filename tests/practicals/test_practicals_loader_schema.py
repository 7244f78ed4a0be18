"""The practical reader on vlab.schema: one-line messages naming file and key for bad
top-level, step, preset, question and unknown values; log-spaced unknowns."""

from __future__ import annotations

import math

import pytest
from practical_toml import practical_toml

from vlab.practicals.errors import PracticalError
from vlab.practicals.loader import parse_practical
from vlab.practicals.unknowns import draw_unknown, practice_seed

AREA = {"kind": "range", "min": "0.02 mm2", "max": "0.5 mm2", "spacing": "log"}


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        (
            'summary = "s"',
            'summary = "s"\ngraded = "yes"',
            "mine.toml: graded: 'yes'; true or false",
        ),
        (
            'summary = "s"',
            'summary = "s"\nminutes = 2.5',
            "minutes: minutes and order must be whole",
        ),
        ('summary = "s"', 'summary = "s"\nattempts = 500', "attempts: 500; a whole number of"),
        ('summary = "s"', 'summary = "s"\nsources = "Hille"', "sources: must be a list of texts"),
        ('summary = "s"', "summary = 3", "summary: must be text in quotes, not 3"),
        ('title = "t"', 'title = " "', "title: must not be empty"),
        ('title = "a"', "", "steps[0].title: missing (required)"),
        ('prompt = "p"', 'prompt = "p"\nattempts = true', "questions[0].attempts: True; a whole"),
        ('mode = "CC"', "mode = 1", "steps[0].preset.mode: must be text in quotes, not 1"),
        ("[steps.preset]", "[steps.preset]\ndrugs = 3", "preset.drugs: must be a table: { TTX"),
        ("[steps.preset]", "[steps.preset]\nparameters = 3", "parameters: must be a table: {"),
        ('id = "a"', 'id = "a"\nhide = ["everything"]', "steps[0].hide: ['everything']; a list"),
        ('unit = "mV"', 'unit = ""', "questions[0].unit: missing (required)"),
    ],
)
def test_bad_values_get_one_line_naming_file_and_key(old, new, expect):
    text = practical_toml()
    assert old in text
    with pytest.raises(PracticalError) as err:
        parse_practical(text.replace(old, new, 1), source="mine.toml")
    assert expect in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        ({**AREA, "min": "0 mm2"}, "unknowns.area.spacing: log spacing needs min > 0"),
        ({**AREA, "step": "0.01 mm2"}, "unknowns.area.spacing: log spacing needs min > 0 and no"),
        ({**AREA, "spacing": "cubic"}, "unknowns.area.spacing: 'cubic'; allowed: 'linear', 'log'"),
        ({**AREA, "kind": "ranges"}, "unknowns.area.kind: 'ranges'; allowed: 'range', 'choice'"),
        ({"kind": "range", "min": 1, "max": 3, "step": "1"}, "unknowns.area.step: must be a num"),
        ({"kind": "range", "max": "1 mM"}, "unknowns.area.min: missing (a range unknown needs"),
        ({**AREA, "spacng": "log"}, "unknowns.area.spacng: unknown key (did you mean 'spacing'?)"),
    ],
)
def test_bad_unknowns_are_refused(spec, expect):
    with pytest.raises(PracticalError, match="mine.toml") as err:
        parse_practical(practical_toml(unknowns={"area": spec}), source="mine.toml")
    assert expect in str(err.value)


def test_log_spaced_unknown_is_uniform_in_log_and_inside_its_range():
    """Half of the students lie below the geometric mean sqrt(min max) (the median of a
    log-uniform value), a quarter below min^(3/4) max^(1/4); all inside [min, max] with
    three significant digits."""
    p = parse_practical(practical_toml(unknowns={"area": AREA}), source="mine.toml")
    u = p.unknown("area")
    assert (u.spacing, u.low, u.high) == ("log", pytest.approx(2e-8), pytest.approx(5e-7))
    values = [float(draw_unknown(p.name, u, practice_seed(f"s{k}"))) for k in range(2000)]
    assert all(u.low <= v <= u.high for v in values)
    assert all(float(f"{v:.3g}") == v for v in values)
    below = sum(v < math.sqrt(u.low * u.high) for v in values) / len(values)
    quarter = sum(v < u.low**0.75 * u.high**0.25 for v in values) / len(values)
    assert below == pytest.approx(0.5, abs=0.04) and quarter == pytest.approx(0.25, abs=0.04)
