"""Classes: an instructor's secret, the students' pack, and per-student seeds.

``vlab practical class CLASS_ID --roster FILE`` writes two files:

``CLASS_ID.instructor.toml`` (keep it private)
    The class secret (32 random bytes, hex), the roster and the class settings. With it
    an instructor prints answer keys (``vlab practical answers``) and grades reports
    (``vlab practical grade``). Losing it makes the class's keys unrecoverable.
``CLASS_ID.class.toml`` (give it to the students)
    The settings and, for every student on the roster, their *seed*
    ``HMAC-SHA256(secret, class id, student ID)``, filed under a hash of the ID. The
    student's app needs nothing else to set up their cell; it holds no secret and no key,
    and a seed does not reveal the secret or any other student's seed.

Both are TOML. Settings: ``graded`` (graded mode, see :mod:`vlab.practicals.session`),
``attempts`` (typed questions) and ``choice_attempts`` (multiple choice), and optionally
the ``practicals`` the class uses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from vlab.practicals.errors import PracticalError
from vlab.practicals.unknowns import normalise_student_id
from vlab.safe_read import BadFileError, loads_toml, read_text

__all__ = [
    "ClassPack",
    "InstructorClass",
    "create_class",
    "load_class",
    "student_seed",
    "write_class_files",
]

PACK_FORMAT = "vlab-class"
INSTRUCTOR_FORMAT = "vlab-class-instructor"
FORMAT_VERSION = 1
DEFAULT_ATTEMPTS = 3
DEFAULT_CHOICE_ATTEMPTS = 1
_CLASS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def student_seed(secret: bytes, class_id: str, student_id: str) -> str:
    """The student's seed (hex): ``HMAC-SHA256(secret, class id, normalised ID)``."""
    msg = f"vlab-student\x00{class_id}\x00{normalise_student_id(student_id)}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def roster_key(class_id: str, student_id: str) -> str:
    """Where a student's seed is filed in the pack (a hash, so the pack lists no IDs)."""
    text = f"vlab-roster\x00{class_id}\x00{normalise_student_id(student_id)}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _verifier(secret: bytes, class_id: str) -> str:
    """Ties a pack to its instructor file (the grader checks both belong together)."""
    return hmac.new(secret, f"vlab-verify\x00{class_id}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class ClassPack:
    """What students receive: settings and roster seeds, no secret (see module docstring)."""

    class_id: str
    title: str = ""
    graded: bool = True
    attempts: int = DEFAULT_ATTEMPTS
    choice_attempts: int = DEFAULT_CHOICE_ATTEMPTS
    practicals: tuple[str, ...] = ()
    seeds: dict[str, str] = field(default_factory=dict, compare=False)
    verifier: str = ""
    source: str = field(default="<class>", compare=False)

    has_secret = False

    def seed_for(self, student_id: str) -> str:
        """The seed of a student on the roster; PracticalError for anyone else."""
        sid = normalise_student_id(student_id)
        if not sid:
            raise PracticalError("a student ID is needed")
        seed = self.seeds.get(roster_key(self.class_id, sid))
        if seed is None:
            raise PracticalError(
                f"student ID {student_id.strip()!r} is not on the roster of class "
                f"{self.class_id!r}: check the ID, or ask your instructor to add you"
            )
        return seed

    def uses(self, practical: str) -> bool:
        return not self.practicals or practical in self.practicals


@dataclass(frozen=True)
class InstructorClass(ClassPack):
    """The instructor's class file: a :class:`ClassPack` plus the secret and the roster."""

    secret: bytes = field(default=b"", repr=False)
    roster: tuple[str, ...] = ()

    has_secret = True

    def seed_for(self, student_id: str) -> str:
        """Any student's seed, derived from the secret (roster or not)."""
        if not normalise_student_id(student_id):
            raise PracticalError("a student ID is needed")
        return student_seed(self.secret, self.class_id, student_id)

    def on_roster(self, student_id: str) -> bool:
        sid = normalise_student_id(student_id)
        return any(normalise_student_id(r) == sid for r in self.roster)

    def pack(self) -> ClassPack:
        """The students' pack of this class."""
        return ClassPack(
            class_id=self.class_id,
            title=self.title,
            graded=self.graded,
            attempts=self.attempts,
            choice_attempts=self.choice_attempts,
            practicals=self.practicals,
            seeds={roster_key(self.class_id, s): self.seed_for(s) for s in self.roster},
            verifier=_verifier(self.secret, self.class_id),
        )

    def matches(self, pack: ClassPack) -> bool:
        """True if ``pack`` was made from this class's secret."""
        return pack.class_id == self.class_id and hmac.compare_digest(
            pack.verifier, _verifier(self.secret, self.class_id)
        )


def create_class(
    class_id: str,
    roster,
    title: str = "",
    graded: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
    choice_attempts: int = DEFAULT_CHOICE_ATTEMPTS,
    practicals=(),
    secret: bytes | None = None,
) -> InstructorClass:
    """A new class with a fresh random secret (``secret`` only for tests)."""
    if not _CLASS_ID.match(str(class_id)):
        raise PracticalError(
            f"class ID {class_id!r}: use letters, digits, '.', '_' and '-' (up to 64)"
        )
    ids = [str(r).strip() for r in roster if str(r).strip()]
    norm = [normalise_student_id(r) for r in ids]
    dup = sorted({n for n in norm if norm.count(n) > 1})
    if dup:
        raise PracticalError(f"the roster lists {', '.join(dup)} more than once")
    if not ids:
        raise PracticalError("the roster is empty: give at least one student ID")
    if not (1 <= int(attempts) <= 100 and 1 <= int(choice_attempts) <= 100):
        raise PracticalError("attempts must be whole numbers from 1 to 100")
    return InstructorClass(
        class_id=class_id,
        title=title or class_id,
        graded=bool(graded),
        attempts=int(attempts),
        choice_attempts=int(choice_attempts),
        practicals=tuple(practicals),
        secret=secret if secret is not None else secrets.token_bytes(32),
        roster=tuple(ids),
    )


def read_roster(path) -> list[str]:
    """Student IDs from a text or CSV file: the first column of every non-empty line
    (a header line whose first cell contains 'id' or 'student' is skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PracticalError(f"{path}: cannot read the roster ({exc.strerror or exc})") from exc
    ids = []
    for k, line in enumerate(text.splitlines()):
        cell = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"')
        if not cell or cell.startswith("#"):
            continue
        if k == 0 and re.search(r"\b(id|student)", cell, re.I):
            continue
        ids.append(cell)
    return ids


def _toml(value) -> str:
    import tomli_w

    return tomli_w.dumps(value)


def _settings(c: ClassPack) -> dict:
    return {
        "class_id": c.class_id,
        "title": c.title,
        "graded": c.graded,
        "attempts": c.attempts,
        "choice_attempts": c.choice_attempts,
        "practicals": list(c.practicals),
    }


def write_class_files(c: InstructorClass, folder, overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``<id>.instructor.toml`` and ``<id>.class.toml`` into ``folder``.

    Refuses to replace an existing instructor file (its secret grades the class) unless
    ``overwrite``. Returns ``(instructor path, pack path)``.
    """
    from vlab.practicals.fileio import write_text_atomic

    folder = Path(folder)
    inst = folder / f"{c.class_id}.instructor.toml"
    pack_path = folder / f"{c.class_id}.class.toml"
    if inst.exists() and not overwrite:
        raise PracticalError(
            f"{inst} exists: its secret grades that class; choose another class ID or folder"
        )
    head = (
        "# vlab class file for the INSTRUCTOR: it holds the class secret.\n"
        "# Keep it private; never give it to students (give them the .class.toml file).\n"
    )
    body = {
        "format": INSTRUCTOR_FORMAT,
        "version": FORMAT_VERSION,
        **_settings(c),
        "secret": c.secret.hex(),
        "roster": list(c.roster),
    }
    write_text_atomic(inst, head + _toml(body))
    p = c.pack()
    pack_body = {
        "format": PACK_FORMAT,
        "version": FORMAT_VERSION,
        **_settings(p),
        "verifier": p.verifier,
        "seeds": dict(p.seeds),
    }
    write_text_atomic(
        pack_path,
        "# vlab class pack for STUDENTS: open it in vlab (Practical panel, 'Class...').\n"
        + _toml(pack_body),
    )
    return inst, pack_path


def load_class(path) -> ClassPack:
    """Read a class file: an :class:`InstructorClass` or a students' :class:`ClassPack`."""
    path = Path(path)
    try:
        d = loads_toml(read_text(path), str(path), path=path)
    except BadFileError as exc:
        raise PracticalError(f"{path}: not a readable vlab class file ({exc})") from exc
    fmt = d.get("format")
    if fmt not in (PACK_FORMAT, INSTRUCTOR_FORMAT) or d.get("version") != FORMAT_VERSION:
        raise PracticalError(
            f"{path}: not a vlab class file (made by 'vlab practical class', version 1)"
        )
    try:
        kw = {
            "class_id": str(d["class_id"]),
            "title": str(d.get("title", "")),
            "graded": bool(d.get("graded", True)),
            "attempts": int(d.get("attempts", DEFAULT_ATTEMPTS)),
            "choice_attempts": int(d.get("choice_attempts", DEFAULT_CHOICE_ATTEMPTS)),
            "practicals": tuple(str(x) for x in d.get("practicals", [])),
            "source": path.name,
        }
        if fmt == INSTRUCTOR_FORMAT:
            secret = bytes.fromhex(str(d["secret"]))
            if len(secret) < 16:
                raise ValueError("secret too short")
            return InstructorClass(
                **kw, secret=secret, roster=tuple(str(x) for x in d.get("roster", []))
            )
        seeds = {str(k): str(v) for k, v in dict(d.get("seeds", {})).items()}
        return ClassPack(**kw, seeds=seeds, verifier=str(d.get("verifier", "")))
    except (KeyError, ValueError, TypeError) as exc:
        raise PracticalError(f"{path}: damaged class file ({exc})") from exc
