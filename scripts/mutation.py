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

Slow by nature (every mutant re-runs tests, kernel mutants recompile with numba): not in CI.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGETS = ["vlab/sim", "vlab/rig", "vlab/analysis", "vlab/practicals/answers.py"]

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
    "vlab/rig/simulator.py": ["tests/rig"],
    "vlab/practicals/answers.py": ["tests/practicals"],
}
#: otherwise: the test folder named like the module's package (vlab/sim/x.py -> tests/sim)


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="modules or folders")
    ap.add_argument(
        "--tests", nargs="+", help="tests to run for every mutant (default: per module)"
    )
    ap.add_argument("--report", default="mutation-report.md", help="where to write the report")
    ap.add_argument("--keep", action="store_true", help="keep the working copy (printed)")
    args = ap.parse_args()

    python = ROOT / ".venv" / "bin" / "python"
    mutmut = ROOT / ".venv" / "bin" / "mutmut"
    if not mutmut.exists():
        sys.exit("mutation: mutmut is missing; run `bash scripts/setup-env` (dev extras)")
    work = Path(tempfile.mkdtemp(prefix="vlab-mutation-"))
    copy_tree(work)
    env = dict(os.environ, PYTHONPATH=str(work), QT_QPA_PLATFORM="offscreen")
    env["NUMBA_CACHE_DIR"] = str(work / ".numba-cache")
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    files = expand(args.targets)
    for target in files:
        f, lines = split_lines(target)
        tests = args.tests or tests_for(f)
        runner = f"{python} -m pytest -x -q -p no:cacheprovider " + " ".join(tests)
        print(f"== {target}  ({' '.join(tests)})", flush=True)
        only = ["--use-patch-file", str(write_line_patch(work, f, lines))] if lines else []
        subprocess.run(
            [
                str(mutmut),
                "run",
                *only,
                "--paths-to-mutate",
                f,
                "--runner",
                runner,
                "--tests-dir",
                "tests",
                "--pre-mutation",  # each mutant compiles afresh (jit.py keys the cache anyway)
                f"rm -rf {env['NUMBA_CACHE_DIR']}",
                "--simple-output",
                "--no-progress",
            ],
            cwd=work,
            env=env,
        )
    results = subprocess.run(
        [str(mutmut), "results"], cwd=work, env=env, capture_output=True, text=True
    ).stdout
    report = [f"# Mutation report: {' '.join(files)}", "", "```", results.strip(), "```", ""]

    def ids(status: str) -> list[int]:
        out = subprocess.run(
            [str(mutmut), "result-ids", status], cwd=work, env=env, capture_output=True, text=True
        ).stdout
        return [int(n) for n in out.split() if n.isdigit()]

    counts = {s: len(ids(s)) for s in ("killed", "timeout", "suspicious", "survived", "skipped")}
    total = sum(counts.values()) - counts["skipped"]
    caught = counts["killed"] + counts["timeout"]
    score = f"score {caught}/{total} = {100 * caught / max(total, 1):.1f} % " + ", ".join(
        f"{k} {v}" for k, v in counts.items()
    )
    report.insert(1, "")
    report.insert(2, score)
    survivors = ids("survived") + ids("suspicious")
    for n in survivors:
        diff = subprocess.run(
            [str(mutmut), "show", str(n)], cwd=work, env=env, capture_output=True, text=True
        ).stdout
        report += [f"## survivor {n}", "```diff", diff.strip(), "```", ""]
    Path(args.report).write_text("\n".join(report), encoding="utf-8")
    print("\n".join(report[:6]))
    print(f"{len(survivors)} survivors; report written to {args.report}")
    if args.keep:
        print(f"working copy kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
