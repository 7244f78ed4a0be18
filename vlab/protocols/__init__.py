"""Stimulation protocols: Clampex-style epochs with per-sweep increments, stored as TOML.

Qt-free.  Every number is an SI float (s, V, A, A/m^2); levels are
:class:`vlab.units.Quantity` so current clamp can mix absolute currents and densities.
The file format is documented for instructors in ``docs/protocols.md``.

>>> from vlab.protocols import load_protocol
>>> p = load_protocol("single_pulse")
>>> p.command(area_m2=1e-7).shape   # squid patch: 1e-3 cm2
(1, 3000)
"""

from vlab.protocols.errors import ProtocolError
from vlab.protocols.library import builtin_protocols, load_protocol
from vlab.protocols.model import ACQUISITIONS, EPOCH_TYPES, MODES, Epoch, Protocol
from vlab.protocols.parse import parse_protocol, protocol_from_dict, protocol_from_provenance
from vlab.protocols.write import format_quantity, protocol_to_toml

__all__ = [
    "ACQUISITIONS",
    "EPOCH_TYPES",
    "MODES",
    "Epoch",
    "Protocol",
    "ProtocolError",
    "builtin_protocols",
    "format_quantity",
    "load_protocol",
    "parse_protocol",
    "protocol_from_dict",
    "protocol_from_provenance",
    "protocol_to_toml",
]
