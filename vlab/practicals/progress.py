"""A student's progress through one practical, saved atomically in the user data folder.

One JSON file per student and practical:
``<user data>/practicals/<student>/<practical>.json`` (in a class:
``<user data>/practicals/<student>/<class id>/<practical>.json``) where ``<user data>`` is
``platformdirs.user_data_dir("vlab")`` (or ``$VLAB_DATA_DIR`` if set, for tests and
shared lab machines).

Nothing a student did is lost:

* Saving writes a temporary file in the same folder (flushed, fsynced), moves the last good
  file to ``<practical>.json.bak`` (the backup generation) and the new one into place; a
  crash between the two moves leaves the backup, which loading then uses.
* A damaged file (cut short, bit-flipped, wrong types, another practical's) is never
  silently replaced: it is moved aside to ``<practical>.damaged-<time>.json``, the last good
  state is restored from the backup (or, failing that, what could be salvaged), and
  :func:`load_progress_with_notice` returns a sentence for the student.
* Wrong types in an otherwise readable file are repaired field by field (``"step": "2"``
  becomes 2; a value that cannot be understood is dropped and named in the notice).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vlab.atomic import atomic_path
from vlab.practicals.errors import PracticalError
from vlab.practicals.unknowns import normalise_student_id
from vlab.safe_read import BadFileError, loads_json, read_bytes
from vlab.schema import Field, keep_valid, problem

__all__ = [
    "Progress",
    "backup_path",
    "data_dir",
    "load_progress",
    "load_progress_with_notice",
    "progress_path",
    "repair_progress",
    "save_progress",
    "seal_of",
]

FORMAT_VERSION = 1
MAX_PROGRESS_BYTES = 32 * 2**20  # evidence traces make files of up to a few MB


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class Progress:
    """Answers, feedback and recorded evidence of one student in one practical.

    Attributes
    ----------
    practical, student_id
        Which practical and who (the ID as typed; compared normalised).
    step
        Index of the step the student is on.
    answers
        Question id -> the student's last answer as typed (numeric) or the choice key.
    results
        Question id -> ``{"correct": bool, "feedback": str, "attempts": int, "time": str}``.
    attempts
        Question id -> every attempt in order: ``{"value": str, "correct": bool,
        "time": str}`` (typed and choice questions; ``value`` as typed or the choice key)
        or ``{"sweep": int, "run_id": str, "correct": bool, "time": str}`` (recording).
    class_id
        The class the work was done in ("" when practising without a class).
    mode
        ``"graded"`` or ``"practice"`` (see :class:`vlab.practicals.PracticalSession`).
    seal
        ``HMAC-SHA256(student seed, content)`` written by the session on every change
        (:func:`seal_of`), so an edit made outside vlab is detected by the grader.
    evidence
        Recording question id -> the sweep that answered it: ``{"sweep": int,
        "checks": [[condition, met, measured], ...], "provenance": {...}, "dt": float,
        "traces": {"Vm": [...], ...}}`` (traces downsampled, SI).
    """

    practical: str
    student_id: str
    step: int = 0
    answers: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict] = field(default_factory=dict)
    evidence: dict[str, dict] = field(default_factory=dict)
    attempts: dict[str, list] = field(default_factory=dict)
    class_id: str = ""
    mode: str = "practice"
    seal: str = ""
    started: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> Progress:
        """Progress from parsed JSON, wrong types repaired (see :func:`repair_progress`)."""
        return repair_progress(d)[0]


def _as_step(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10_000 else None
    if isinstance(value, float) and value.is_integer():
        return _as_step(int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return _as_step(int(value.strip()))
    return None


#: the fields of a progress file besides its identity (version, practical, student, step);
#: a value of the wrong kind is dropped (the default stays) and the repair is reported
PROGRESS_FIELDS = {
    **{name: Field("text") for name in ("class_id", "mode", "seal", "started", "updated")},
    **{name: Field("table", default={}) for name in ("answers", "results", "evidence", "attempts")},
}
#: what each question's entry in a table must be
ITEM_FIELDS = {
    "answers": Field("scalar"),
    "results": Field("table"),
    "evidence": Field("table"),
    "attempts": Field("list"),
}
#: how a dropped field is reported (the save times are dropped silently)
_DROPPED = {
    **dict.fromkeys(("class_id", "mode", "seal"), "an unusable {name} (dropped)"),
    **dict.fromkeys(ITEM_FIELDS, "unusable {name} (dropped)"),
}


def _kept_items(name: str, table: dict, repairs: list[str]) -> dict:
    """The usable entries of table ``name`` (answers as text, attempts that are tables)."""
    kept: dict = {}
    for qid, item in table.items():
        if problem(ITEM_FIELDS[name], item) is not None:
            repairs.append(f"an unusable {name[:-1]} for {qid[:30]!r} (dropped)")
        elif name == "answers":
            kept[qid] = str(item)
        elif name == "attempts":
            kept[qid] = [a for a in item if isinstance(a, dict)]
            if len(kept[qid]) != len(item):
                repairs.append(f"unusable attempts for {qid[:30]!r} (dropped)")
        else:
            kept[qid] = item
    return kept


def repair_progress(d: object) -> tuple[Progress, list[str]]:
    """Progress from parsed JSON, repairing wrong types field by field.

    Returns the progress and what was repaired (empty if the data was sound).

    Raises
    ------
    PracticalError
        If ``d`` is not a progress record at all (not an object, another format
        version, no practical or student).
    """
    if not isinstance(d, dict) or d.get("version") != FORMAT_VERSION:
        raise PracticalError("not a vlab practical progress file (or from another version)")
    practical, student = d.get("practical"), d.get("student_id")
    if not isinstance(practical, str) or not isinstance(student, str):
        raise PracticalError("progress file names no practical or student")
    repairs: list[str] = []
    p = Progress(practical, student)
    step = _as_step(d.get("step", 0))
    if step is None:
        repairs.append(f"an unusable step {str(d.get('step'))[:20]!r} (back to step 1)")
    else:
        if not isinstance(d.get("step", 0), int) or isinstance(d.get("step"), bool):
            repairs.append(f"the step written as {d.get('step')!r}")
        p.step = step
    values, dropped = keep_valid(d, PROGRESS_FIELDS)
    for name, value in values.items():
        if value is not None:
            setattr(p, name, _kept_items(name, value, repairs) if name in ITEM_FIELDS else value)
    repairs += [_DROPPED[name].format(name=name) for name in dropped if name in _DROPPED]
    if any(not isinstance(v, str) for v in values["answers"].values()):
        repairs.append("answers stored as numbers")
    for qid, r in p.results.items():
        if not isinstance(r.get("correct", False), bool) or not isinstance(
            r.get("attempts", 0), int
        ):
            p.results[qid] = {
                **r,
                "correct": r.get("correct") is True,
                "attempts": _as_step(r.get("attempts", 0)) or 0,
            }
            repairs.append(f"a result for {qid[:30]!r} of the wrong type")
    return p, repairs


def seal_of(progress: Progress, seed: str) -> str:
    """``HMAC-SHA256(seed, canonical JSON of everything but the seal and the save time)``."""
    import hmac

    d = asdict(progress)
    d.pop("seal", None)
    d.pop("updated", None)
    text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hmac.new(seed.encode("ascii"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def data_dir() -> Path:
    """The folder for vlab's per-user data (``$VLAB_DATA_DIR`` overrides)."""
    env = os.environ.get("VLAB_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("vlab", appauthor=False))


def _student_folder(student_id: str) -> str:
    sid = normalise_student_id(student_id)
    slug = re.sub(r"[^a-z0-9_-]+", "_", sid)[:40] or "anonymous"
    return f"{slug}-{hashlib.sha256(sid.encode()).hexdigest()[:8]}"


def progress_path(
    practical: str, student_id: str, root: Path | None = None, class_id: str = ""
) -> Path:
    """Where the progress of ``student_id`` in ``practical`` (in class ``class_id``) is kept."""
    folder = Path(root or data_dir()) / "practicals" / _student_folder(student_id)
    if class_id:
        folder = folder / re.sub(r"[^A-Za-z0-9_.-]+", "_", class_id)
    return folder / f"{practical}.json"


def backup_path(path: Path) -> Path:
    """The previous good generation of a progress file."""
    return path.with_name(path.name + ".bak")


def _read(
    path: Path, practical: str, student_id: str, class_id: str = ""
) -> tuple[Progress, list[str]]:
    """Parse one progress file; raises PracticalError if unreadable or someone else's."""
    try:
        d = loads_json(read_bytes(path, MAX_PROGRESS_BYTES), path.name)
    except BadFileError as exc:
        raise PracticalError(str(exc)) from None
    p, repairs = repair_progress(d)
    if (
        p.practical != practical
        or normalise_student_id(p.student_id) != normalise_student_id(student_id)
        or p.class_id != class_id
    ):
        raise PracticalError("it belongs to another practical, student or class")
    return p, repairs


def _keep_aside(path: Path) -> Path | None:
    """Move a damaged file out of the way (never delete it); None if that failed."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = path.name.removesuffix(".json")
    for k in range(100):
        target = path.with_name(f"{stem}.damaged-{stamp}{f'-{k}' if k else ''}.json")
        if os.path.lexists(target):
            continue
        try:
            os.rename(path, target)
        except OSError:
            return None
        return target
    return None  # pragma: no cover


def load_progress_with_notice(
    practical: str, student_id: str, root: Path | None = None, class_id: str = ""
) -> tuple[Progress, str | None]:
    """Saved progress and, if something was wrong with the file, a sentence for the student.

    A missing file gives fresh progress and no notice. A damaged file is kept aside and the
    backup generation restored; wrong types are repaired (see the module docstring).
    """
    path = progress_path(practical, student_id, root, class_id)
    backup = backup_path(path)
    if not os.path.lexists(path):
        if not os.path.lexists(backup):
            return Progress(practical, student_id, class_id=class_id), None
        try:  # a crash between the two renames of a save
            return _read(backup, practical, student_id, class_id)[0], None
        except PracticalError:
            return Progress(practical, student_id, class_id=class_id), None
    try:
        progress, repairs = _read(path, practical, student_id, class_id)
        problem = None
    except PracticalError as exc:
        progress, repairs, problem = None, [], str(exc)
    if progress is not None and not repairs:
        return progress, None
    kept = _keep_aside(path)
    where = (
        f"it was kept as {kept.name}"
        if kept is not None
        else "it could not be moved aside, so it is left as it was and your progress will not "
        "be saved over it"
    )
    if progress is not None:
        notice = (
            f"Your progress file for this practical had {'; '.join(repairs)[:300]}. It was "
            f"repaired; the original is kept ({where})."
        )
        return _protect(progress, kept), notice
    try:
        restored, _ = _read(backup, practical, student_id, class_id)
        when = restored.updated
        notice = (
            f"Your progress file for this practical was damaged ({problem}); {where}. The last "
            f"good copy (saved {when}) was restored."
        )
    except PracticalError:
        restored = Progress(practical, student_id, class_id=class_id)
        notice = (
            f"Your progress file for this practical was damaged ({problem}); {where}. No "
            "earlier copy was found, so the practical starts afresh."
        )
    return _protect(restored, kept), notice


def _protect(progress: Progress, kept: Path | None) -> Progress:
    # If the damaged file could not be moved aside, saving must not overwrite it.
    if kept is None:
        setattr(progress, _PROTECTED, True)  # not a field: never saved
    return progress


_PROTECTED = "_damaged_file_in_place"


def load_progress(
    practical: str, student_id: str, root: Path | None = None, class_id: str = ""
) -> Progress:
    """Saved progress, or fresh :class:`Progress` (see :func:`load_progress_with_notice`)."""
    return load_progress_with_notice(practical, student_id, root, class_id)[0]


def save_progress(progress: Progress, root: Path | None = None) -> Path:
    """Write ``progress`` atomically, keeping the previous good file as the backup.

    Raises
    ------
    PracticalError
        If the folder is not writable or the disk is full (the files on disk are then
        unchanged), or a damaged file that could not be moved aside is in the way.
    """
    progress.updated = _now()
    path = progress_path(progress.practical, progress.student_id, root, progress.class_id)
    if getattr(progress, _PROTECTED, False):
        raise PracticalError(
            f"progress not saved: the damaged file {path.name} could not be moved aside"
        )

    def keep_last_good() -> None:  # the new file is on disk: the last good one becomes .bak
        if not os.path.lexists(path):
            return
        try:
            _read(path, progress.practical, progress.student_id, progress.class_id)
            sound = True
        except PracticalError:
            sound = False
        if sound:
            os.replace(path, backup_path(path))
        elif _keep_aside(path) is None:
            raise PracticalError(
                f"progress not saved: a damaged {path.name} is in the way and cannot be moved aside"
            )

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, private=True, before_replace=keep_last_good) as tmp:
            tmp.write_text(progress.to_json(), encoding="utf-8")
    except OSError as exc:
        raise PracticalError(f"progress not saved in {path.parent}: {exc.strerror or exc}") from exc
    return path
