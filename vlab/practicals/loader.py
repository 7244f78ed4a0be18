"""Load and validate practical files (``resources/practicals/<name>.toml``).

The format is documented for instructors in ``docs/practicals.md``. Validation happens
on load and names the file, the key (``steps[2].questions[0].tolerance``), what is wrong
and what is allowed. :func:`validate_deep` additionally builds every step's membrane and
computes every answer for one student, which catches values the model refuses.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from pathlib import Path

from vlab.clamp import ClampMode
from vlab.practicals.errors import PracticalError
from vlab.practicals.model import (
    HIDEABLE_READOUTS,
    LOCKABLE_CONTROLS,
    QUESTION_KINDS,
    Practical,
    Preset,
    Question,
    Step,
    Unknown,
)
from vlab.practicals.unknowns import PLACEHOLDER
from vlab.resources import list_resources
from vlab.safe_read import BadFileError, loads_toml, read_text
from vlab.schema import Field, check_fields, is_number

__all__ = ["builtin_practicals", "load_practical", "parse_practical", "validate_deep"]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

#: one-line messages the practical reader has always given (``{value!r}`` is the value)
_TEXT = {"missing": "missing (required)", "kind": "must be text in quotes, not {value!r}"}
_REQUIRED_TEXT = Field(
    "text", required=True, non_empty=True, messages={**_TEXT, "empty": "must not be empty"}
)
_OPTIONAL_TEXT = Field("text", default="", messages=_TEXT)
_TEXTS = Field("list", default=[], messages={"kind": "must be a list of texts"})
_WHOLE = {"kind": "minutes and order must be whole numbers"}
_ATTEMPTS = Field(
    "integer",
    default=0,
    low=0,
    high=100,
    messages={
        "kind": "{value!r}; a whole number of attempts from 1 to 100",
        "range": "{value!r}; a whole number of attempts from 1 to 100",
    },
)

#: the top level of a practical file
TOP_FIELDS = {
    "name": _REQUIRED_TEXT,
    "title": _REQUIRED_TEXT,
    "summary": _REQUIRED_TEXT,
    "concepts": _TEXTS,
    "sources": _TEXTS,
    "minutes": Field("integer", default=30, messages=_WHOLE),
    "order": Field("integer", default=100, messages=_WHOLE),
    "graded": Field("flag", default=False, messages={"kind": "{value!r}; true or false"}),
    "attempts": _ATTEMPTS,
    "unknowns": Field(
        "table", default={}, messages={"kind": "must be a table of [unknowns.NAME] sections"}
    ),
    "steps": Field(
        "list",
        required=True,
        messages={
            "kind": "missing: a practical needs at least one [[steps]] section",
            "missing": "missing: a practical needs at least one [[steps]] section",
        },
    ),
}
#: one ``[[steps]]`` section
STEP_FIELDS = {
    "id": _REQUIRED_TEXT,
    "title": _REQUIRED_TEXT,
    "text": _REQUIRED_TEXT,
    "preset": Field("table", messages={"kind": "must be a table"}),
    "questions": Field(
        "list", default=[], messages={"kind": "must be [[steps.questions]] sections"}
    ),
    "hide": Field("list", default=[], messages={"kind": "{value!r}; a list of: reversals, ghk"}),
}
#: a step's ``[steps.preset]``
PRESET_FIELDS = {
    "preparation": _REQUIRED_TEXT,
    "mode": _REQUIRED_TEXT,
    "protocol": _OPTIONAL_TEXT,
    "holding": _OPTIONAL_TEXT,
    "parameters": Field(
        "table", default={}, messages={"kind": 'must be a table: {{ K_out = "20 mM" }}'}
    ),
    "drugs": Field("table", default={}, messages={"kind": 'must be a table: {{ TTX = "100 nM" }}'}),
    "locked": Field(
        "list",
        default=[],
        messages={"kind": f"{{value!r}}; a list of: {', '.join(LOCKABLE_CONTROLS)}"},
    ),
    "filter": _OPTIONAL_TEXT,
}
#: one ``[[steps.questions]]`` section (what each kind needs is checked in code)
QUESTION_FIELDS = {
    "id": _REQUIRED_TEXT,
    "kind": Field(
        "text",
        required=True,
        choices=QUESTION_KINDS,
        messages={**_TEXT, "choice": f"{{value!r}}; allowed: {', '.join(QUESTION_KINDS)}"},
    ),
    "prompt": _REQUIRED_TEXT,
    "answer": _OPTIONAL_TEXT,
    "unit": _OPTIONAL_TEXT,
    "tolerance": Field("any"),
    "choices": Field("any"),
    "correct": _OPTIONAL_TEXT,
    "require": Field("any"),
    "hint": _OPTIONAL_TEXT,
    "explanation": _OPTIONAL_TEXT,
    "attempts": _ATTEMPTS,
}
#: one ``[unknowns.NAME]`` section
UNKNOWN_FIELDS = {
    "kind": Field(
        "any",
        required=True,
        choices=("range", "choice"),
        messages={
            "missing": "None; allowed: 'range', 'choice'",
            "choice": "{value!r}; allowed: 'range', 'choice'",
        },
    ),
    "min": Field("scalar"),
    "max": Field("scalar"),
    "step": Field("scalar"),
    "spacing": Field(
        "text",
        default="linear",
        choices=("linear", "log"),
        messages={"choice": "{value!r}; allowed: 'linear', 'log' (log: equal ratios, min > 0)"},
    ),
    "unit": _OPTIONAL_TEXT,
    "options": Field("any"),
}
#: keys a free-text question may not have: the instructor marks it
_NOT_FOR_TEXT = ("answer", "unit", "tolerance", "choices", "correct", "require", "attempts")


def builtin_practicals() -> dict[str, Path]:
    """Practical files shipped with vlab: name (file stem) -> path."""
    return {p.stem: p for p in list_resources("practicals", ".toml")}


def user_practicals_dir() -> Path:
    """The instructor's own practicals: ``<user data>/my_practicals`` (their protocols in
    its ``protocols`` subfolder); no resources tree to copy, no variable to set."""
    from vlab.practicals.progress import data_dir

    return data_dir() / "my_practicals"


def user_practicals() -> dict[str, Path]:
    """Practical files in :func:`user_practicals_dir`: name -> path (a name that a
    built-in practical already uses is left out; :func:`practical_problems` says so)."""
    folder = user_practicals_dir()
    try:
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    except OSError:
        return {}
    builtins = builtin_practicals()
    return {p.stem: p for p in files if p.stem not in builtins}


def available_practicals() -> dict[str, Path]:
    """Built-in and the user's own practicals: name -> path."""
    return {**builtin_practicals(), **user_practicals()}


