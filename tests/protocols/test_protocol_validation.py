"""One test per validation rule: the error names the file and the key, and says what is allowed."""

from __future__ import annotations

import re

import pytest

from vlab.protocols import ProtocolError, load_protocol, parse_protocol

VC_HEAD = """\
name = "test"
mode = "voltage-clamp"
holding = "-65 mV"
sweeps = 3
sweep_duration = "30 ms"
sample_interval = "10 us"
"""
CC_HEAD = VC_HEAD.replace("voltage-clamp", "current-clamp").replace('"-65 mV"', '"0 uA/cm2"')
STEP = '\n[[epochs]]\ntype = "step"\nduration = "5 ms"\nlevel = "-20 mV"\n'
TRAIN = (
    '\n[[epochs]]\ntype = "train"\nduration = "10 ms"\nlevel = "0 mV"\n'
    'pulse_width = "1 ms"\nperiod = "3 ms"\npulses = 3\n'
)


def error_for(tmp_path, text: str, filename: str = "my_protocol.toml") -> ProtocolError:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    err = info.value
    assert filename in str(err), f"file name missing from: {err}"
    return err


def check(err: ProtocolError, key: str | None, *fragments: str) -> None:
    msg = str(err)
    if key is not None:
        assert err.key == key
        assert key in msg
    for f in fragments:
        assert re.search(f, msg), f"{f!r} not in: {msg}"


