"""Optional just-in-time compilation of the membrane kernel with numba.

The kernel in :mod:`vlab.sim.kernel` is plain Python over numpy arrays. With numba it
runs about 100x faster (docs/performance.md). numba is a dependency, but vlab must still
start if it is missing or cannot cache (a read-only install, a frozen app): then
the same code runs uncompiled, slower but identical in result.

Set ``VLAB_NO_JIT=1`` to force the pure-Python path (used by tests that compare both).

numba's cache notices a change to the file of a cached function but not to the functions
it calls from other files (numba docs, "Cache invalidation"): a kernel cached before
``kinetics.py`` changed would keep the old rates. The cache therefore lives in a
sub-folder named by a digest of every ``vlab/sim`` source, so any change starts afresh.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.abc
import logging
import os
import shutil
import sys
import threading
import types
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["njit", "JIT_ENABLED", "interpret_until_loaded", "load_in_background", "loading"]


#: numba cache compiled at install time (``scripts/setup-env`` runs ``vlab.rig.warmup``
#: with NUMBA_CACHE_DIR set here); copied into a new user's cache on their first start, so
#: that no student's first start waits for the compiler (docs/performance.md, "Start-up")
SEED_CACHE = os.path.join(sys.prefix, "share", "vlab", "numba-cache")


def _seed(path: str, digest: str) -> None:
    """Copy into the per-user cache folder ``path`` the install-time cache files of these
    sources (sub-folder ``digest``) it lacks (a new user, or a Python the user has not run
    vlab with); the user's own files are kept."""
    if os.environ.get("VLAB_NO_SEED_CACHE") == "1" or not os.path.isdir(SEED_CACHE):
        return  # (VLAB_NO_SEED_CACHE=1: bench/bench_startup.py measures a start without it)
    if os.path.abspath(path) == os.path.abspath(SEED_CACHE):
        return
    seed = os.path.join(SEED_CACHE, digest)
    try:
        for folder, _dirs, files in os.walk(seed):
            rel = os.path.relpath(folder, SEED_CACHE)
            target = os.path.normpath(os.path.join(path, rel))
            for name in files:
                dest = os.path.join(target, name)
                if not os.path.exists(dest):
                    os.makedirs(target, exist_ok=True)
                    shutil.copy2(os.path.join(folder, name), dest)
    except OSError as exc:  # the kernels are compiled instead
        log.info("could not copy the install-time kernel cache (%s)", exc)


def sources_digest(folder: Path = Path(__file__).parent) -> str:
    """Short digest of the ``*.py`` sources in ``folder`` (the compiled kernels and all
    they call), naming the cache sub-folder."""
    digest = hashlib.sha1()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        try:
            digest.update(path.read_bytes())
        except OSError:  # a frozen app without sources: its code cannot change
            pass
    return digest.hexdigest()[:16]


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".write-test-{os.getpid()}")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except Exception:  # noqa: BLE001 - any failure means: not usable
        return False
    return True


def _cache_dir() -> str | None:
    """A writable folder for numba's cache, keyed by the sources, or None if there is none.

    ``$NUMBA_CACHE_DIR`` if set; else the per-user cache folder; if that is not writable
    (a read-only or full home), a per-user folder in the temporary directory. Both per-user
    choices are seeded from the install-time cache, so an unwritable home does not make
    every start compile the kernels again (issue 11: 3.8x slower starts).
    """
    try:
        digest = sources_digest()
    except Exception:  # noqa: BLE001
        return None
    base = os.environ.get("NUMBA_CACHE_DIR")
    if base:
        # a child process inherits the keyed folder set below: do not nest it again
        path = base if os.path.basename(base) == digest else os.path.join(base, digest)
        return path if _writable(path) else None
    import tempfile

    candidates = []
    try:
        from platformdirs import user_cache_dir

        candidates.append(os.path.join(user_cache_dir("vlab", appauthor=False), "numba"))
    except Exception:  # noqa: BLE001
        pass
    user = getattr(os, "getuid", lambda: "user")()
    candidates.append(os.path.join(tempfile.gettempdir(), f"vlab-numba-{user}"))
    for base in candidates:
        path = os.path.join(base, digest)
        if _writable(path):
            _seed(base, digest)  # the install-time cache holds the same sub-folder
            return path
    return None