def practical_problems() -> dict[str, str]:
    """Practical files that cannot be used: name -> one-line reason (for the GUI and
    ``vlab practical list``; a broken file must not pass silently)."""
    out = {}
    for name, path in available_practicals().items():
        try:
            load_practical(path)
        except PracticalError as exc:
            out[name] = str(exc)
    folder = user_practicals_dir()
    if folder.is_dir():
        for p in sorted(folder.glob("*.toml")):
            if p.stem in builtin_practicals():
                out[f"{p.stem} (yours)"] = (
                    f"{p}: a built-in practical is called {p.stem!r}; rename your file"
                )
    return out


def _exists(path: Path) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):  # name too long, NUL byte
        return False


def load_practical(name_or_path: str | Path) -> Practical:
    """Load a practical by built-in name or path; raises PracticalError with a clear message."""
    path = Path(name_or_path)
    builtins = available_practicals()
    if isinstance(name_or_path, str) and name_or_path in builtins:
        path = builtins[name_or_path]
    elif not _exists(path):
        close = difflib.get_close_matches(str(name_or_path), list(builtins), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise PracticalError(
            f"no practical called {str(name_or_path)!r}.{hint} Available: {', '.join(builtins) or '(none)'}"
        )
    try:
        text = read_text(path)
    except BadFileError as exc:
        raise PracticalError(f"{path}: {exc}") from None
    return parse_practical(text, source=path.name, expected_name=path.stem)


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, msg: str) -> PracticalError:
        return PracticalError(f"{self.source}: {key}: {msg}")

    def fields(self, d, schema: dict[str, Field], where: str) -> dict:
        """``d`` checked against ``schema`` (unknown keys refused with a did-you-mean):
        the values, defaults for absent keys."""
        if not isinstance(d, dict):
            raise self.fail(where.rstrip("."), "must be a table")
        for k in d:
            if k not in schema:
                close = difflib.get_close_matches(k, schema, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(
                    f"{where}{k}", f"unknown key{hint}; allowed: {', '.join(sorted(schema))}"
                )
        return check_fields(d, schema, lambda key, msg: self.fail(f"{where}{key}", msg))


def _quantity(ctx: _Ctx, key: str, text, dims) -> tuple[float, str]:
    from vlab.units import UnitError, parse_quantity

    if not isinstance(text, str):
        raise ctx.fail(
            key, f'must be a quantity with its unit in quotes, e.g. "2 mV", not {text!r}'
        )
    try:
        q = parse_quantity(text, dims)
    except UnitError as exc:
        raise ctx.fail(key, str(exc)) from exc
    return q.value, q.dimension


def _range_unknown(ctx: _Ctx, name: str, u: dict, where: str) -> Unknown:
    """A ``kind = "range"`` unknown: min, max (same unit), an optional grid step or
    ``spacing = "log"`` (equal ratios between min and max)."""
    for k in ("min", "max"):
        if u[k] is None:
            raise ctx.fail(f"{where}{k}", "missing (a range unknown needs min and max)")
    if is_number(u["min"]) and is_number(u["max"]):
        lo, hi, dim, unit = float(u["min"]), float(u["max"]), "number", ""
        if u["step"] is not None and not is_number(u["step"]):
            raise ctx.fail(f"{where}step", f"must be a number like min and max, not {u['step']!r}")
        st = float(u["step"] or 0.0)
    else:
        lo, dim = _quantity(ctx, f"{where}min", u["min"], None)
        hi, _ = _quantity(ctx, f"{where}max", u["max"], dim)
        st = _range_step(ctx, u["step"], dim, where)
        unit = u["unit"] or str(u["min"]).split(None, 1)[-1].strip()
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or st < 0:
        raise ctx.fail(where.rstrip("."), "needs min < max and a step >= 0")
    if u["spacing"] == "log" and (lo <= 0 or st):
        raise ctx.fail(f"{where}spacing", "log spacing needs min > 0 and no step")
    return Unknown(name, "range", lo, hi, st, unit, dim, spacing=u["spacing"])


def _range_step(ctx: _Ctx, step, dim: str, where: str) -> float:
    if step is None:
        return 0.0
    if dim != "temperature":
        return _quantity(ctx, f"{where}step", step, dim)[0]
    try:  # a temperature step is a difference, not a temperature
        return float(str(step).split()[0])
    except ValueError:
        raise ctx.fail(f"{where}step", 'a temperature step is written "1 degC"') from None


def _unknowns(ctx: _Ctx, table: dict) -> tuple[Unknown, ...]:
    out = []
    for name, raw in table.items():
        where = f"unknowns.{name}."
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ctx.fail(f"unknowns.{name}", "names are letters, digits and _ (no spaces)")
        u = ctx.fields(raw, UNKNOWN_FIELDS, where)
        if u["kind"] == "range":
            out.append(_range_unknown(ctx, name, u, where))
            continue
        opts = u["options"]
        if not isinstance(opts, list) or len(opts) < 2 or not all(isinstance(o, str) for o in opts):
            raise ctx.fail(f"{where}options", "a choice unknown needs a list of at least 2 texts")
        out.append(Unknown(name, "choice", options=tuple(opts)))
    return tuple(out)


def _check_placeholders(ctx: _Ctx, key: str, text: str, names: set[str]) -> None:
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) not in names:
            raise ctx.fail(
                key,
                f"{{{m.group(1)}}} names no unknown; declared: {', '.join(sorted(names)) or '(none)'}",
            )


