"""Writing protocols back to TOML, loading by name or path, and Qt-freedom."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vlab.protocols import (
    Epoch,
    Protocol,
    builtin_protocols,
    format_quantity,
    load_protocol,
    parse_protocol,
    protocol_to_toml,
)
from vlab.units import Quantity


@pytest.mark.parametrize("name", sorted(builtin_protocols()))
def test_builtin_round_trips(name):
    p = load_protocol(name)
    text = protocol_to_toml(p)
    q = parse_protocol(text, source="written")
    assert q == p
    assert q.source == "written"  # source is not part of equality
    assert protocol_to_toml(q) == text


def test_written_values_carry_units():
    text = protocol_to_toml(load_protocol("vc_step_family"))
    assert 'holding = "-65 mV"' in text
    assert 'level = "-100 mV"' in text
    assert 'level_increment = "10 mV"' in text
    assert 'duration = "20 ms"' in text
    assert 'sample_interval = "10 us"' in text
    text = protocol_to_toml(load_protocol("single_pulse"))
    assert 'level = "10 uA/cm2"' in text


def test_round_trip_of_protocol_built_in_code(tmp_path):
    p = Protocol(
        name="code-built",
        description="mixed units, awkward floats",
        mode="current-clamp",
        holding=Quantity(-50e-12, "current"),
        sweeps=4,
        sweep_duration=0.1,
        sample_interval=1e-5,  # not what "10 us" parses to
        start_to_start=0.3,
        epochs=(
            Epoch("step", 0.1 + 0.2 - 0.3 + 1e-3, Quantity(0.1 * 3, "current_density")),
            Epoch(
                "train",
                0.04,
                Quantity(1.7e-9, "current"),
                level_increment=Quantity(1e-10, "current"),
                duration_increment=1e-3,
                pulse_width=3.3e-4,
                period=7e-3,
                pulses=4,
                pulse_width_increment=1e-5,
                period_increment=1e-3,
            ),
            Epoch("ramp", 0.01, Quantity(-0.123456789, "current_density")),
        ),
    )
    text = protocol_to_toml(p)
    assert parse_protocol(text) == p
    path = tmp_path / "written.toml"
    path.write_text(text, encoding="utf-8")
    assert load_protocol(path) == p
    assert load_protocol(str(path)) == p


@pytest.mark.parametrize(
    ("value", "dim", "text"),
    [
        (-0.065, "voltage", "-65 mV"),
        (0.1, "current_density", "10 uA/cm2"),
        (0.0, "current_density", "0 uA/cm2"),
        (2e-9, "current", "2 nA"),
        (5e-11, "current", "50 pA"),
        (0.6, "time", "600 ms"),
        (1.0, "time", "1 s"),
    ],
)
def test_format_quantity(value, dim, text):
    assert format_quantity(value, dim) == text


def test_zero_increment_is_normalised_and_omitted():
    text = protocol_to_toml(load_protocol("single_pulse")).replace(
        'level = "10 uA/cm2"',
        'level = "10 uA/cm2"\nlevel_increment = "0 uA/cm2"\nduration_increment = "0 ms"',
    )
    p = parse_protocol(text)
    assert p == load_protocol("single_pulse")
    assert "increment" not in protocol_to_toml(p)


def test_load_builtin_by_name_and_path_agree():
    path = builtin_protocols()["ramp"]
    assert load_protocol("ramp") == load_protocol(path) == load_protocol(str(path))


def test_description_is_optional():
    text = protocol_to_toml(load_protocol("gap_free"))
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("description"))
    assert parse_protocol(text).description == ""


def test_protocols_package_is_qt_free():
    code = (
        "import sys, vlab.protocols as p; p.load_protocol('single_pulse').command(1e-7); "
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'shiboken6') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
