"""The one provenance builder: what a recorded sweep says about how it was made.

The rig (GUI recordings), ``vlab run`` and the practicals' simulated sweeps all call
:func:`sweep_provenance`, so a sweep carries the same keys whichever way it was made and
the recording checks, exporters and reports treat them alike. Values are SI except where
the key says otherwise (``temperature_C``, ``reversal_mV``).
"""

from __future__ import annotations

from typing import Any

from vlab import __version__
from vlab.clamp import ClampMode
from vlab.protocols import Protocol, protocol_to_toml
from vlab.rig.rig import Amplifier
from vlab.sim.cell import Cell
from vlab.sim.drugs import drug_provenance

__all__ = ["IM_OUTPUT_SCALE", "VM_OUTPUT_SCALE", "sweep_provenance"]

VM_OUTPUT_SCALE = 10.0  # V at the amplifier's Vm output per V of membrane, at gain 1 (10 mV/mV)
IM_OUTPUT_SCALE = (
    1e6  # V at the amplifier's Im output per A of membrane current, at gain 1 (1 V/uA)
)


def sweep_provenance(
    cell: Cell,
    protocol: Protocol | None,
    *,
    mode: ClampMode | None = None,
    seed: int = 0,
    run_id: str | None = None,
    amplifier: Amplifier | None = None,
    hide_drug_names: bool = False,
    practical: dict | None = None,
    protocol_toml: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Provenance of sweeps recorded from ``cell`` under ``protocol``.

    Parameters
    ----------
    protocol
        The protocol; None for gap-free streaming (``protocol_name`` is then
        ``"gap-free"``, there is no ``protocol_toml``, and ``mode`` must be given).
    mode
        The clamp mode recorded (default: the protocol's); written as its value.
    amplifier
        The amplifier settings (gain, low-pass filter) when a rig recorded the sweeps.
    hide_drug_names
        A mystery practical hides drug names on screen, so also in exported files.
    practical
        The open practical step (``PracticalSession.recording_tag``), stored as ``practical``.
    protocol_toml
        The protocol as TOML (default: written from ``protocol``).
    extra
        Further keys (``repeat``, ``cycle``, ``n_sweeps``...), added as given.
    """
    v = cell.values
    if protocol is None:
        if mode is None:
            raise ValueError("gap-free provenance needs the clamp mode")
        protocol_name = "gap-free"
    else:
        protocol_name = protocol.name
    if protocol_toml is None and protocol is not None:
        try:
            protocol_toml = protocol_to_toml(protocol)
        except Exception as exc:  # noqa: BLE001 - provenance must not stop a recording
            protocol_toml = f"# protocol could not be written as TOML: {exc}"
    prov: dict[str, Any] = {
        "vlab_version": __version__,
        "preparation": cell.prep.name,
        "parameters": dict(v),
        "pinned": {f"E_{k}": x for k, x in cell.pins.items()},
        "concentrations": {k: x for k, x in v.items() if k.endswith(("_in", "_out"))},
        "temperature_C": v["temperature"],
        "reversal_mV": {k: r * 1e3 for k, r in cell.reversals().items()},
        "drugs": drug_provenance(
            cell.drugs,
            hide_names=hide_drug_names,
            preparation=cell.prep.name,
            sides=cell.drug_sides,
        ),
        "pronase_removed": cell.pronase_removed,
        "mode": (mode if mode is not None else protocol.mode).value,  # type: ignore[union-attr]
        "protocol_name": protocol_name,
        "protocol_toml": protocol_toml,
        "seed": seed,
        "run_id": run_id if run_id is not None else f"{protocol_name}-seed{seed}",
    }
    if protocol_toml is None:
        del prov["protocol_toml"]
    if hide_drug_names:  # pronase damage would name the mystery drug
        del prov["pronase_removed"]
    if amplifier is not None:
        prov["amplifier"] = {
            "gain": amplifier.gain,
            "lowpass_hz": amplifier.lowpass_hz,  # 4-pole Bessel low-pass; None: off
            "Vm_output_V_per_V": VM_OUTPUT_SCALE * amplifier.gain,
            "Im_output_V_per_A": IM_OUTPUT_SCALE * amplifier.gain,
        }
    if practical:
        prov["practical"] = dict(practical)
    prov.update(extra)
    return prov