def _preset(ctx: _Ctx, raw, where: str, names: set[str]) -> Preset:
    from vlab.sim.preparation import list_preparations

    d = ctx.fields(raw, PRESET_FIELDS, where)
    preps = list_preparations()
    if d["preparation"] not in preps:
        raise ctx.fail(
            f"{where}preparation", f"{d['preparation']!r}; available: {', '.join(preps)}"
        )
    try:
        mode = ClampMode.parse(d["mode"])
    except ValueError:
        raise ctx.fail(f"{where}mode", f"{d['mode']!r}; allowed: VC, CC, I=0") from None
    if d["protocol"]:
        _preset_protocol(ctx, d["protocol"], mode, where)
    if d["holding"]:
        if mode is ClampMode.I0:
            raise ctx.fail(f"{where}holding", "I=0 mode has no holding value")
        dim = "voltage" if mode is ClampMode.VC else "current"
        _quantity(ctx, f"{where}holding", d["holding"], dim)
    _preset_parameters(ctx, d["parameters"], where, names)
    _preset_drugs(ctx, d["drugs"], where, names)
    if d["filter"]:
        from vlab.practicals.rigsetup import filter_hz

        try:
            filter_hz(d["filter"])
        except PracticalError as exc:
            raise ctx.fail(f"{where}filter", str(exc)) from exc
    if any(x not in LOCKABLE_CONTROLS for x in d["locked"]):
        raise ctx.fail(
            f"{where}locked", f"{d['locked']!r}; a list of: {', '.join(LOCKABLE_CONTROLS)}"
        )
    return Preset(
        d["preparation"],
        mode,
        d["protocol"],
        d["holding"],
        tuple(d["parameters"].items()),
        tuple(d["drugs"].items()),
        tuple(d["locked"]),
        d["filter"],
    )


