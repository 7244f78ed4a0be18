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

__all__ = ["builtin_practicals", "load_practical", "parse_practical", "validate_deep"]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_TOP_KEYS = {
    "name",
    "title",
    "summary",
    "concepts",
    "sources",
    "minutes",
    "order",
    "unknowns",
    "steps",
    "graded",
    "attempts",
}
_STEP_KEYS = {"id", "title", "text", "preset", "questions", "hide"}
_PRESET_KEYS = {
    "preparation",
    "mode",
    "protocol",
    "holding",
    "parameters",
    "drugs",
    "locked",
    "filter",
}
_Q_KEYS = {
    "id",
    "kind",
    "prompt",
    "answer",
    "unit",
    "tolerance",
    "choices",
    "correct",
    "require",
    "hint",
    "explanation",
    "attempts",
}
_U_KEYS = {"kind", "min", "max", "step", "unit", "options"}


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

    def text(self, d: dict, key: str, where: str, required: bool = True, default: str = "") -> str:
        if key not in d:
            if required:
                raise self.fail(f"{where}{key}", "missing (required)")
            return default
        v = d[key]
        if not isinstance(v, str):
            raise self.fail(f"{where}{key}", f"must be text in quotes, not {v!r}")
        if required and not v.strip():
            raise self.fail(f"{where}{key}", "must not be empty")
        return v

    def unknown_keys(self, d: dict, allowed: set[str], where: str) -> None:
        for k in d:
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(
                    f"{where}{k}", f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}"
                )


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


def _unknowns(ctx: _Ctx, table) -> tuple[Unknown, ...]:
    if not isinstance(table, dict):
        raise ctx.fail("unknowns", "must be a table of [unknowns.NAME] sections")
    out = []
    for name, u in table.items():
        where = f"unknowns.{name}."
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ctx.fail(f"unknowns.{name}", "names are letters, digits and _ (no spaces)")
        if not isinstance(u, dict):
            raise ctx.fail(f"unknowns.{name}", "must be a table")
        ctx.unknown_keys(u, _U_KEYS, where)
        kind = u.get("kind")
        if kind == "choice":
            opts = u.get("options")
            if (
                not isinstance(opts, list)
                or len(opts) < 2
                or not all(isinstance(o, str) for o in opts)
            ):
                raise ctx.fail(
                    f"{where}options", "a choice unknown needs a list of at least 2 texts"
                )
            out.append(Unknown(name, "choice", options=tuple(opts)))
        elif kind == "range":
            for k in ("min", "max"):
                if k not in u:
                    raise ctx.fail(f"{where}{k}", "missing (a range unknown needs min and max)")
            if isinstance(u["min"], (int, float)) and isinstance(u["max"], (int, float)):
                lo, hi, dim = float(u["min"]), float(u["max"]), "number"
                st = float(u.get("step", 0.0))
                unit = ""
            else:
                lo, dim = _quantity(ctx, f"{where}min", u["min"], None)
                hi, _ = _quantity(ctx, f"{where}max", u["max"], dim)
                if dim == "temperature":  # a step is a difference, not a temperature
                    try:
                        st = float(str(u.get("step", "0")).split()[0])
                    except ValueError:
                        raise ctx.fail(
                            f"{where}step", 'a temperature step is written "1 degC"'
                        ) from None
                else:
                    st = _quantity(ctx, f"{where}step", u["step"], dim)[0] if "step" in u else 0.0
                unit = u.get("unit") or str(u["min"]).split(None, 1)[-1].strip()
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or st < 0:
                raise ctx.fail(where.rstrip("."), "needs min < max and a step >= 0")
            out.append(Unknown(name, "range", lo, hi, st, unit, dim))
        else:
            raise ctx.fail(f"{where}kind", f"{kind!r}; allowed: 'range', 'choice'")
    return tuple(out)


