"""Runs of a recording, labelled by their conditions (drugs, solutions, clamp mode).

A *run* is the sweeps one press of Run recorded (one ``run_id``; each cycle of a Repeat
run is its own run). The analysis workspace groups the recording by run and by
*condition* — what was different about the cell: the drugs at the cell and the
concentrations that differ from the preparation's defaults — so that "control", "TTX
300 nM" and "TEA 10 mM" runs can be told apart, ticked and compared as groups. Sweeps are
numbered through the whole recording (1, 2, 3, …), never restarting at each run.

Qt-free; reads only the sweeps' provenance (SI units, concentrations in mM).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vlab.clamp import ClampMode
from vlab.units import format_si

__all__ = ["CONTROL", "Run", "condition_of", "group_runs", "run_key"]

#: the condition of a run with no drug and the preparation's own solutions
CONTROL = "control"
_MIN_BLOCK = 0.01  # a drug blocking less than 1 % at the cell (washed out) is not a condition


def run_key(sweep) -> tuple:
    """What identifies the run of ``sweep``: its run id and Repeat cycle."""
    prov = sweep.provenance
    rid = prov.get("run_id")
    if rid is None:  # sweeps made outside the rig (scripts): one run per protocol + label
        return ("", prov.get("protocol_name", ""), getattr(sweep, "label", ""))
    return (str(rid), int(prov.get("cycle", 0) or 0))


def _drugs(prov: Mapping) -> list[str]:
    out = []
    for name, info in sorted((prov.get("drugs") or {}).items()):
        if not isinstance(info, Mapping):
            continue
        if info.get("hidden"):
            out.append(str(name))
            continue
        c = info.get("concentration_M")
        f = info.get("fraction_blocked")
        if isinstance(f, (int, float)) and f < _MIN_BLOCK:
            continue
        if isinstance(c, (int, float)) and math.isfinite(c):
            out.append(f"{name} {format_si(float(c), 'M')}")
        else:
            out.append(str(name))
    return out


def condition_of(sweep, defaults: Mapping[str, float] | None = None) -> str:
    """A short description of what differed: ``"TTX 300 nM, K_out 100 mM"`` or ``"control"``
    (``"imported: cell.abf"`` for a real recording opened in the analysis window).

    ``defaults`` are the preparation's own concentrations (mM, keys like ``"K_out"``);
    without them only drugs are named.
    """
    prov = sweep.provenance
    if prov.get("imported"):  # a real recording: what differed is not known, its file is
        return f"imported: {prov.get('source_file') or getattr(sweep, 'label', '')}"
    parts = _drugs(prov)
    conc = prov.get("concentrations") or {}
    if defaults:
        for key in sorted(conc):
            base = defaults.get(key)
            val = conc[key]
            if isinstance(base, (int, float)) and isinstance(val, (int, float)):
                if not math.isclose(float(val), float(base), rel_tol=1e-6, abs_tol=1e-9):
                    parts.append(f"{key} {float(val):g} mM")
    return ", ".join(parts) if parts else CONTROL


@dataclass
class Run:
    """One run of the recording (see module docstring).

    Attributes
    ----------
    number : 1-based run number in recording order
    mode : clamp mode (``'VC'``, ``'CC'``, …)
    protocol : the protocol's name
    condition : :func:`condition_of` its first sweep
    sweeps : the sweeps, in order
    first : the recording-wide number (1-based) of its first sweep
    repeat_cycle : the Repeat cycle (None for a single run)
    numbers : the recording-wide number (1-based) of each sweep
    """

    number: int
    key: tuple
    mode: str
    protocol: str
    condition: str
    first: int
    sweeps: list = field(default_factory=list)
    repeat_cycle: int | None = None
    numbers: list[int] = field(default_factory=list)

    @property
    def title(self) -> str:
        """E.g. ``"Run 3 · VC · Voltage-step family · TTX 300 nM"``."""
        cyc = f" (repeat {self.repeat_cycle + 1})" if self.repeat_cycle is not None else ""
        return f"Run {self.number}{cyc} · {self.mode} · {self.protocol} · {self.condition}"


def group_runs(
    sweeps: Sequence,
    defaults: Mapping[str, Mapping[str, float]] | None = None,
    previous: Sequence[Run] = (),
) -> list[Run]:
    """The recording's runs in order; ``defaults`` maps preparation -> its concentrations.

    Runs and sweeps are numbered 1, 2, 3, … in recording order. ``previous`` are the runs
    of an earlier call on the same recording: the runs and sweeps still in it keep their
    numbers and new ones continue after the highest, so when the memory budget drops the
    oldest sweeps the others are not renumbered (sweep #1203 stays #1203).
    """
    old_sweeps = {
        id(s): n for run in previous for s, n in zip(run.sweeps, run.numbers, strict=True)
    }
    old_runs = {_identity(run.key, run.sweeps[0]): run.number for run in previous if run.sweeps}
    here = {id(s) for s in sweeps}
    next_sweep = 1 + max((n for i, n in old_sweeps.items() if i in here), default=0)
    next_run = 1 + max(
        (run.number for run in previous if any(id(s) in here for s in run.sweeps)), default=0
    )
    runs: list[Run] = []
    by_key: dict[tuple, Run] = {}
    for s in sweeps:
        key = run_key(s)
        run = by_key.get(key)
        if run is None or (runs and runs[-1] is not run and not key[0]):
            prov = s.provenance
            prep_defaults = (defaults or {}).get(str(prov.get("preparation", "")))
            try:
                mode = ClampMode.parse(getattr(s, "mode", None) or prov.get("mode")).value
            except ValueError:
                mode = "?"
            repeat = int(prov.get("cycle", 0) or 0) if prov.get("repeat") else None
            number = old_runs.get(_identity(key, s)) if id(s) in old_sweeps else None
            if number is None:
                number, next_run = next_run, next_run + 1
            run = Run(
                number=number,
                key=key,
                mode=mode,
                protocol=str(prov.get("protocol_name", "") or getattr(s, "label", "") or "?"),
                condition=condition_of(s, prep_defaults),
                first=0,
                repeat_cycle=repeat,
            )
            runs.append(run)
            by_key[key] = run
        n = old_sweeps.get(id(s))
        if n is None:
            n, next_sweep = next_sweep, next_sweep + 1
        run.sweeps.append(s)
        run.numbers.append(n)
    for run in runs:
        run.first = run.numbers[0]
    return runs


def _identity(key: tuple, first_sweep) -> tuple:
    """What names a run between calls: its run id and cycle, or (sweeps made outside the
    rig, which have none) its key and first sweep."""
    return key if key[0] else (key, id(first_sweep))