JIT_ENABLED = os.environ.get("VLAB_NO_JIT", "") not in ("1", "true", "yes")
_numba: types.ModuleType | None = None  # numba, once the kernels are resolved
_CACHE = False
if JIT_ENABLED:
    cache_dir = _cache_dir()
    if cache_dir:
        # numba reads this when it is imported: it must be set first.
        os.environ["NUMBA_CACHE_DIR"] = cache_dir
        _CACHE = True

_lazy: list[_Lazy] = []  # every kernel function awaiting its first call
_lazy_lock = threading.Lock()  # guards _lazy
_resolve_lock = threading.Lock()  # held while numba is imported and the stand-ins resolved
#: set by interpret_until_loaded() or load_in_background() until the loader thread has
#: loaded the kernels: meanwhile a call
#: of a stand-in runs the function's Python source (its "twin") instead of waiting
_interpreting = False
_loader: threading.Thread | None = None
_twin_lock = threading.Lock()
_shadows: dict[int, dict] = {}  # id(module namespace) -> its copy seen by the twins


class _Lazy:
    """A kernel function until its first call: then numba is imported and every waiting
    function is compiled (or loaded from the cache) at once.

    Importing numba costs ~0.3–1 s, which the rig window should not wait for: the window
    is built and painted first (docs/performance.md, "Start-up"). The simulation thread
    then starts numba's import and the kernels' loading in a thread of their own
    (:func:`load_in_background`) and, until that is done, runs the kernels' Python
    source, which gives the same numbers. On resolution each module-level name bound to a
    stand-in is rebound to the numba dispatcher, so later calls skip this wrapper.
    """

    def __init__(self, func) -> None:
        functools.update_wrapper(self, func)
        self.py_func = func
        self.target: Any = None  # the dispatcher (or func itself if numba is unavailable)
        self.dispatcher: Any = None  # made by the loader thread before it sets target
        self.twin: types.FunctionType | None = None  # func run as Python while loading
        self.first_args: tuple | None = None  # of the first call run as Python

    def __call__(self, *args, **kwargs):
        target = self.target
        if target is not None:
            return target(*args, **kwargs)
        if _interpreting:
            return _run_interpreted(self, args, kwargs)
        target = _resolve(self)
        with _without_scipy_linalg():  # the first call builds numba's CPU target
            return target(*args, **kwargs)

    def __getattr__(self, name: str):
        """The dispatcher's attributes (stats, signatures...; and what numba looks up in
        a global bound to this stand-in while the loader thread compiles a kernel that
        calls it, before the names are rebound: its type, its name)."""
        if name.startswith("__"):
            raise AttributeError(name)
        target = self.target if self.target is not None else self.dispatcher
        if target is None:
            if name.startswith("_"):  # e.g. numba's _numba_type_: not a dispatcher yet
                raise AttributeError(name)
            target = _resolve(self)
        return getattr(target, name)


def _twin(stub: _Lazy) -> types.FunctionType:
    """``stub``'s function as plain Python, calling the other kernels as plain Python
    too: a copy whose module namespace is a copy with every stand-in replaced by its
    twin (taken at the first call; the kernels' modules are fully imported by then and
    bind only constants and functions)."""
    twin = stub.twin
    if twin is None:
        with _twin_lock:
            twin = _make_twin(stub)
    return twin


def _make_twin(stub: _Lazy) -> types.FunctionType:
    if stub.twin is None:
        f = stub.py_func
        twin = types.FunctionType(
            f.__code__, _shadow(f.__globals__), f.__name__, f.__defaults__, f.__closure__
        )
        twin.__kwdefaults__ = f.__kwdefaults__
        twin.__qualname__ = f.__qualname__
        stub.twin = twin
    return stub.twin


def _shadow(namespace: dict) -> dict:
    shadow = _shadows.get(id(namespace))
    if shadow is None:
        shadow = _shadows[id(namespace)] = dict(namespace)  # registered first: cycles
        for key, value in namespace.items():
            if isinstance(value, _Lazy):
                shadow[key] = _make_twin(value)
    return shadow


def _run_interpreted(stub: _Lazy, args: tuple, kwargs: dict):
    """Run ``stub``'s twin; the loader thread compiles the kernel for these arguments.

    Where numba's numpy error model gives inf or nan (an exponential that overflows, a
    division by zero), Python raises instead: then the arrays the call wrote are put
    back and the call waits for the compiled kernel, so the result is numba's.
    """
    if stub.first_args is None and not kwargs:
        stub.first_args = args
    saved = [(a, a.copy()) for a in args if getattr(getattr(a, "flags", None), "writeable", 0)]
    try:
        return _twin(stub)(*args, **kwargs)
    except ArithmeticError:
        for array, copy in saved:
            array[...] = copy
        return _resolve(stub)(*args, **kwargs)