def _check_placeholders(ctx: _Ctx, key: str, text: str, names: set[str]) -> None:
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) not in names:
            raise ctx.fail(
                key,
                f"{{{m.group(1)}}} names no unknown; declared: {', '.join(sorted(names)) or '(none)'}",
            )


def _preset(ctx: _Ctx, d, where: str, names: set[str]) -> Preset:
    from vlab.practicals.rigsetup import practical_protocols
    from vlab.protocols import builtin_protocols
    from vlab.sim.cell import PARAMETERS
    from vlab.sim.drugs import DrugError, get_drug
    from vlab.sim.preparation import list_preparations

    if not isinstance(d, dict):
        raise ctx.fail(where.rstrip("."), "must be a table")
    ctx.unknown_keys(d, _PRESET_KEYS, where)
    prep = ctx.text(d, "preparation", where)
    preps = list_preparations()
    if prep not in preps:
        raise ctx.fail(f"{where}preparation", f"{prep!r}; available: {', '.join(preps)}")
    raw_mode = ctx.text(d, "mode", where)
    try:
        mode = ClampMode.parse(raw_mode)
    except ValueError:
        raise ctx.fail(f"{where}mode", f"{raw_mode!r}; allowed: VC, CC, I=0") from None
    proto = ctx.text(d, "protocol", where, required=False)
    if proto:
        known = {**builtin_protocols(), **practical_protocols()}
        if proto not in known:
            raise ctx.fail(f"{where}protocol", f"{proto!r}; available: {', '.join(sorted(known))}")
        from vlab.practicals.rigsetup import load_step_protocol

        p = load_step_protocol(proto)
        if p.mode is not (ClampMode.VC if mode is ClampMode.VC else ClampMode.CC):
            raise ctx.fail(
                f"{where}protocol", f"{proto!r} is a {p.mode.words} protocol but mode is {mode}"
            )
    holding = ctx.text(d, "holding", where, required=False)
    if holding:
        if mode is ClampMode.I0:
            raise ctx.fail(f"{where}holding", "I=0 mode has no holding value")
        _quantity(ctx, f"{where}holding", holding, "voltage" if mode is ClampMode.VC else "current")
    params = d.get("parameters", {})
    if not isinstance(params, dict):
        raise ctx.fail(f"{where}parameters", 'must be a table: { K_out = "20 mM" }')
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
    drugs = d.get("drugs", {})
    if not isinstance(drugs, dict):
        raise ctx.fail(f"{where}drugs", 'must be a table: { TTX = "100 nM" }')
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
    filt = ctx.text(d, "filter", where, required=False)
    if filt:
        from vlab.practicals.rigsetup import filter_hz

        try:
            filter_hz(filt)
        except PracticalError as exc:
            raise ctx.fail(f"{where}filter", str(exc)) from exc
    locked = d.get("locked", [])
    if not isinstance(locked, list) or any(x not in LOCKABLE_CONTROLS for x in locked):
        raise ctx.fail(f"{where}locked", f"{locked!r}; a list of: {', '.join(LOCKABLE_CONTROLS)}")
    return Preset(
        prep,
        mode,
        proto,
        holding,
        tuple((k, v) for k, v in params.items()),
        tuple((k, v) for k, v in drugs.items()),
        tuple(locked),
        filt,
    )


def _attempts(ctx: _Ctx, d: dict, where: str) -> int:
    n = d.get("attempts", 0)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100:
        raise ctx.fail(f"{where}attempts", f"{n!r}; a whole number of attempts from 1 to 100")
    return n


