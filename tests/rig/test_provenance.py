"""One provenance builder: the rig, `vlab run` and the practicals record the same keys."""

from __future__ import annotations

from vlab.protocols import load_protocol
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator


def _rig_sweep(protocol):
    rig = Rig()
    rig.set_protocol(protocol)
    return next(b.record for b in RigSimulator(rig).run_episode() if b.record is not None)


def test_rig_cli_and_practicals_write_the_same_provenance_keys():
    from vlab.cli import provenance
    from vlab.practicals.model import Preset
    from vlab.practicals.rigsetup import simulate_sweeps
    from vlab.sim.cell import Cell

    p = load_protocol("single_pulse")
    rig = _rig_sweep(p).provenance
    cli = provenance(Cell("squid"), p, 0)
    practical = simulate_sweeps(Preset(protocol="single_pulse"))[0].provenance
    core = set(cli)  # vlab run: nothing but the builder's own keys
    assert core <= set(rig) and core <= set(practical)
    per_sweep = {"sweep", "n_sweeps", "created", "practical"}
    assert set(rig) - core <= per_sweep | {"amplifier", "repeat", "cycle"}
    assert set(practical) - core <= per_sweep
    for key in ("preparation", "mode", "protocol_name", "temperature_C", "parameters"):
        assert rig[key] == cli[key] == practical[key], key
    assert rig["mode"] == "CC" and rig["protocol_toml"] == cli["protocol_toml"]
