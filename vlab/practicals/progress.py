"""A student's progress through one practical, saved atomically in the user data folder.

One JSON file per student and practical:
``<user data>/practicals/<student>/<practical>.json`` (in a class:
``<user data>/practicals/<student>/<class id>/<practical>.json``) where ``<user data>`` is
``platformdirs.user_data_dir("vlab")`` (or ``$VLAB_DATA_DIR`` if set, for tests and
shared lab machines). Files are written to a temporary file in the same folder and moved
into place with ``os.replace``, so a crash never leaves half a file; progress survives
closing vlab.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vlab.practicals.errors import PracticalError
from vlab.practicals.unknowns import normalise_student_id

__all__ = [
    "Progress",
    "data_dir",
    "load_progress",
    "progress_path",
    "save_progress",
    "seal_of",
]

FORMAT_VERSION = 1


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
        if not isinstance(d, dict) or d.get("version") != FORMAT_VERSION:
            raise PracticalError("not a vlab practical progress file (or from another version)")
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


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


def load_progress(
    practical: str, student_id: str, root: Path | None = None, class_id: str = ""
) -> Progress:
    """Saved progress, or a fresh :class:`Progress` if there is none (or it is unreadable)."""
    path = progress_path(practical, student_id, root, class_id)
    try:
        p = Progress.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return Progress(practical, student_id, class_id=class_id)
    if (
        p.practical != practical
        or normalise_student_id(p.student_id) != normalise_student_id(student_id)
        or p.class_id != class_id
    ):
        return Progress(practical, student_id, class_id=class_id)
    return p


def save_progress(progress: Progress, root: Path | None = None) -> Path:
    """Write ``progress`` atomically; returns the path. Raises PracticalError on failure."""
    progress.updated = _now()
    path = progress_path(progress.practical, progress.student_id, root, progress.class_id)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(progress.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise PracticalError(
            f"cannot save practical progress in {path.parent}: {exc.strerror or exc}"
        ) from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path