def _question(ctx: _Ctx, d, where: str, names: set[str]) -> Question:
    from vlab.practicals.answers import REGISTRY, parse_call
    from vlab.practicals.checks import parse_condition

    if not isinstance(d, dict):
        raise ctx.fail(where.rstrip("."), "must be a table ([[steps.questions]])")
    ctx.unknown_keys(d, _Q_KEYS, where)
    qid = ctx.text(d, "id", where)
    if not _ID.match(qid):
        raise ctx.fail(
            f"{where}id", f"{qid!r}: use letters, digits, _ and - (starting with a letter)"
        )
    kind = ctx.text(d, "kind", where)
    if kind not in QUESTION_KINDS:
        raise ctx.fail(f"{where}kind", f"{kind!r}; allowed: {', '.join(QUESTION_KINDS)}")
    prompt = ctx.text(d, "prompt", where)
    hint = ctx.text(d, "hint", where, required=False)
    expl = ctx.text(d, "explanation", where, required=False)
    kw: dict = {"attempts": _attempts(ctx, d, where)}
    answer = ctx.text(d, "answer", where, required=False)
    if answer:
        try:
            fname, args = parse_call(answer)
        except PracticalError as exc:
            raise ctx.fail(f"{where}answer", str(exc)) from exc
        for a in args:
            _check_placeholders(ctx, f"{where}answer", a, names)
    if kind == "numeric":
        if not answer:
            raise ctx.fail(
                f"{where}answer", 'a numeric question needs an answer function, e.g. "nernst:K"'
            )
        if REGISTRY[fname].returns != "number":
            raise ctx.fail(f"{where}answer", f"{fname!r} returns a choice, not a number")
        unit = ctx.text(d, "unit", where)
        from vlab.units import UnitError, parse_quantity

        try:
            dim = "number" if unit == "1" else parse_quantity(f"1 {unit}").dimension
        except UnitError as exc:
            raise ctx.fail(f"{where}unit", str(exc)) from exc
        tol = d.get("tolerance")
        if isinstance(tol, str) and tol.strip().endswith("%"):
            try:
                kw["rel_tolerance"] = float(tol.strip()[:-1]) / 100.0
            except ValueError:
                raise ctx.fail(
                    f"{where}tolerance", f'{tol!r} is not a percentage like "5 %"'
                ) from None
        elif dim == "number" and isinstance(tol, (int, float)):
            kw["tolerance"] = float(tol)
        elif isinstance(tol, str):
            kw["tolerance"] = _quantity(ctx, f"{where}tolerance", tol, dim)[0]
        else:
            raise ctx.fail(
                f"{where}tolerance", 'missing: an absolute "2 mV" or a relative "5 %" tolerance'
            )
        if not (kw.get("tolerance", 0) >= 0 and kw.get("rel_tolerance", 0) >= 0):
            raise ctx.fail(f"{where}tolerance", "must not be negative")
        kw["unit"] = unit
    elif kind == "choice":
        ch = d.get("choices")
        if (
            not isinstance(ch, dict)
            or len(ch) < 2
            or not all(isinstance(v, str) for v in ch.values())
        ):
            raise ctx.fail(
                f"{where}choices", 'needs a table of at least 2 choices: { key = "label", ... }'
            )
        kw["choices"] = tuple(ch.items())
        correct = ctx.text(d, "correct", where, required=False)
        if bool(correct) == bool(answer):
            raise ctx.fail(
                where.rstrip("."),
                "a choice question needs exactly one of 'answer' "
                "(a function) or 'correct' (a fixed key, for concept questions)",
            )
        if correct and correct not in ch:
            raise ctx.fail(
                f"{where}correct", f"{correct!r} is not a choice key; keys: {', '.join(ch)}"
            )
        if answer and REGISTRY[fname].returns != "choice" and fname != "unknown":
            raise ctx.fail(f"{where}answer", f"{fname!r} returns a number, not a choice key")
        kw["correct"] = correct
    elif kind == "text":
        for k in ("answer", "unit", "tolerance", "choices", "correct", "require", "attempts"):
            if k in d:
                raise ctx.fail(
                    f"{where}{k}",
                    "a free-text question is marked by the instructor: it takes only "
                    "'prompt' and optionally 'hint' and 'explanation'",
                )
    else:
        req = d.get("require")
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
        kw["require"] = tuple(req)
        if answer:
            raise ctx.fail(
                f"{where}answer", "a recording question is checked by 'require', not 'answer'"
            )
    return Question(qid, kind, prompt, answer=answer, hint=hint, explanation=expl, **kw)