def _preset_protocol(ctx: _Ctx, proto: str, mode: ClampMode, where: str) -> None:
    from vlab.practicals.rigsetup import load_step_protocol, practical_protocols
    from vlab.protocols import builtin_protocols

    known = {**builtin_protocols(), **practical_protocols()}
    if proto not in known:
        raise ctx.fail(f"{where}protocol", f"{proto!r}; available: {', '.join(sorted(known))}")
    p = load_step_protocol(proto)
    if p.mode is not (ClampMode.VC if mode is ClampMode.VC else ClampMode.CC):
        raise ctx.fail(
            f"{where}protocol", f"{proto!r} is a {p.mode.words} protocol but mode is {mode}"
        )


def _preset_parameters(ctx: _Ctx, params: dict, where: str, names: set[str]) -> None:
    from vlab.sim.cell import PARAMETERS

    for k, v in params.items():
        if k not in PARAMETERS:
            raise ctx.fail(
                f"{where}parameters.{k}", f"unknown parameter; valid: {', '.join(PARAMETERS)}"
            )
        if not isinstance(v, str):
            raise ctx.fail(
                f"{where}parameters.{k}", f"must be a value with unit in quotes, not {v!r}"
            )
        _check_placeholders(ctx, f"{where}parameters.{k}", v, names)


def _preset_drugs(ctx: _Ctx, drugs: dict, where: str, names: set[str]) -> None:
    from vlab.sim.drugs import DrugError, get_drug

    for k, v in drugs.items():
        _check_placeholders(ctx, f"{where}drugs.{k}", k, names)
        if not PLACEHOLDER.search(k):
            try:
                get_drug(k)
            except DrugError as exc:
                raise ctx.fail(f"{where}drugs.{k}", str(exc)) from exc
        if not isinstance(v, str):
            raise ctx.fail(f"{where}drugs.{k}", f"must be a concentration in quotes, not {v!r}")
        _check_placeholders(ctx, f"{where}drugs.{k}", v, names)


def _question(ctx: _Ctx, raw, where: str, names: set[str]) -> Question:
    from vlab.practicals.answers import parse_call

    if not isinstance(raw, dict):
        raise ctx.fail(where.rstrip("."), "must be a table ([[steps.questions]])")
    d = ctx.fields(raw, QUESTION_FIELDS, where)
    if not _ID.match(d["id"]):
        raise ctx.fail(
            f"{where}id", f"{d['id']!r}: use letters, digits, _ and - (starting with a letter)"
        )
    fname = ""
    if d["answer"]:
        try:
            fname, args = parse_call(d["answer"])
        except PracticalError as exc:
            raise ctx.fail(f"{where}answer", str(exc)) from exc
        for a in args:
            _check_placeholders(ctx, f"{where}answer", a, names)
    kind = d["kind"]
    kw: dict = {"attempts": d["attempts"]}
    if kind == "numeric":
        kw.update(_numeric(ctx, d, fname, where))
    elif kind == "choice":
        kw.update(_choice(ctx, d, fname, where))
    elif kind == "text":
        for k in _NOT_FOR_TEXT:
            if k in raw:
                raise ctx.fail(
                    f"{where}{k}",
                    "a free-text question is marked by the instructor: it takes only "
                    "'prompt' and optionally 'hint' and 'explanation'",
                )
    else:
        kw["require"] = _require(ctx, d, where)
    return Question(
        d["id"],
        kind,
        d["prompt"],
        answer=d["answer"],
        hint=d["hint"],
        explanation=d["explanation"],
        **kw,
    )


