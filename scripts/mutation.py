"""Mutation testing of vlab's physics and analysis (docs/testing.md).

Runs mutmut 2 (it edits a copy of the source in place, so numba-compiled kernels are
mutated too; mutmut 3 skips decorated functions) over the chosen modules, each against
its own targeted tests, in a throw-away copy of the working tree: your files are never
touched. Prints the score and every surviving mutant as a diff, and writes them to
``--report``.

    bash scripts/mutation                                  # the default set (hours)
    bash scripts/mutation vlab/sim/ions.py                 # one module, its tests
    bash scripts/mutation vlab/sim/kernel.py --tests tests/sim/test_anchor_clamp.py
    bash scripts/mutation vlab/rig/simulator.py:131-170   # only these lines (the filter)
    bash scripts/mutation vlab/analysis --sample 20     # at most 20 random mutants a module

Slow by nature (every mutant re-runs tests, kernel mutants recompile with numba): not in CI.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGETS = [
    "vlab/sim",
    "vlab/rig",
    "vlab/analysis",
    "vlab/practicals/answers.py",
    "vlab/practicals/session.py",
    "vlab/practicals/grade.py",
    "vlab/practicals/checks.py",
]

#: tests that guard each module (the smallest set that is meant to kill its mutants)
TESTS_FOR = {
    "vlab/sim/ions.py": ["tests/sim/test_anchor_ions.py", "tests/sim/test_kinetics_and_ions.py"],
    "vlab/sim/kinetics.py": [
        "tests/sim/test_anchor_gates.py",
        "tests/sim/test_reference_neuron_mammalian.py",
        "tests/sim/test_kinetics_and_ions.py",
    ],
    "vlab/sim/kernel.py": [
        "tests/sim/test_anchor_clamp.py",
        "tests/sim/test_anchor_drugs.py",
        "tests/sim/test_anchor_gates.py",
        "tests/sim/test_reference_neuron.py",
        "tests/sim/test_reference_neuron_mammalian.py",
    ],
    "vlab/sim/drugs.py": [
        "tests/sim/test_anchor_drugs.py",
        "tests/sim/test_pharmacology.py",
        "tests/sim/test_perfusion_bath.py",
        "tests/rig/test_settings_snapshot.py",
    ],
    "vlab/sim/cell.py": [
        "tests/sim/test_anchor_clamp.py",
        "tests/sim/test_anchor_drugs.py",
        "tests/sim/test_anchor_gates.py",
        "tests/sim/test_ions_and_rest.py",
        "tests/sim/test_cell_parameters.py",
    ],
    "vlab/sim/engine.py": ["tests/sim/test_engine_behaviour.py", "tests/sim/test_anchor_clamp.py"],
    "vlab/sim/preparation.py": ["tests/sim/test_ions_and_rest.py", "tests/sim/test_anchor_ions.py"],
    "vlab/sim/rest.py": ["tests/sim/test_ions_and_rest.py"],
    "vlab/sim/cable.py": ["tests/sim/test_cable.py"],
    "vlab/sim/cable_kernel.py": ["tests/sim/test_cable.py"],
    "vlab/sim/jit.py": ["tests/sim/test_jit_cache.py"],
    "vlab/rig/simulator.py": ["tests/rig"],
    # the keys against the independent NEURON table, the answer functions' signatures and
    # the fixed keys (tests/practicals whole: 35 s a mutant; these: 4 s)
    "vlab/practicals/answers.py": [
        "tests/practicals/test_practicals_trusted_keys.py",
        "tests/practicals/test_practicals_trusted_keys_hh.py",
        "tests/practicals/test_answer_signatures.py",
        "tests/practicals/test_practicals_fixes.py",
        "tests/practicals/test_answers_mutation_survivors.py",
    ],
    # how a typed answer meets its key (tolerance, attempts, feedback), the grader's
    # re-check, recording conditions: the grading tests (10 s a mutant)
    **dict.fromkeys(
        ["vlab/practicals/session.py", "vlab/practicals/grade.py", "vlab/practicals/checks.py"],
        [
            "tests/practicals/test_practicals_mechanics.py",
            "tests/practicals/test_practicals_classes.py",
            "tests/practicals/test_practicals_grading.py",
            "tests/practicals/test_practicals_fixes.py",
            "tests/practicals/test_practicals_free_text.py",
            "tests/practicals/test_grading_mutation_survivors.py",
        ],
    ),
}
#: otherwise: the test folder named like the module's package (vlab/sim/x.py -> tests/sim)

#: compiled kernels whose mutants run with numba's bounds checking: an index past an
#: array's end (``n_sweeps = cmd.shape[1]``) is silent memory corruption without it, not
#: a failing test (docs/testing.md)
BOUNDSCHECK = {"vlab/sim/kernel.py", "vlab/sim/cable_kernel.py"}


def tests_for(path: str) -> list[str]:
    if path in TESTS_FOR:
        return TESTS_FOR[path]
    package = Path(path).parts[1]
    return [f"tests/{package}"]


def split_lines(target: str) -> tuple[str, tuple[int, int] | None]:
    """``path.py:START-END`` -> (path, (START, END)); a plain path -> (path, None)."""
    path, _, lines = target.partition(":")
    if not lines:
        return path, None
    start, _, end = lines.partition("-")
    return path, (int(start), int(end or start))


def write_line_patch(work: Path, path: str, lines: tuple[int, int]) -> Path:
    """A patch that 'adds' lines START..END of ``path``: mutmut then mutates only those."""
    new = (work / path).read_text(encoding="utf-8").splitlines(keepends=True)
    start, end = lines
    old = new[: start - 1] + new[end:]
    diff = difflib.unified_diff(old, new, fromfile=path, tofile=path)
    patch = work / f".mutation-{Path(path).stem}-{start}-{end}.patch"
    patch.write_text("".join(diff), encoding="utf-8")
    return patch


def expand(targets: list[str]) -> list[str]:
    files = []
    for t in targets:
        if split_lines(t)[1] is not None:
            files.append(t)
            continue
        p = ROOT / t
        if p.is_dir():
            files += sorted(
                str(f.relative_to(ROOT)) for f in p.rglob("*.py") if f.name != "__init__.py"
            )
        elif p.is_file():
            files.append(t)
        else:
            sys.exit(f"mutation: no such module or folder: {t}")
    return files


def copy_tree(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def enumerate_mutants(mutmut: Path, work: Path, env: dict, target: str) -> list[int]:
    """Let mutmut list every mutant of ``target`` (its cache), testing none of them.

    mutmut's own run loop is not used to test: in mutmut 2.5.1 it can stop with
    ``ValueError: Attribute Mutant.line is required`` and then wait forever. Here it only
    enumerates (the runner is ``true``), and :func:`main` tests each mutant itself with
    ``mutmut apply``, the tests, and a restore of the pristine file.
    """
    f, lines = split_lines(target)
    only = ["--use-patch-file", str(write_line_patch(work, f, lines))] if lines else []
    before = listed_ids(mutmut, work, env)
    subprocess.run(
        [str(mutmut), "run", *only, "--paths-to-mutate", f, "--runner", "true"]
        + ["--tests-dir", "tests", "--simple-output", "--no-progress"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    return sorted(listed_ids(mutmut, work, env) - before)


def listed_ids(mutmut: Path, work: Path, env: dict) -> set[int]:
    """Every mutant mutmut has run with the ``true`` runner, whatever it called it (all
    "survived" normally; mutmut may call a slow run "suspicious" or "timeout"). Even so
    mutmut 2.5.1 does not always list the same mutants of an unchanged file (278, then
    282 of spikes.py), so ``--seed`` reproduces a sample only when the counts agree."""
    statuses = ("survived", "suspicious", "timeout", "killed")
    return {n for status in statuses for n in result_ids(mutmut, work, env, status)}


def result_ids(mutmut: Path, work: Path, env: dict, status: str) -> list[int]:
    out = subprocess.run(
        [str(mutmut), "result-ids", status], cwd=work, env=env, capture_output=True, text=True
    ).stdout
    return [int(n) for n in out.split() if n.isdigit()]


def test_mutant(
    mutmut: Path, work: Path, env: dict, f: str, n: int, runner: list[str], timeout: float
) -> str:
    """Apply mutant ``n`` to ``f`` in the working copy, run the tests, restore ``f``."""
    pristine = (ROOT / f).read_bytes()
    try:
        subprocess.run([str(mutmut), "apply", str(n)], cwd=work, env=env, check=True)
        if (work / f).read_bytes() == pristine:
            return "skipped"  # mutmut could not place it
        try:
            done = subprocess.run(runner, cwd=work, env=env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout"
        return "survived" if done.returncode == 0 else "killed"
    finally:
        (work / f).write_bytes(pristine)


def baseline(work: Path, env: dict, runner: list[str]) -> float:
    """Seconds the tests take on the unmutated code (they must pass)."""
    t0 = time.perf_counter()
    done = subprocess.run(runner, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"mutation: the tests fail without a mutant:\n{done.stdout[-3000:]}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="modules or folders")
    ap.add_argument(
        "--tests", nargs="+", help="tests to run for every mutant (default: per module)"
    )
    ap.add_argument("--report", default="mutation-report.md", help="where to write the report")
    ap.add_argument("--keep", action="store_true", help="keep the working copy (printed)")
    ap.add_argument(
        "--sample",
        type=int,
        default=0,
        help="test at most this many mutants per module, drawn at random (0: all)",
    )
    ap.add_argument("--seed", type=int, default=0, help="random seed of --sample")
    args = ap.parse_args()

    # the venv this script runs in (``.venv`` via scripts/mutation; a git worktree without
    # its own .venv runs it with another checkout's ``.venv/bin/python``)
    python = Path(sys.executable)
    mutmut = python.parent / "mutmut"
    if not mutmut.exists():
        sys.exit("mutation: mutmut is missing; run `bash scripts/setup-env` (dev extras)")
    work = Path(tempfile.mkdtemp(prefix="vlab-mutation-"))
    copy_tree(work)
    env = dict(os.environ, PYTHONPATH=str(work), QT_QPA_PLATFORM="offscreen")
    env["NUMBA_CACHE_DIR"] = str(work / ".numba-cache")  # jit.py keys it by the sources
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    files = expand(args.targets)
    rng = random.Random(args.seed)
    report: list[str] = [f"# Mutation report: {' '.join(files)}", ""]
    totals = {"killed": 0, "timeout": 0, "survived": 0, "skipped": 0}
    survivors: list[tuple[int, str]] = []
    for target in files:
        f, _ = split_lines(target)
        tests = args.tests or tests_for(f)
        runner = [str(python), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
        run_env = dict(env, NUMBA_BOUNDSCHECK="1") if f in BOUNDSCHECK else env
        timeout = max(60.0, 5 * baseline(work, run_env, runner))  # beyond: an endless loop
        ids = enumerate_mutants(mutmut, work, env, target)
        chosen = sorted(rng.sample(ids, args.sample)) if 0 < args.sample < len(ids) else ids
        print(f"== {target}: {len(chosen)} of {len(ids)} mutants ({' '.join(tests)})", flush=True)
        counts = dict.fromkeys(totals, 0)
        for n in chosen:
            status = test_mutant(mutmut, work, run_env, f, n, runner, timeout)
            counts[status] += 1
            print(f"   mutant {n}: {status}", flush=True)
            if status == "survived":
                diff = subprocess.run(
                    [str(mutmut), "show", str(n)], cwd=work, env=env, capture_output=True, text=True
                ).stdout
                survivors.append((n, diff.strip()))
                print(diff.strip(), flush=True)  # at once: a long run may be stopped
        for k, v in counts.items():
            totals[k] += v
        tested = counts["killed"] + counts["timeout"] + counts["survived"]
        caught = counts["killed"] + counts["timeout"]
        line = f"- {target}: {caught}/{tested} caught ({len(chosen)} of {len(ids)} mutants tested)"
        report.append(line)
        print(line, flush=True)
    tested = totals["killed"] + totals["timeout"] + totals["survived"]
    caught = totals["killed"] + totals["timeout"]
    score = f"score {caught}/{tested} = {100 * caught / max(tested, 1):.1f} % " + ", ".join(
        f"{k} {v}" for k, v in totals.items()
    )
    report.insert(1, score)
    report.append("")
    for n, diff in survivors:
        report += [f"## survivor {n}", "```diff", diff, "```", ""]
    Path(args.report).write_text("\n".join(report), encoding="utf-8")
    print(score)
    print(f"{len(survivors)} survivors; report written to {args.report}")
    if args.keep:
        print(f"working copy kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