def parse_practical(
    text: str, source: str = "<practical>", expected_name: str | None = None
) -> Practical:
    """Parse and validate a practical from TOML text (see ``docs/practicals.md``)."""
    ctx = _Ctx(source)
    try:
        d = loads_toml(text, source)
    except BadFileError as exc:
        raise PracticalError(str(exc)) from None
    ctx.unknown_keys(d, _TOP_KEYS, "")
    name = ctx.text(d, "name", "")
    if not _ID.match(name):
        raise ctx.fail("name", f"{name!r}: use letters, digits, _ and -")
    if expected_name is not None and name != expected_name:
        raise ctx.fail("name", f"{name!r} must equal the file name {expected_name!r}")
    title = ctx.text(d, "title", "")
    summary = ctx.text(d, "summary", "")
    for key in ("concepts", "sources"):
        v = d.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ctx.fail(key, "must be a list of texts")
    minutes, order = d.get("minutes", 30), d.get("order", 100)
    if not isinstance(minutes, int) or not isinstance(order, int):
        raise ctx.fail("minutes", "minutes and order must be whole numbers")
    graded = d.get("graded", False)
    if not isinstance(graded, bool):
        raise ctx.fail("graded", f"{graded!r}; true or false")
    attempts = _attempts(ctx, d, "")
    unknowns = _unknowns(ctx, d.get("unknowns", {}))
    names = {u.name for u in unknowns}
    steps_raw = d.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ctx.fail("steps", "missing: a practical needs at least one [[steps]] section")
    steps, seen_steps, seen_q = [], set(), set()
    preset = None
    for i, s in enumerate(steps_raw):
        where = f"steps[{i}]."
        if not isinstance(s, dict):
            raise ctx.fail(f"steps[{i}]", "must be a table")
        ctx.unknown_keys(s, _STEP_KEYS, where)
        sid = ctx.text(s, "id", where)
        if not _ID.match(sid) or sid in seen_steps:
            raise ctx.fail(f"{where}id", f"{sid!r} must be unique and use letters, digits, _ and -")
        seen_steps.add(sid)
        if "preset" in s:
            preset = _preset(ctx, s["preset"], f"{where}preset.", names)
        elif preset is None:
            raise ctx.fail(
                f"{where}preset", "the first step needs a [steps.preset] (later steps inherit it)"
            )
        qs = s.get("questions", [])
        if not isinstance(qs, list):
            raise ctx.fail(f"{where}questions", "must be [[steps.questions]] sections")
        questions = []
        for j, q in enumerate(qs):
            question = _question(ctx, q, f"{where}questions[{j}].", names)
            if question.id in seen_q:
                raise ctx.fail(f"{where}questions[{j}].id", f"{question.id!r} is used twice")
            seen_q.add(question.id)
            questions.append(question)
        hide = s.get("hide", [])
        if not isinstance(hide, list) or any(h not in HIDEABLE_READOUTS for h in hide):
            raise ctx.fail(f"{where}hide", f"{hide!r}; a list of: {', '.join(HIDEABLE_READOUTS)}")
        steps.append(
            Step(
                sid,
                ctx.text(s, "title", where),
                ctx.text(s, "text", where),
                preset,
                tuple(questions),
                tuple(hide),
            )
        )
    return Practical(
        name=name,
        title=title,
        summary=summary,
        steps=tuple(steps),
        unknowns=unknowns,
        concepts=tuple(d.get("concepts", [])),
        sources=tuple(d.get("sources", [])),
        minutes=minutes,
        order=order,
        graded=graded,
        attempts=attempts,
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
