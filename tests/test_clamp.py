"""One clamp-mode type (vlab.clamp.ClampMode): every old spelling read, one written."""

from __future__ import annotations

import pytest

from vlab.clamp import ClampMode, ClampModeError


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("VC", ClampMode.VC),
        ("vc", ClampMode.VC),
        ("voltage-clamp", ClampMode.VC),
        ("Voltage clamp", ClampMode.VC),
        ("voltage_clamp", ClampMode.VC),
        ("CC", ClampMode.CC),
        ("IC", ClampMode.CC),
        ("current-clamp", ClampMode.CC),
        (" current clamp ", ClampMode.CC),
        ("I=0", ClampMode.I0),
        ("I0", ClampMode.I0),
        (ClampMode.VC, ClampMode.VC),
    ],
)
def test_every_spelling_is_read(text, mode):
    assert ClampMode.parse(text) is mode


@pytest.mark.parametrize("bad", [None, "", "patch", "V C", 3, "voltage"])
def test_anything_else_is_refused_in_one_line(bad):
    with pytest.raises(ClampModeError) as info:
        ClampMode.parse(bad)
    assert isinstance(info.value, ValueError)
    assert "'VC'" in str(info.value) and "\n" not in str(info.value)


def test_written_spelling_is_the_value():
    assert [m.value for m in ClampMode] == ["VC", "CC", "I=0"]
    assert f"{ClampMode.I0}" == "I=0" and str(ClampMode.VC) == "VC"
    assert ClampMode.VC.command_unit == "V" and ClampMode.CC.command_unit == "A"
    assert ClampMode.VC.recorded == "Im" and ClampMode.I0.recorded == "Vm"


def test_protocol_files_read_old_spelling_and_write_one(tmp_path):
    from vlab.protocols import load_protocol, parse_protocol, protocol_to_toml

    old = load_protocol("vc_step_family")
    text = protocol_to_toml(old)
    assert 'mode = "VC"' in text
    assert parse_protocol(text.replace('"VC"', '"voltage-clamp"')) == old
    assert parse_protocol(text.replace('"VC"', '"vc"')).mode is ClampMode.VC


def test_rig_state_and_recordings_write_one_spelling():
    import numpy as np

    from vlab.recording import Sweep
    from vlab.rig import Rig

    rig = Rig()
    rig.set_mode("voltage-clamp")
    assert rig.amplifier.mode is ClampMode.VC
    assert rig.state_dict()["amplifier"]["mode"] == "VC"
    s = Sweep(0, 1e-5, {"command": np.zeros(3)}, provenance={"mode": "current-clamp"})
    assert s.provenance["mode"] == "CC" and s.mode is ClampMode.CC


def test_gui_simulator_and_vlab_run_record_the_same_mode():
    """The rig (GUI) and `vlab run` once wrote "VC" and "voltage-clamp" for one mode."""
    from vlab.cli import provenance
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.rig.simulator import RigSimulator
    from vlab.sim.cell import Cell

    p = load_protocol("vc_step_family")
    rig = Rig()
    rig.set_protocol(p)
    sim = RigSimulator(rig)
    sweep = next(b.record for b in sim.run_episode() if b.record is not None)
    assert sweep.provenance["mode"] == provenance(Cell("squid"), p, 0)["mode"] == "VC"