def interpret_until_loaded() -> bool:
    """From now until :func:`load_in_background`'s thread has loaded the kernels, calls of
    the kernels run their Python source (:func:`_twin`) instead of importing numba.

    The simulation thread calls this as it starts, and :func:`load_in_background` once
    its first blocks are drawn: numba's import in a second thread, while the first block
    was simulated and drawn, slowed both (the first live frame 25 ms later, a median of 6
    starts; docs/performance.md, "Start-up"). Whoever calls this must make sure
    :func:`load_in_background` follows. Returns False when there is nothing to load.
    """
    global _interpreting
    with _lazy_lock:
        if not JIT_ENABLED or _loader is not None or not _lazy:
            return False
        _interpreting = True
    return True


def loading() -> bool:
    """True from :func:`interpret_until_loaded` until the kernels are loaded."""
    return _interpreting


def load_in_background() -> bool:
    """Import numba and load (or compile) the kernels in a thread of its own; until it is
    done, calls of the kernels run their Python source (:func:`_twin`).

    The simulation thread calls this once its first blocks are drawn (after
    :func:`interpret_until_loaded` as it starts), so that the first live frame does not
    wait for numba's import and its CPU target (~0.3 s warm, docs/performance.md,
    "Start-up"). The thread builds numba's target and loads each
    kernel for the argument types of its first call as Python, so the switch to compiled
    code costs the simulation nothing. A process ending meanwhile waits for the thread.
    Returns False when there is nothing to load (numba disabled, or the kernels already
    resolved).

    Call it only once garbage collection has been moved to the GUI thread
    (:mod:`vlab.gui.gc_guard`): the import allocates a lot, and a collection in this
    thread could free Qt objects there.
    """
    global _interpreting, _loader
    with _lazy_lock:
        if not JIT_ENABLED or _loader is not None or not _lazy:
            return False
        _interpreting = True
        # not a daemon (a thread started from a QThread would be one by default): at exit
        # Python waits for it rather than stop it inside LLVM or an import
        _loader = threading.Thread(target=_load, name="vlab-kernel-loader", daemon=False)
        _loader.start()
    return True


def _load() -> None:
    global _interpreting
    try:
        with _resolve_lock:
            with _lazy_lock:
                stubs = [s for s in _lazy if s.target is None]
            if not stubs:
                return
            numba = _import_numba()
            if numba is not None:
                for s in stubs:
                    s.dispatcher = _compile(numba, s.py_func)
                with _without_scipy_linalg():
                    _prepare(numba, stubs)
            _bind(numba, stubs)
    except Exception as exc:  # noqa: BLE001 - the kernels then resolve at their next call
        log.warning("loading the compiled kernels failed (%s)", exc)
    finally:
        _interpreting = False


def _prepare(numba: types.ModuleType, stubs: list[_Lazy]) -> None:
    """Build numba's CPU target and load (or compile) each kernel for the argument types
    of its first call as Python, in the loader thread."""
    dispatchers = [s for s in stubs if s.dispatcher is not s.py_func]
    if not dispatchers:
        return
    try:
        first = dispatchers[0].dispatcher
        first.typingctx.refresh()
        first.targetctx.refresh()
    except Exception as exc:  # noqa: BLE001 - the first call builds it instead
        log.info("could not build numba's target ahead (%s)", exc)
    for s in dispatchers:
        args = s.first_args
        if args is None:
            continue
        try:
            s.dispatcher.compile(tuple(numba.typeof(a) for a in args))
        except Exception as exc:  # noqa: BLE001 - the first compiled call compiles it
            log.info("could not prepare %s ahead (%s)", s.py_func.__name__, exc)


def _bind(numba: types.ModuleType | None, stubs: list[_Lazy]) -> None:
    """Make the stand-ins call their dispatchers and rebind the names bound to them."""
    global _numba
    swap: dict[int, object] = {}
    for s in stubs:
        if s.dispatcher is None:
            s.dispatcher = _compile(numba, s.py_func)
        s.target = s.dispatcher
        s.first_args = None
        swap[id(s)] = s.target
    _numba = numba
    with _lazy_lock:
        _lazy[:] = [s for s in _lazy if s.target is None]
    with _twin_lock:  # no call runs as Python from now on (a call under way keeps its own)
        _shadows.clear()
        for s in stubs:
            s.twin = None
    for name, module in list(sys.modules.items()):
        if not name.startswith("vlab.") or module is None:
            continue
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if id(value) in swap and isinstance(value, _Lazy):
                namespace[key] = swap[id(value)]