def _returns(fname: str) -> str:
    from vlab.practicals.answers import REGISTRY

    return REGISTRY[fname].returns


def _numeric(ctx: _Ctx, d: dict, fname: str, where: str) -> dict:
    """A numeric question's unit and tolerance (absolute, SI, or relative)."""
    from vlab.units import UnitError, parse_quantity

    if not fname:
        raise ctx.fail(
            f"{where}answer", 'a numeric question needs an answer function, e.g. "nernst:K"'
        )
    if _returns(fname) != "number":
        raise ctx.fail(f"{where}answer", f"{fname!r} returns a choice, not a number")
    unit = d["unit"]
    if not unit.strip():
        raise ctx.fail(f"{where}unit", "missing (required)")
    try:
        dim = "number" if unit == "1" else parse_quantity(f"1 {unit}").dimension
    except UnitError as exc:
        raise ctx.fail(f"{where}unit", str(exc)) from exc
    tol, kw = d["tolerance"], {"unit": unit}
    if isinstance(tol, str) and tol.strip().endswith("%"):
        try:
            kw["rel_tolerance"] = float(tol.strip()[:-1]) / 100.0
        except ValueError:
            raise ctx.fail(f"{where}tolerance", f'{tol!r} is not a percentage like "5 %"') from None
    elif dim == "number" and is_number(tol):
        kw["tolerance"] = float(tol)
    elif isinstance(tol, str):
        kw["tolerance"] = _quantity(ctx, f"{where}tolerance", tol, dim)[0]
    else:
        raise ctx.fail(
            f"{where}tolerance", 'missing: an absolute "2 mV" or a relative "5 %" tolerance'
        )
    if not (kw.get("tolerance", 0) >= 0 and kw.get("rel_tolerance", 0) >= 0):
        raise ctx.fail(f"{where}tolerance", "must not be negative")
    return kw


def _choice(ctx: _Ctx, d: dict, fname: str, where: str) -> dict:
    """A choice question's choices and its key: a fixed ``correct`` or a function."""
    ch = d["choices"]
    if not isinstance(ch, dict) or len(ch) < 2 or not all(isinstance(v, str) for v in ch.values()):
        raise ctx.fail(
            f"{where}choices", 'needs a table of at least 2 choices: { key = "label", ... }'
        )
    correct = d["correct"]
    if bool(correct) == bool(fname):
        raise ctx.fail(
            where.rstrip("."),
            "a choice question needs exactly one of 'answer' "
            "(a function) or 'correct' (a fixed key, for concept questions)",
        )
    if correct and correct not in ch:
        raise ctx.fail(f"{where}correct", f"{correct!r} is not a choice key; keys: {', '.join(ch)}")
    if fname and _returns(fname) != "choice" and fname != "unknown":
        raise ctx.fail(f"{where}answer", f"{fname!r} returns a number, not a choice key")
    return {"choices": tuple(ch.items()), "correct": correct}


def _require(ctx: _Ctx, d: dict, where: str) -> tuple[str, ...]:
    """A recording question's conditions (each parsed here, checked on a sweep later)."""
    from vlab.practicals.checks import parse_condition

    req = d["require"]
    if not isinstance(req, list) or not req or not all(isinstance(r, str) for r in req):
        raise ctx.fail(
            f"{where}require",
            "a recording question needs a list of conditions, "
            'e.g. ["drug(TTX) >= 10 nM", "max(Vm) < 0 mV"]',
        )
    for i, r in enumerate(req):
        try:
            parse_condition(r)
        except PracticalError as exc:
            raise ctx.fail(f"{where}require[{i}]", str(exc)) from exc
    if d["answer"]:
        raise ctx.fail(
            f"{where}answer", "a recording question is checked by 'require', not 'answer'"
        )
    return tuple(req)


