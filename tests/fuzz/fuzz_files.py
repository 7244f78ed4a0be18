"""Seeded, time-bounded fuzzing of every file vlab opens.

    .venv/bin/python tests/fuzz/fuzz_files.py --cases 10000 --seed 1      # the long run
    .venv/bin/python tests/fuzz/fuzz_files.py --seconds 60                  # a quick look

Five targets — protocols, experiment files (``.vlab``), practicals, practical progress and
``settings.json`` — are fed mutations of real files (bit flips, truncation, inserted,
deleted and duplicated bytes, JSON/TOML values swapped for other types, deep nesting,
huge numbers and lists) plus the hostile files of :mod:`hostile`. Every case ends in one of:

``ok``           the file loaded (a mutation that kept it valid);
``refused``      a ``ValueError`` subclass with a one-line message (the promise);
``bad-message``  refused, but the message is empty or several lines long;
``uncaught``     any other exception (a bug);
``hang``         the case ran over its time limit (a SIGALRM interrupts it);
``memory``       the process's peak memory grew by more than 300 MB during the case.

``tests/fuzz/test_fuzz_short.py`` runs a few hundred cases in the suite; the counts of the
long run are recorded in ``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile  # noqa: E402

OUTCOMES = ("ok", "refused", "bad-message", "uncaught", "hang", "memory")
TARGETS = ("protocol", "session", "practical", "progress", "settings")
CASE_SECONDS = 10
MEMORY_MB = 300


class _Timeout(BaseException):
    """Raised by the alarm inside a case that runs too long (not an Exception)."""


def _alarm(_sig, _frame):
    raise _Timeout


# ---------------------------------------------------------------------------- mutations
def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        if not b:
            b = bytearray(rng.randbytes(rng.randint(0, 40)))
            continue
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            del b[i : i + rng.randint(1, 64)]
        elif op == 2:
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif op == 3:
            b = b[: rng.randrange(len(b) + 1)]
        elif op == 4:
            j = rng.randrange(len(b))
            b[i:i] = b[j : j + rng.randint(1, 256)]
        else:
            b[i:i] = rng.choice(
                [b"[" * 300, b"{" * 300, b"\x00", b'"', b"\\", b"\xff\xfe", b"9" * 400]
            )
    return bytes(b)


_WEIRD = [
    None,
    True,
    0,
    -1,
    2**70,
    1e308,
    -1e-308,
    "",
    "x" * 5000,
    "2",
    "10 mV",
    "μA/cm2",
    "\x00",
    [],
    [1, "a", None],
    {},
    {"a": {"b": [1]}},
    json.loads("[" * 60 + "1" + "]" * 60),
]


def _mutate_value(rng: random.Random, doc):
    """Swap one value somewhere in a JSON-like document for a weird one (in place)."""
    node = doc
    for _ in range(rng.randint(1, 5)):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if rng.random() < 0.4 or not isinstance(node[key], (dict, list)):
                node[key] = rng.choice(_WEIRD)
                return doc
            node = node[key]
        elif isinstance(node, list) and node:
            i = rng.randrange(len(node))
            if rng.random() < 0.4 or not isinstance(node[i], (dict, list)):
                node[i] = rng.choice(_WEIRD)
                return doc
            node = node[i]
        else:
            break
    if isinstance(node, dict):
        node[rng.choice(["x", "version", "step", "name", "epochs"])] = rng.choice(_WEIRD)
    return doc


def _toml_text(rng: random.Random, text: str) -> bytes:
    """A TOML text with a value swapped (via tomllib/tomli_w) or its bytes mutated."""
    import tomli_w

    from vlab.safe_read import loads_toml

    if rng.random() < 0.5:
        try:
            doc = _mutate_value(rng, loads_toml(text))
            return tomli_w.dumps(_tomlable(doc)).encode()
        except Exception:  # noqa: BLE001 - fall back to byte mutation
            pass
    return _mutate_bytes(rng, text.encode())


def _tomlable(obj):
    if obj is None:
        return "null"
    if isinstance(obj, dict):
        return {str(k): _tomlable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_tomlable(v) for v in obj]
    if isinstance(obj, int) and not -(2**63) <= obj < 2**63:
        return str(obj)
    return obj


# ---------------------------------------------------------------------------- targets
class Fuzzer:
    """Seeds (real files) and one ``case`` function per target."""

    def __init__(self, folder: Path) -> None:
        from vlab.practicals.loader import builtin_practicals
        from vlab.protocols import builtin_protocols

        self.folder = folder
        self.protocols = [p.read_text() for p in builtin_protocols().values()]
        self.practicals = [(p.stem, p.read_text()) for p in builtin_practicals().values()][:6]
        self.session_bytes = hostile.good_session(folder, "seed.vlab").read_bytes()
        self.members = hostile.session_members(folder / "seed.vlab")
        self.progress_bytes = self._seed_progress()
        self.hostile = [
            hostile.encrypted_session,
            hostile.deflate64_session,
            hostile.deep_json_session,
            hostile.lying_header_session,
            hostile.wrong_types_session,
            hostile.long_name_session,
        ]

    def _seed_progress(self) -> bytes:
        from vlab.practicals import load_practical
        from vlab.practicals.progress import progress_path
        from vlab.practicals.session import PracticalSession

        root = self.folder / "progress-seed"
        s = PracticalSession(load_practical("nernst"), "fuzz", root=root)
        s.go_to(1)
        s.submit("ek_default", "-90")
        return progress_path("nernst", "fuzz", root).read_bytes()

    # each case returns nothing if loaded; raises on refusal
    def protocol(self, rng: random.Random, path: Path) -> None:
        from vlab.protocols import load_protocol

        path = path.with_suffix(".toml")
        path.write_bytes(_toml_text(rng, rng.choice(self.protocols)))
        load_protocol(path)

    def practical(self, rng: random.Random, path: Path) -> None:
        from vlab.practicals import load_practical

        name, text = rng.choice(self.practicals)
        path = path.with_name(f"{name}.toml")
        path.write_bytes(_toml_text(rng, text))
        load_practical(path)

    def session(self, rng: random.Random, path: Path) -> None:
        from vlab.recording import load_session
        from vlab.rig.rig import Rig

        path = path.with_suffix(".vlab")
        r = rng.random()
        if r < 0.3:
            path.write_bytes(_mutate_bytes(rng, self.session_bytes))
        elif r < 0.85:
            members = dict(self.members)
            name = rng.choice([n for n in members if n.endswith(".json")] + ["sweeps.npz"])
            if name.endswith(".json") and rng.random() < 0.6:
                members[name] = json.dumps(_mutate_value(rng, json.loads(members[name]))).encode()
            else:
                members[name] = _mutate_bytes(rng, members[name])
            if rng.random() < 0.1:
                del members[rng.choice(list(members))]
            method = rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
            hostile.write_zip(path, members, method)
        else:
            sub = path.with_suffix("")
            sub.mkdir()
            path = rng.choice(self.hostile)(sub)
        state, _recording = load_session(path)
        Rig().load_state({k: v for k, v in state.items() if k != "gui"})

    def progress(self, rng: random.Random, path: Path) -> None:
        from vlab.practicals import load_practical
        from vlab.practicals.progress import progress_path
        from vlab.practicals.session import PracticalSession

        root = path.with_suffix("")
        target = progress_path("nernst", "fuzz", root)
        target.parent.mkdir(parents=True)
        if rng.random() < 0.5:
            target.write_bytes(_mutate_bytes(rng, self.progress_bytes))
        else:
            doc = _mutate_value(rng, json.loads(self.progress_bytes))
            target.write_text(json.dumps(doc))
        s = PracticalSession(load_practical("nernst"), "fuzz", root=root)
        s.go_to(min(s.step_index + 1, len(s.practical.steps) - 1))
        if s.save_problem:
            raise AssertionError(f"saving failed on a writable disk: {s.save_problem}")

    def settings(self, rng: random.Random, path: Path) -> None:
        from vlab.settings import Settings

        path = path.with_suffix(".json")
        seed = json.dumps(
            {"version": 1, "ui_scale": 1.25, "speed": 2.0, "recent_experiments": [str(path)]}
        )
        if rng.random() < 0.5:
            path.write_bytes(_mutate_bytes(rng, seed.encode()))
        else:
            path.write_text(json.dumps(_mutate_value(rng, json.loads(seed))))
        s = Settings(path)
        s.recent("experiments")
        s.save()


def _classify(exc: BaseException) -> str:
    if isinstance(exc, _Timeout):
        return "hang"
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, ValueError) and not isinstance(exc, (UnicodeError,)):
        text = str(exc)
        if not text.strip() or "\n" in text.strip():
            return "bad-message"
        return "refused"
    return "uncaught"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    cases: int = 200,
    seed: int = 0,
    seconds: float | None = None,
    targets: tuple[str, ...] = TARGETS,
    report: Callable[[str], None] | None = None,
) -> dict[str, Counter]:
    """Run up to ``cases`` cases (or until ``seconds`` pass); counts per target and outcome.

    ``report`` receives a line with the traceback of every case that is not ok/refused.
    """
    import logging

    vlab_log = logging.getLogger("vlab")
    level = vlab_log.level
    vlab_log.setLevel(logging.ERROR)  # refusals are logged as warnings
    rng = random.Random(seed)
    counts: dict[str, Counter] = {t: Counter() for t in targets}
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        with tempfile.TemporaryDirectory(prefix="vlab-fuzz-") as tmp:
            fuzzer = Fuzzer(Path(tmp))
            for k in range(cases):
                if seconds is not None and time.monotonic() - start > seconds:
                    break
                target = targets[k % len(targets)]
                case_rng = random.Random(rng.getrandbits(64))
                case_dir = Path(tmp) / f"case{k}"
                case_dir.mkdir()
                before = _peak_mb()
                signal.alarm(CASE_SECONDS)
                try:
                    getattr(fuzzer, target)(case_rng, case_dir / "f")
                    outcome = "ok"
                except BaseException as exc:  # noqa: BLE001 - classifying is the point
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    outcome = _classify(exc)
                    if outcome not in ("refused",) and report is not None:
                        report(f"[{target} case {k}] {outcome}: {traceback.format_exc()}")
                finally:
                    signal.alarm(0)
                if outcome in ("ok", "refused") and _peak_mb() - before > MEMORY_MB:
                    outcome = "memory"
                counts[target][outcome] += 1
                _rmtree(case_dir)
    finally:
        signal.signal(signal.SIGALRM, old)
        vlab_log.setLevel(level)
    return counts


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def table(counts: dict[str, Counter]) -> str:
    """A Markdown table of the counts."""
    lines = [
        "| target | cases | " + " | ".join(OUTCOMES) + " |",
        "|---" * (len(OUTCOMES) + 2) + "|",
    ]
    total: Counter = Counter()
    for target, c in counts.items():
        total.update(c)
        lines.append(
            f"| {target} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |"
        )
    lines.append(
        f"| **all** | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, default=None, help="stop after this long")
    p.add_argument("--targets", nargs="*", default=list(TARGETS), choices=TARGETS)
    args = p.parse_args(argv)
    t0 = time.monotonic()
    counts = run(
        args.cases,
        args.seed,
        args.seconds,
        tuple(args.targets),
        report=lambda line: print(line, file=sys.stderr),
    )
    print(table(counts))
    print(f"\nseed {args.seed}, {time.monotonic() - t0:.0f} s, peak memory {_peak_mb():.0f} MB")
    bad = sum(c[o] for c in counts.values() for o in ("bad-message", "uncaught", "hang", "memory"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
