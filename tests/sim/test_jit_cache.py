"""numba's on-disk cache must never hand back a kernel compiled from older sources.

numba invalidates a cached function when its own file changes, not when a function it
calls from another file changes (numba docs, "Cache invalidation"). Found by mutation
testing: after editing the M gate in kinetics.py the cached kernel kept the old tau.
vlab keys its cache folder by a digest of all vlab/sim sources.
"""

from __future__ import annotations

import os

from vlab.sim import jit


def test_cache_folder_changes_when_any_simulation_source_changes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        (folder / "kernel.py").write_text("def advance(): pass\n")
        (folder / "kinetics.py").write_text("TAU = 20.0\n")
    assert jit.sources_digest(a) == jit.sources_digest(b)
    (b / "kinetics.py").write_text("TAU = 10.0\n")  # only a callee's file changes
    assert jit.sources_digest(a) != jit.sources_digest(b)


def test_the_cache_in_use_is_keyed_by_the_present_sources():
    assert jit._CACHE, "the test environment has a writable cache folder"
    assert os.path.basename(os.environ["NUMBA_CACHE_DIR"]) == jit.sources_digest()


def _sample(x):
    return x + 1.0


def test_a_kernel_with_a_relative_source_path_is_cached_in_vlabs_cache_folder(
    tmp_path, monkeypatch
):
    """In the PyInstaller bundle code objects carry paths relative to the bundle; numba
    then looked for the source relative to the working directory, ignored vlab's cache
    folder (and the .deb's install-time cache) and compiled again in every new folder."""
    import numba

    _sample.__code__ = _sample.__code__.replace(co_filename="tests/sim/test_jit_cache.py")
    monkeypatch.chdir(tmp_path)  # started from another folder than the bundle's
    kernel = jit._compile(numba, _sample)
    assert _sample.__code__.co_filename == os.path.abspath(__file__)
    locator = kernel._cache._impl._locator
    assert type(locator).__name__ == "UserProvidedCacheLocator"
    assert locator.get_cache_path().startswith(os.environ["NUMBA_CACHE_DIR"])
    assert kernel(1.0) == 2.0


REFUSAL_PROBE = """
import json, sys, threading
from vlab.sim import jit
out = {}
with jit._without_scipy_linalg():
    try:
        import scipy.linalg
        out["here"] = "imported"
    except ImportError:
        out["here"] = "refused"
    other = threading.Thread(target=lambda: out.update(other=bool(__import__("scipy.linalg"))))
    other.start()
    other.join()
import scipy.linalg
out["after"] = "scipy.linalg" in sys.modules
out["refused_after"] = sorted(jit._refuser.refused)
print(json.dumps(out))
"""


def test_scipy_linalg_is_refused_only_in_the_loading_thread_and_only_while_it_loads():
    """The first kernel call builds numba's CPU target without numba's BLAS probe
    importing scipy.linalg (docs/performance.md, "Start-up"); the analysis, in other
    threads or later, must still import it. A fresh process: this one has scipy in."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", REFUSAL_PROBE], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "here": "refused",
        "other": True,
        "after": True,
        "refused_after": [],
    }