def sub(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# ----------------------------------------------------------------------- structure
def test_malformed_toml_reports_line_and_column(tmp_path):
    err = error_for(tmp_path, VC_HEAD + "level = \n")
    check(err, None, "invalid TOML", r"line 7", r"column \d+")


@pytest.mark.parametrize(
    "key", ["name", "mode", "holding", "sweeps", "sweep_duration", "sample_interval"]
)
def test_missing_required_key(tmp_path, key):
    text = "\n".join(ln for ln in VC_HEAD.splitlines() if not ln.startswith(key + " "))
    err = error_for(tmp_path, text)
    check(err, key, "missing required key", "add e.g.")


@pytest.mark.parametrize("key", ["type", "duration", "level"])
def test_missing_required_epoch_key(tmp_path, key):
    epoch = "\n".join(ln for ln in STEP.splitlines() if not ln.startswith(key + " "))
    err = error_for(tmp_path, VC_HEAD + STEP + epoch)
    check(err, f"epochs[1].{key}", "missing required key", r"2nd \[\[epochs\]\] table")


@pytest.mark.parametrize("key", ["pulse_width", "period", "pulses"])
def test_train_needs_its_keys(tmp_path, key):
    epoch = "\n".join(ln for ln in TRAIN.splitlines() if not ln.startswith(key + " "))
    err = error_for(tmp_path, VC_HEAD + epoch)
    check(err, f"epochs[0].{key}", "missing required key in a train epoch")


def test_unknown_top_level_key_lists_valid_keys(tmp_path):
    err = error_for(tmp_path, VC_HEAD + 'sweep_duraton = "1 ms"\n')
    check(
        err, "sweep_duraton", "unknown key", "sweep_duration", "Valid keys: name, description, mode"
    )


def test_unknown_epoch_key_lists_valid_keys(tmp_path):
    err = error_for(tmp_path, VC_HEAD + STEP + 'amplitude = "1 mV"\n')
    check(err, "epochs[0].amplitude", "unknown key", "Valid keys: type, duration, level")


def test_train_key_in_step_epoch(tmp_path):
    err = error_for(tmp_path, VC_HEAD + STEP + "pulses = 3\n")
    check(err, "epochs[0].pulses", "only train epochs", "step")


def test_epochs_as_single_table(tmp_path):
    err = error_for(tmp_path, VC_HEAD + '[epochs]\ntype = "step"\n')
    check(err, "epochs", r"\[\[epochs\]\]")


@pytest.mark.parametrize(
    ("key", "old", "new", "allowed"),
    [
        ("mode", "voltage-clamp", "patch", "'VC' \\(voltage clamp\\) or 'CC'"),
        ("acquisition", "", "", "episodic, gap-free"),
    ],
)
def test_bad_choices(tmp_path, key, old, new, allowed):
    text = sub(VC_HEAD, old, new) if old else VC_HEAD + 'acquisition = "continuous"\n'
    err = error_for(tmp_path, text)
    check(err, key, "not allowed", allowed)


def test_bad_epoch_type(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"step"', '"pulse"'))
    check(err, "epochs[0].type", "step, ramp, train")


# ----------------------------------------------------------------------- units
def test_missing_unit_in_string(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"5 ms"', '"5"'))
    check(err, "epochs[0].duration", "no unit", "ms")


def test_bare_number_has_no_unit(tmp_path):
    err = error_for(tmp_path, sub(VC_HEAD, 'sweep_duration = "30 ms"', "sweep_duration = 30"))
    check(err, "sweep_duration", "no unit", r"time \(s ms us")


def test_unknown_unit(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"-20 mV"', '"-20 millivolts"'))
    check(err, "epochs[0].level", "unknown unit", "mV")


def test_voltage_clamp_level_must_be_voltage(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"-20 mV"', '"10 uA/cm2"'))
    check(err, "epochs[0].level", "current density", "voltage", "voltage clamp protocol")


def test_current_clamp_holding_must_be_current(tmp_path):
    err = error_for(tmp_path, sub(CC_HEAD, '"0 uA/cm2"', '"-65 mV"'))
    check(err, "holding", "is a voltage", "current", "uA/cm2", "nA")


def test_duration_must_be_time(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"5 ms"', '"5 mV"'))
    check(err, "epochs[0].duration", "voltage", r"time \(s ms")


def test_level_increment_must_match_level_dimension(tmp_path):
    epoch = '\n[[epochs]]\ntype = "step"\nduration = "5 ms"\nlevel = "1 uA/cm2"\nlevel_increment = "1 nA"\n'
    err = error_for(tmp_path, CC_HEAD + epoch)
    check(err, "epochs[0].level_increment", "current density", "same kind of unit")


def test_sweeps_must_be_integer(tmp_path):
    err = error_for(tmp_path, sub(VC_HEAD, "sweeps = 3", "sweeps = 2.5"))
    check(err, "sweeps", "whole number")


# ----------------------------------------------------------------------- ranges
@pytest.mark.parametrize("d", ["0 ms", "-5 ms"])
def test_duration_must_be_positive(tmp_path, d):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"5 ms"', f'"{d}"'))
    check(err, "epochs[0].duration", "positive")


def test_duration_negative_after_increments(tmp_path):
    err = error_for(tmp_path, VC_HEAD + STEP + 'duration_increment = "-3 ms"\n')
    check(err, "epochs[0].duration_increment", "sweep 3 of 3", "-1 ms", "positive on every sweep")


def test_pulse_width_negative_after_increments(tmp_path):
    err = error_for(tmp_path, VC_HEAD + TRAIN + 'pulse_width_increment = "-0.6 ms"\n')
    check(err, "epochs[0].pulse_width_increment", "sweep 3 of 3", "positive")


def test_epoch_shorter_than_a_sample(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"5 ms"', '"4 us"'))
    check(err, "epochs[0].duration", "shorter than one", "sample_interval")


@pytest.mark.parametrize("n", [0, -1, 1001])
def test_sweeps_range(tmp_path, n):
    err = error_for(tmp_path, sub(VC_HEAD, "sweeps = 3", f"sweeps = {n}"))
    check(err, "sweeps", "between 1 and 1000")


@pytest.mark.parametrize("dt", ["0.5 us", "2 ms"])
def test_sample_interval_range(tmp_path, dt):
    err = error_for(tmp_path, sub(VC_HEAD, '"10 us"', f'"{dt}"'))
    check(err, "sample_interval", "1 us .. 1 ms")


@pytest.mark.parametrize(("dt", "n"), [("1 us", 30000), ("1 ms", 30)])
def test_sample_interval_limits_are_inclusive(dt, n):
    p = parse_protocol(sub(VC_HEAD, '"10 us"', f'"{dt}"'))
    assert p.n_samples == n


def test_sweep_duration_at_most_600_s(tmp_path):
    text = sub(sub(VC_HEAD, '"30 ms"', '"601 s"'), '"10 us"', '"1 ms"')
    err = error_for(tmp_path, text)
    check(err, "sweep_duration", "600 s")


def test_sweep_duration_at_most_5e6_samples(tmp_path):
    err = error_for(tmp_path, sub(VC_HEAD, '"30 ms"', '"60 s"'))
    check(err, "sweep_duration", "6000000 samples", "5e\\+06", "longer sample_interval")


def test_epochs_past_end_of_sweep(tmp_path):
    text = VC_HEAD + STEP + sub(STEP, '"5 ms"', '"20 ms"') + 'duration_increment = "3 ms"\n'
    err = error_for(tmp_path, text)
    check(
        err,
        "epochs[1]",
        "past the end of the sweep",
        "31 ms",
        "sweep 3 of 3",
        "sweep_duration is 30 ms",
    )


def test_start_to_start_shorter_than_sweep(tmp_path):
    err = error_for(tmp_path, VC_HEAD + 'start_to_start = "10 ms"\n')
    check(err, "start_to_start", "shorter than sweep_duration")


def test_gap_free_needs_one_sweep(tmp_path):
    err = error_for(tmp_path, VC_HEAD + 'acquisition = "gap-free"\n')
    check(err, "sweeps", "gap-free", "sweeps = 1")


# -------------------------------------------------------------------- absurd values
@pytest.mark.parametrize(
    ("head", "old", "new", "key", "limit"),
    [
        (VC_HEAD, '"-65 mV"', '"-65 V"', "holding", "300 mV"),
        (CC_HEAD, '"0 uA/cm2"', '"20 mA/cm2"', "holding", "10 mA/cm2"),
        (CC_HEAD, '"0 uA/cm2"', '"2 mA"', "holding", "1 mA"),
    ],
)
def test_absurd_holding(tmp_path, head, old, new, key, limit):
    err = error_for(tmp_path, sub(head, old, new))
    check(err, key, "beyond any membrane", re.escape(limit), "check the unit")


def test_absurd_level(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"-20 mV"', '"-20 V"'))
    check(err, "epochs[0].level", "beyond any membrane", "300 mV")


def test_absurd_level_reached_by_increments(tmp_path):
    epoch = sub(STEP, '"-20 mV"', '"200 mV"') + 'level_increment = "60 mV"\n'
    err = error_for(tmp_path, VC_HEAD + epoch)
    check(err, "epochs[0].level_increment", "320 mV", "sweep 3 of 3", "beyond any membrane")


def test_limits_themselves_are_accepted():
    p = parse_protocol(sub(CC_HEAD, '"0 uA/cm2"', '"10 mA/cm2"'))
    assert p.holding.value == pytest.approx(100.0)
    parse_protocol(sub(VC_HEAD, '"-65 mV"', '"-300 mV"'))


@pytest.mark.parametrize("value", ["1e999 mV", "nan mV", "inf mV"])
def test_non_finite_values(tmp_path, value):
    err = error_for(tmp_path, VC_HEAD + sub(STEP, '"-20 mV"', f'"{value}"'))
    check(err, "epochs[0].level", "finite|cannot read")


def test_nan_sweeps(tmp_path):
    err = error_for(tmp_path, sub(VC_HEAD, "sweeps = 3", "sweeps = nan"))
    check(err, "sweeps", "whole number")


# --------------------------------------------------------------------------- trains
def test_train_needs_at_least_one_pulse(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(TRAIN, "pulses = 3", "pulses = 0"))
    check(err, "epochs[0].pulses", "at least 1")


def test_train_pulse_width_longer_than_period(tmp_path):
    err = error_for(tmp_path, VC_HEAD + sub(TRAIN, '"1 ms"', '"4 ms"'))
    check(err, "epochs[0].pulse_width", "longer than period", "start to pulse start")


def test_train_pulse_width_overtakes_period_after_increments(tmp_path):
    err = error_for(tmp_path, VC_HEAD + TRAIN + 'pulse_width_increment = "1.5 ms"\n')
    check(err, "epochs[0].pulse_width_increment", "longer than period", "sweep 3 of 3")


def test_train_pulses_must_fit_in_epoch(tmp_path):
    err = error_for(tmp_path, VC_HEAD + TRAIN + 'period_increment = "1 ms"\n')
    check(
        err,
        "epochs[0].duration",
        "3 pulses of 1 ms every 5 ms",
        "need 11 ms",
        "lasts 10 ms",
        "sweep 3 of 3",
    )


# --------------------------------------------------------------------------- files
def test_missing_file(tmp_path):
    with pytest.raises(ProtocolError, match="no such protocol file") as info:
        load_protocol(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(info.value)


def test_unknown_builtin_name_suggests_close_match():
    with pytest.raises(ProtocolError) as info:
        load_protocol("vc_step_familly")
    msg = str(info.value)
    assert "vc_step_family" in msg and "Built-ins:" in msg


def test_string_source_used_without_file():
    with pytest.raises(ProtocolError, match=r"^lesson 3: sweeps: "):
        parse_protocol(sub(VC_HEAD, "sweeps = 3", "sweeps = 0"), source="lesson 3")


def test_error_is_a_value_error_with_attributes(tmp_path):
    err = error_for(tmp_path, sub(VC_HEAD, "sweeps = 3", "sweeps = 0"))
    assert isinstance(err, ValueError)
    assert err.source.endswith("my_protocol.toml")
    assert err.key == "sweeps"
    assert "1000" in err.problem


def test_the_engines_300_mV_limit_is_a_bad_input_exit_2(tmp_path):
    """Issue 11: the docs allowed 1 V; the engine refused beyond 300 mV with exit status 1."""
    import subprocess
    import sys

    path = tmp_path / "big.toml"
    path.write_text(VC_HEAD + sub(STEP, '"-20 mV"', '"500 mV"'))
    r = subprocess.run(
        [sys.executable, "-m", "vlab", "run", str(path)], capture_output=True, text=True
    )
    assert r.returncode == 2, r.stderr
    assert "300 mV" in r.stderr and "Traceback" not in r.stderr
