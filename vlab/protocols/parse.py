"""Reading protocol TOML text into a validated :class:`~vlab.protocols.model.Protocol`.

This module checks the *shape* of the file: TOML syntax, unknown and missing keys,
value types, units and dimensions.  Ranges and timing are checked by
:mod:`vlab.protocols.validate` when the Protocol is constructed.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from vlab.clamp import ClampMode
from vlab.protocols.errors import ProtocolError
from vlab.protocols.model import (
    ACQUISITIONS,
    COMMAND_DIMENSIONS,
    EPOCH_TYPES,
    MODES,
    Epoch,
    Protocol,
)
from vlab.protocols.validate import EPOCH_KEYS
from vlab.safe_read import BadFileError, loads_toml, read_bytes
from vlab.units import Quantity, UnitError, parse_quantity

__all__ = [
    "PROTOCOL_KEYS",
    "REQUIRED_KEYS",
    "load_protocol_file",
    "parse_protocol",
    "protocol_from_dict",
]

#: Largest protocol file read (bytes); real ones are a few kB.
MAX_PROTOCOL_BYTES = 2**20

#: Keys accepted at the top level of a protocol file, in the order they are written.
PROTOCOL_KEYS = (
    "name",
    "description",
    "mode",
    "acquisition",
    "holding",
    "sweeps",
    "sweep_duration",
    "sample_interval",
    "start_to_start",
    "epochs",
)
#: Top-level keys that must be present.
REQUIRED_KEYS = ("name", "mode", "holding", "sweeps", "sweep_duration", "sample_interval")
_REQUIRED_EPOCH_KEYS = {
    "step": ("type", "duration", "level"),
    "ramp": ("type", "duration", "level"),
    "train": ("type", "duration", "level", "pulse_width", "period", "pulses"),
}
_EXAMPLES = {
    "name": 'name = "Single 1 ms pulse"',
    "mode": 'mode = "CC"  (current clamp; or "VC", voltage clamp)',
    "holding": 'holding = "0 uA/cm2" (current clamp) or holding = "-65 mV" (voltage clamp)',
    "sweeps": "sweeps = 1",
    "sweep_duration": 'sweep_duration = "30 ms"',
    "sample_interval": 'sample_interval = "10 us"',
    "type": 'type = "step"  (step, ramp or train)',
    "duration": 'duration = "5 ms"',
    "level": 'level = "10 uA/cm2" (current clamp) or level = "-40 mV" (voltage clamp)',
    "pulse_width": 'pulse_width = "1 ms"',
    "period": 'period = "10 ms"',
    "pulses": "pulses = 5",
}


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.context = ""

    def fail(self, key: str | None, problem: str) -> ProtocolError:
        return ProtocolError(problem, source=self.source, key=key)

    def check_keys(
        self, prefix: str, table: dict[str, Any], valid: tuple[str, ...], what: str
    ) -> None:
        for k in table:
            if k not in valid and prefix and k in EPOCH_KEYS["train"]:
                raise self.fail(
                    f"{prefix}{k}",
                    f"only train epochs take {k}; this is {what}. Valid keys: {', '.join(valid)}",
                )
            if k not in valid:
                hint = difflib.get_close_matches(k, valid, n=1)
                did = f" Did you mean {hint[0]!r}?" if hint else ""
                raise self.fail(
                    f"{prefix}{k}",
                    f"unknown key in {what}.{did} Valid keys: {', '.join(valid)}",
                )

    def require(self, prefix: str, table: dict[str, Any], keys: tuple[str, ...], what: str) -> None:
        for k in keys:
            if k not in table:
                raise self.fail(
                    f"{prefix}{k}",
                    f"missing required key in {what}; add e.g. {_EXAMPLES.get(k, k)}",
                )

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string in quotes, got {value!r}")
        return value

    def choice(self, key: str, value: Any, allowed: tuple[str, ...]) -> str:
        value = self.string(key, value)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not allowed; use one of: {', '.join(allowed)}")
        return value

    def clamp_mode(self, key: str, value: Any) -> ClampMode:
        """``VC`` or ``CC``, in any spelling :meth:`ClampMode.parse` reads."""
        try:
            mode = ClampMode.parse(self.string(key, value))
        except ValueError:
            mode = None
        if mode not in MODES:
            raise self.fail(
                key, f"{value!r} is not allowed; use 'VC' (voltage clamp) or 'CC' (current clamp)"
            )
        return mode

    def integer(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                key, f"must be a whole number without quotes or unit, e.g. 10; got {value!r}"
            )
        return value

    def quantity(
        self, key: str, value: Any, allowed: tuple[str, ...], context: str = ""
    ) -> Quantity:
        try:
            return parse_quantity(value, allowed)
        except UnitError as e:
            try:  # a valid quantity of the wrong dimension: say which protocol type wants what
                parse_quantity(value)
            except UnitError:
                context = ""
            raise self.fail(key, f"{e}{context}") from None

    def time(self, key: str, value: Any) -> float:
        return self.quantity(key, value, ("time",)).value

    # ------------------------------------------------------------------ tables
    def protocol(self, data: dict[str, Any]) -> Protocol:
        self.check_keys("", data, PROTOCOL_KEYS, "the protocol")
        self.require("", data, REQUIRED_KEYS, "the protocol")
        name = self.string("name", data["name"])
        description = self.string("description", data.get("description", ""))
        mode = self.clamp_mode("mode", data["mode"])
        acquisition = self.choice("acquisition", data.get("acquisition", "episodic"), ACQUISITIONS)
        dims = COMMAND_DIMENSIONS[mode]
        self.context = f" in a {mode.words} protocol"
        holding = self.quantity("holding", data["holding"], dims, self.context)
        sweeps = self.integer("sweeps", data["sweeps"])
        sweep_duration = self.time("sweep_duration", data["sweep_duration"])
        sample_interval = self.time("sample_interval", data["sample_interval"])
        s2s = data.get("start_to_start")
        start_to_start = None if s2s is None else self.time("start_to_start", s2s)
        raw_epochs = data.get("epochs", [])
        if isinstance(raw_epochs, dict):
            raise self.fail(
                "epochs",
                "write each epoch as an array-of-tables entry [[epochs]] (double brackets), not [epochs]",
            )
        if not isinstance(raw_epochs, list):
            raise self.fail("epochs", f"must be a list of [[epochs]] tables, got {raw_epochs!r}")
        epochs = tuple(self.epoch(i, raw, dims) for i, raw in enumerate(raw_epochs))
        return Protocol(
            name=name,
            description=description,
            mode=mode,
            acquisition=acquisition,
            holding=holding,
            sweeps=sweeps,
            sweep_duration=sweep_duration,
            sample_interval=sample_interval,
            start_to_start=start_to_start,
            epochs=epochs,
            source=self.source,
        )

    def epoch(self, i: int, raw: Any, dims: tuple[str, ...]) -> Epoch:
        prefix = f"epochs[{i}]."
        what = "an [[epochs]] table"
        if not isinstance(raw, dict):
            raise self.fail(f"epochs[{i}]", f"must be a table of epoch keys, got {raw!r}")
        if "type" not in raw:
            self.check_keys(prefix, raw, EPOCH_KEYS["train"], what)
            self.require(prefix, raw, ("type",), what)
        etype = self.choice(f"{prefix}type", raw["type"], EPOCH_TYPES)
        self.check_keys(prefix, raw, EPOCH_KEYS[etype], f"a {etype} epoch")
        self.require(prefix, raw, _REQUIRED_EPOCH_KEYS[etype], f"a {etype} epoch")
        kw: dict[str, Any] = {
            "type": etype,
            "duration": self.time(f"{prefix}duration", raw["duration"]),
            "level": self.quantity(f"{prefix}level", raw["level"], dims, self.context),
        }
        if "level_increment" in raw:
            kw["level_increment"] = self.quantity(
                f"{prefix}level_increment", raw["level_increment"], dims, self.context
            )
        for name in (
            "duration_increment",
            "pulse_width",
            "period",
            "pulse_width_increment",
            "period_increment",
        ):
            if name in raw:
                kw[name] = self.time(f"{prefix}{name}", raw[name])
        if "pulses" in raw:
            kw["pulses"] = self.integer(f"{prefix}pulses", raw["pulses"])
        return Epoch(**kw)


def protocol_from_dict(data: dict[str, Any], source: str = "<dict>") -> Protocol:
    """Build a Protocol from an already-parsed TOML table (same rules as :func:`parse_protocol`)."""
    if not isinstance(data, dict):
        raise ProtocolError(
            f"expected a table of protocol keys, got {type(data).__name__}", source=source
        )
    return _Reader(source).protocol(data)


def parse_protocol(text: str | bytes, source: str = "<string>") -> Protocol:
    """Parse protocol TOML text.

    Parameters
    ----------
    text : str or bytes
        The TOML document (bytes are decoded as UTF-8).
    source : str
        Name used at the start of every error message, usually the file name.

    Returns
    -------
    Protocol
        Validated; all values in SI units.

    Raises
    ------
    ProtocolError
        Malformed TOML (with TOML's line and column), unknown or missing keys, wrong
        units or dimensions, or values out of range.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProtocolError(f"is not UTF-8 text ({e})", source=source) from None
    if not isinstance(text, str):
        raise ProtocolError(f"is {type(text).__name__}, not TOML text", source=source)
    try:
        data = loads_toml(text, source)
    except BadFileError as e:  # invalid TOML (line and column), too large, nested too deeply
        problem = str(e).removeprefix(source).lstrip(": ")
        raise ProtocolError(problem, source=source) from None
    return protocol_from_dict(data, source)


def protocol_from_provenance(provenance: Any) -> Protocol | None:
    """The protocol a recorded sweep names in ``provenance["protocol_toml"]``, or None.

    None when the provenance has no protocol text or the text no longer parses (an
    old file); exporters then describe the command without it.
    """
    text = provenance.get("protocol_toml") if isinstance(provenance, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return parse_protocol(text, "recorded protocol")
    except ProtocolError:
        return None


def load_protocol_file(path: str | Path) -> Protocol:
    """Read and parse a protocol file; errors name the file."""
    path = Path(path)
    try:
        raw = read_bytes(path, MAX_PROTOCOL_BYTES)
    except BadFileError as e:
        if not os.path.lexists(path):
            raise ProtocolError("no such protocol file", source=str(path)) from None
        raise ProtocolError(str(e), source=str(path)) from None
    return parse_protocol(raw, source=str(path))