def _step(ctx: _Ctx, raw, i: int, previous: Preset | None, names: set[str]) -> Step:
    where = f"steps[{i}]."
    s = ctx.fields(raw, STEP_FIELDS, where)
    if not _ID.match(s["id"]):
        raise ctx.fail(f"{where}id", f"{s['id']!r} must be unique and use letters, digits, _ and -")
    if s["preset"] is not None:
        preset = _preset(ctx, s["preset"], f"{where}preset.", names)
    elif previous is None:
        raise ctx.fail(
            f"{where}preset", "the first step needs a [steps.preset] (later steps inherit it)"
        )
    else:
        preset = previous
    if any(h not in HIDEABLE_READOUTS for h in s["hide"]):
        raise ctx.fail(f"{where}hide", f"{s['hide']!r}; a list of: {', '.join(HIDEABLE_READOUTS)}")
    questions = tuple(
        _question(ctx, q, f"{where}questions[{j}].", names) for j, q in enumerate(s["questions"])
    )
    return Step(s["id"], s["title"], s["text"], preset, questions, tuple(s["hide"]))


def _unique(ctx: _Ctx, steps: list[Step]) -> None:
    """Step ids and question ids are unique in the practical."""
    seen_steps: set[str] = set()
    seen_q: set[str] = set()
    for i, step in enumerate(steps):
        if step.id in seen_steps:
            raise ctx.fail(
                f"steps[{i}].id", f"{step.id!r} must be unique and use letters, digits, _ and -"
            )
        seen_steps.add(step.id)
        for j, q in enumerate(step.questions):
            if q.id in seen_q:
                raise ctx.fail(f"steps[{i}].questions[{j}].id", f"{q.id!r} is used twice")
            seen_q.add(q.id)


def parse_practical(
    text: str, source: str = "<practical>", expected_name: str | None = None
) -> Practical:
    """Parse and validate a practical from TOML text (see ``docs/practicals.md``)."""
    ctx = _Ctx(source)
    try:
        raw = loads_toml(text, source)
    except BadFileError as exc:
        raise PracticalError(str(exc)) from None
    d = ctx.fields(raw, TOP_FIELDS, "")
    name = d["name"]
    if not _ID.match(name):
        raise ctx.fail("name", f"{name!r}: use letters, digits, _ and -")
    if expected_name is not None and name != expected_name:
        raise ctx.fail("name", f"{name!r} must equal the file name {expected_name!r}")
    for key in ("concepts", "sources"):
        if not all(isinstance(x, str) for x in d[key]):
            raise ctx.fail(key, "must be a list of texts")
    unknowns = _unknowns(ctx, d["unknowns"])
    names = {u.name for u in unknowns}
    if not d["steps"]:
        raise ctx.fail("steps", "missing: a practical needs at least one [[steps]] section")
    steps: list[Step] = []
    for i, s in enumerate(d["steps"]):
        steps.append(_step(ctx, s, i, steps[-1].preset if steps else None, names))
    _unique(ctx, steps)
    return Practical(
        name=name,
        title=d["title"],
        summary=d["summary"],
        steps=tuple(steps),
        unknowns=unknowns,
        concepts=tuple(d["concepts"]),
        sources=tuple(d["sources"]),
        minutes=d["minutes"],
        order=d["order"],
        graded=d["graded"],
        attempts=d["attempts"],
        source=source,
    )


def unstable_steps(practical: Practical, student_id: str = "validation") -> list[str]:
    """Ids of the steps whose cell has no stable resting state (it fires on its own) for
    this student. Mystery steps (``drug_names`` locked) are left out: there a drug that
    makes the cell fire is part of the puzzle, and the text should say what to look for."""
    from vlab.practicals.rigsetup import build_cell, resolved
    from vlab.practicals.unknowns import draw_unknowns

    unknowns = draw_unknowns(practical, student_id)
    out = []
    for step in practical.steps:
        preset = resolved(step.preset, practical, unknowns)
        if "drug_names" in preset.locked:
            continue
        if not build_cell(preset).rest().stable:
            out.append(step.id)
    return out


def validate_deep(practical: Practical, student_id: str = "validation") -> dict[str, object]:
    """Build every step's membrane and compute every answer for one student.

    Returns the answer key ``{question id: value}``; raises PracticalError naming the
    step or question that fails.
    """
    from vlab.practicals.session import answer_key

    key = answer_key(practical, student_id)
    for _, q in practical.questions():
        if q.kind == "choice" and q.id in key and key[q.id] not in dict(q.choices):
            raise PracticalError(
                f"{practical.source}: question {q.id!r}: the answer function gave {key[q.id]!r}, "
                f"which is not one of the choice keys {', '.join(dict(q.choices))}"
            )
    return key