class _Refuser(importlib.abc.MetaPathFinder):
    """Refuses to find the modules a thread named in ``refused`` (``ModuleNotFoundError``),
    in that thread only; other threads import them as usual.

    Put first in ``sys.meta_path`` once and never taken out: removing a finder while
    another thread's import walks that list could make it skip the next finder."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def refused(self) -> frozenset[str]:
        return getattr(self._local, "refused", frozenset())

    @refused.setter
    def refused(self, names: frozenset[str]) -> None:
        self._local.refused = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.refused:
            raise ModuleNotFoundError(f"{fullname} is not needed here", name=fullname)
        return None


_refuser: _Refuser | None = None
_refuser_lock = threading.Lock()


@contextlib.contextmanager
def _without_scipy_linalg():
    """While numba's CPU target is built (by the first kernel call, or by the loader
    thread of :func:`load_in_background`), ``scipy.linalg`` cannot be imported in this
    thread.

    Building the target imports ``numba.np.arraymath``, which imports ``scipy.linalg``
    (0.1–0.7 s, the largest part of a new user's wait for the first live frame after
    numba's own import) only to learn whether ``np.dot`` in compiled code can call BLAS;
    vlab's kernels use no BLAS, and numba falls back to its own loops when the import
    fails. Other threads, and this one afterwards, import ``scipy.linalg`` as usual (the
    analysis uses it); ``tests/gui/test_first_paint.py`` checks that loading the kernels
    for the first live frames does not import it.
    """
    global _refuser
    if "scipy.linalg" in sys.modules:
        yield
        return
    with _refuser_lock:
        if _refuser is None:
            _refuser = _Refuser()
            sys.meta_path.insert(0, _refuser)
    _refuser.refused = frozenset({"scipy.linalg"})
    try:
        yield
    finally:
        _refuser.refused = frozenset()


def _import_numba() -> types.ModuleType | None:
    global JIT_ENABLED
    try:
        import numba
    except Exception as exc:  # noqa: BLE001
        log.warning("numba unavailable (%s); the membrane kernel runs in plain Python", exc)
        JIT_ENABLED = False
        return None
    return numba


def _absolute_source(func):
    """Give ``func``'s code its source file's absolute path, if it has a relative one.

    PyInstaller's bundle stores code objects with paths relative to the bundle
    (``vlab/sim/kernel.py``). numba finds the source to cache against through that path,
    so in the bundle it looked for it relative to the working directory: from any other
    folder than the bundle's it ignored ``NUMBA_CACHE_DIR`` (the per-user cache and the
    ``.deb``'s install-time cache) and cached under ``~/.cache/numba``, in a folder named
    after the working directory, compiling again in every new one.
    """
    code = func.__code__
    if os.path.isabs(code.co_filename):
        return func
    path = getattr(sys.modules.get(func.__module__), "__file__", None)
    if path and os.path.isabs(path) and os.path.isfile(path):
        func.__code__ = code.replace(co_filename=path)
    return func


def _compile(numba: types.ModuleType | None, func):
    if numba is None:
        return func
    _absolute_source(func)
    try:
        # nogil: the kernels touch no Python objects, so a worker thread running one
        # never holds up the GUI thread
        return numba.njit(cache=_CACHE, nogil=True, fastmath=False, error_model="numpy")(func)
    except Exception as exc:  # noqa: BLE001
        log.warning("numba could not prepare %s (%s); using plain Python", func.__name__, exc)
        return func


def _resolve(stub: _Lazy):
    """Import numba, make every waiting stand-in's dispatcher and rebind the names (or,
    while the loader thread does that, wait for it)."""
    with _resolve_lock:
        if stub.target is not None:
            return stub.target
        with _lazy_lock:
            stubs = [s for s in _lazy if s.target is None]
        if stub not in stubs:
            stubs.append(stub)
        _bind(_import_numba(), stubs)
        return stub.target


def njit(func):
    """Compile ``func`` with numba (fastmath off, cached when a cache folder is writable)
    when it is first called (:class:`_Lazy`).

    Returns the undecorated function when numba is disabled (``VLAB_NO_JIT=1``).
    """
    if not JIT_ENABLED:
        return func
    if _numba is not None:  # numba is in already: compile at once
        return _compile(_numba, func)
    stub = _Lazy(func)
    with _lazy_lock:
        _lazy.append(stub)
    return stub
