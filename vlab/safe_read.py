"""The one hardened reader for every file vlab opens (experiments, protocols, practicals,
progress, settings).

Files come from students, e-mail and USB sticks, so nothing in them is trusted. Every
limit is checked *before* the expensive step it protects:

* only regular files are opened (a FIFO, device or folder is refused from ``stat``; the
  file is opened non-blocking, so a FIFO swapped in between cannot hang us);
* whole-file size limits (bytes) before reading;
* JSON: nesting depth and number of values counted by a cheap scan before parsing;
* TOML: nesting depth after parsing (the parser's own recursion is caught);
* zip containers: only known member names, stored or deflated, not encrypted, and the
  uncompressed sizes declared in the zip directory within limits (``zipfile`` never
  inflates beyond the declared size, so the directory bounds the memory);
* ``.npy`` arrays (inside ``.npz``): the header's dtype and shape must account for exactly
  the member's size, plain numeric dtypes only, never pickles.

Every failure is a :class:`BadFileError` (a ``ValueError``) with a one-line message that
names the file; callers re-raise it as their own error type (all ``ValueError`` s, so the
CLI exits with status 2 and the GUI shows a dialog).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

__all__ = [
    "BadFileError",
    "MAX_ARRAY_BYTES",
    "MAX_DEPTH",
    "MAX_JSON_VALUES",
    "MAX_TEXT_BYTES",
    "ReadCancelled",
    "ReadMeter",
    "check_zip_members",
    "loads_json",
    "loads_toml",
    "read_bytes",
    "read_npz_bytes",
    "read_npz_member",
    "read_text",
]

MAX_TEXT_BYTES = 8 * 2**20
"""Largest protocol, practical, progress or settings file (bytes)."""
MAX_DEPTH = 48
"""Deepest nesting of lists/tables in any JSON or TOML document vlab reads."""
MAX_JSON_VALUES = 2_000_000
"""Most values (numbers, strings, items) in one JSON document."""
MAX_ARRAY_BYTES = 2 * 2**30
"""Most bytes of array data one experiment file may declare (2 GiB of float64 samples)."""

_CHUNK = 1 << 20
"""Bytes read between two progress reports (and cancellation checks)."""

_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


class BadFileError(ValueError):
    """A file vlab will not read: the one-line message says which file and why.

    Attributes
    ----------
    path : str or None
        The file (None for in-memory text).
    """

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(" ".join(str(message).split()))
        self.path = (
            None
            if path is None
            else os.fspath(path)
            if isinstance(path, (str, os.PathLike))
            else str(path)
        )


class ReadCancelled(Exception):
    """Raised by a progress callback to stop a read; readers and loaders let it through.

    Deliberately not a ``ValueError``/``OSError``: no loader converts it into a file error.
    """


class ReadMeter:
    """Counts the bytes a read has processed against the bytes it will process.

    ``callback(fraction)`` gets the fraction done (0 to 1) after every chunk (at most
    ``1 MiB``); it may raise :class:`ReadCancelled` to stop the read.
    """

    def __init__(self, callback: Callable[[float], None], total: int) -> None:
        self.callback = callback
        self.total = max(int(total), 1)
        self.done = 0

    def add(self, nbytes: int) -> None:
        self.done += int(nbytes)
        self.callback(min(1.0, self.done / self.total))


def _name(path: str | os.PathLike[str]) -> str:
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    return name if len(name) <= 80 else name[:60] + "…" + name[-15:]


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).rstrip(".")


def open_regular(path: str | os.PathLike[str], max_bytes: int) -> io.BufferedReader:
    """Open ``path`` for reading if it is a regular file of at most ``max_bytes``.

    Raises
    ------
    BadFileError
        Missing, unreadable, a FIFO/device/folder, or too large.
    """
    name = _name(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise BadFileError(f"{name} does not exist.", path) from None
    except (OSError, ValueError) as exc:  # ValueError: embedded NUL in the path
        reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise BadFileError(f"{name}: cannot open it ({reason}).", path) from None
    kind = _kind(st.st_mode)
    if kind:
        raise BadFileError(f"{name} is {kind}, not a file vlab can open.", path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadFileError(f"{name}: cannot open it ({_os_reason(exc)}).", path) from None
    fh = os.fdopen(fd, "rb")
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind:  # replaced between stat and open
            raise BadFileError(f"{name} is {kind}, not a file vlab can open.", path)
        if st.st_size > max_bytes:
            raise BadFileError(
                f"{name} is {_size(st.st_size)}; vlab reads files of this kind up to "
                f"{_size(max_bytes)}.",
                path,
            )
    except BaseException:
        fh.close()
        raise
    return fh


def read_bytes(path: str | os.PathLike[str], max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (see :func:`open_regular`)."""
    with open_regular(path, max_bytes) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise BadFileError(
                f"{_name(path)}: cannot read it ({_os_reason(exc)}).", path
            ) from None
    if len(data) > max_bytes:  # grew while we read it
        raise BadFileError(f"{_name(path)} is larger than {_size(max_bytes)}.", path)
    return data


def read_text(path: str | os.PathLike[str], max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file of at most ``max_bytes`` (a leading BOM is dropped)."""
    return _decode(read_bytes(path, max_bytes), _name(path), path)


def _decode(data: bytes, name: str, path: object = None) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadFileError(
            f"{name} is not UTF-8 text (byte {exc.start} cannot be decoded).", path
        ) from None
    return text.removeprefix("\ufeff")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


# ---------------------------------------------------------------------------- JSON
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def _json_shape(data: bytes) -> tuple[int, int]:
    """(maximum nesting depth, number of separators) of JSON text, strings ignored."""
    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', data), np.uint8)
    values = int(np.count_nonzero(skeleton == ord(","))) + int(
        np.count_nonzero(skeleton == ord(":"))
    )
    depth = deepest = 0
    for start in range(0, skeleton.size, 1 << 20):  # bounded memory for large documents
        steps = np.cumsum(_OPEN[skeleton[start : start + (1 << 20)]], dtype=np.int32) + depth
        if steps.size:
            deepest = max(deepest, int(steps.max()))
            depth = int(steps[-1])
    return deepest, values


def loads_json(
    data: str | bytes,
    source: str = "<JSON>",
    *,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_JSON_VALUES,
    path: object = None,
) -> Any:
    """Parse JSON after checking its nesting depth and size; no NaN/Infinity constants.

    Raises
    ------
    BadFileError
        Invalid JSON, nesting deeper than ``max_depth`` or more than ``max_values`` values.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    depth, values = _json_shape(raw)
    if depth > max_depth:
        raise BadFileError(
            f"{source}: nested {depth} levels deep; vlab reads at most {max_depth}.", path
        )
    if values > max_values:
        raise BadFileError(
            f"{source}: holds about {values:,} values; vlab reads at most {max_values:,}.", path
        )
    try:
        return json.loads(_decode(raw, source, path), parse_constant=_no_constant)
    except RecursionError:  # pragma: no cover - the scan above refuses this first
        raise BadFileError(f"{source}: nested too deeply.", path) from None
    except ValueError as exc:
        if isinstance(exc, BadFileError):
            raise
        raise BadFileError(
            f"{source} is damaged or incomplete: not valid JSON ({_first_line(exc)}).", path
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------- TOML
def loads_toml(
    text: str | bytes, source: str = "<TOML>", *, max_depth: int = MAX_DEPTH, path: object = None
) -> dict[str, Any]:
    """Parse TOML and refuse nesting deeper than ``max_depth`` (tables, arrays, dotted keys).

    Raises
    ------
    BadFileError
        Not UTF-8, invalid TOML (with TOML's line and column) or nested too deeply.
    """
    if isinstance(text, bytes):
        text = _decode(text, source, path)
    if len(text) > MAX_TEXT_BYTES:
        raise BadFileError(f"{source} is larger than {_size(MAX_TEXT_BYTES)}.", path)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise BadFileError(
            f"{source}: nested too deeply; vlab reads at most {max_depth} levels.", path
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadFileError(f"{source}: invalid TOML: {_first_line(exc)}.", path) from None
    depth = nesting_depth(data)
    if depth > max_depth:
        raise BadFileError(
            f"{source}: nested {depth} levels deep; vlab reads at most {max_depth}.", path
        )
    return data


def nesting_depth(obj: Any) -> int:
    """Depth of nested dicts/lists (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((c, depth) for c in children)
    return deepest


# ---------------------------------------------------------------------------- zip and npz
def check_zip_members(
    zf: zipfile.ZipFile,
    source: str,
    limits: Mapping[str, int] | None = None,
    *,
    pattern: re.Pattern[str] | None = None,
    pattern_limit: int = 0,
    total_limit: int = MAX_ARRAY_BYTES,
    path: object = None,
) -> dict[str, zipfile.ZipInfo]:
    """Check a zip's directory before reading any member; returns name -> info.

    Parameters
    ----------
    limits
        Known member names -> largest uncompressed size each may declare (bytes).
    pattern, pattern_limit
        Further allowed names (regular expression) and the size limit of each.
    total_limit
        Largest sum of declared uncompressed sizes.

    Raises
    ------
    BadFileError
        Unknown or duplicate member names, encryption, a compression method other than
        stored/deflated, or sizes over the limits.
    """
    limits = dict(limits or {})
    infos: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in zf.infolist():
        name = info.filename
        if name in infos:
            raise BadFileError(f"{source}: the member {name!r} appears twice.", path)
        if name in limits:
            limit = limits[name]
        elif pattern is not None and pattern.fullmatch(name):
            limit = pattern_limit
        else:
            raise BadFileError(f"{source}: holds an unexpected member {name[:60]!r}.", path)
        if info.flag_bits & 0x1:
            raise BadFileError(
                f"{source}: {name} is encrypted; vlab files are never encrypted.", path
            )
        if info.compress_type not in _ZIP_METHODS:
            raise BadFileError(
                f"{source}: {name} uses zip compression method {info.compress_type}; vlab "
                "reads only stored or deflated members (re-save it with vlab).",
                path,
            )
        if info.file_size > limit:
            raise BadFileError(
                f"{source}: {name} would unpack to {_size(info.file_size)}; vlab allows "
                f"{_size(limit)}.",
                path,
            )
        total += info.file_size
        if total > total_limit:
            raise BadFileError(
                f"{source}: would unpack to more than {_size(total_limit)}; vlab refuses it "
                "(a damaged file or a zip bomb).",
                path,
            )
        infos[name] = info
    return infos


def read_member(
    zf: zipfile.ZipFile,
    name: str,
    source: str,
    path: object = None,
    *,
    meter: ReadMeter | None = None,
) -> bytes:
    """One checked member's bytes (CRC verified by ``zipfile``); errors as BadFileError.

    With a ``meter``, the member is inflated in chunks and each chunk's size reported.
    """
    with _member_errors(source, name, path):
        if meter is None:
            return zf.read(name)
        out = io.BytesIO()
        _spool(zf, name, out, meter)
        return out.getvalue()


@contextlib.contextmanager
def _member_errors(source: str, name: str, path: object) -> Iterator[None]:
    """Reading member ``name`` of a zip: every failure of it as one BadFileError."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise BadFileError(
            f"{source}: {name} is damaged or incomplete ({_first_line(exc)}).", path
        ) from None
    except NotImplementedError:  # pragma: no cover - refused by check_zip_members
        raise BadFileError(f"{source}: {name} uses an unsupported compression.", path) from None


_NPY_NAME = re.compile(r"[A-Za-z0-9_]{1,200}\.npy")


def read_npz_bytes(
    data: bytes,
    source: str,
    *,
    total_limit: int = MAX_ARRAY_BYTES,
    path: object = None,
    meter: ReadMeter | None = None,
) -> dict[str, np.ndarray]:
    """The arrays of an in-memory ``.npz`` (numeric dtypes only), each header checked.

    An array's header (dtype, shape) must account for exactly the bytes of its member, so a
    tiny file cannot claim a huge array; pickles and object arrays are never read. A
    ``meter`` is told the size of every chunk of array data copied.

    Raises
    ------
    BadFileError
        Anything that is not a plain numeric ``.npz`` within the limits.
    """
    return _read_npz(io.BytesIO(data), source, total_limit, path, meter)


class _SpoolFull(OSError):
    """Writing a member to its temporary file failed (the temporary folder is full)."""


def _spool(zf: zipfile.ZipFile, name: str, out: IO[bytes], meter: ReadMeter | None) -> None:
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):  # the CRC is checked when the end is read
            try:
                out.write(chunk)
            except OSError as exc:
                raise _SpoolFull from exc
            if meter is not None:
                meter.add(len(chunk))


def read_npz_member(
    zf: zipfile.ZipFile,
    name: str,
    source: str,
    path: object = None,
    *,
    total_limit: int = MAX_ARRAY_BYTES,
    meter: ReadMeter | None = None,
) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` held in member ``name`` of ``zf`` (checked as in
    :func:`read_npz_bytes`), without its bytes in memory beside the arrays.

    The member is inflated chunk by chunk into an anonymous temporary file, from which
    the arrays are read one by one: memory beyond the arrays stays at about a MiB however
    large the file (a copy of the whole member in memory would double the peak of opening
    a large experiment). If the temporary folder cannot take it (full, read-only), the
    member is read into memory instead. ``meter`` counts the inflated bytes, then the
    array bytes copied.
    """
    with _member_errors(source, name, path):
        try:
            spool: IO[bytes] = tempfile.TemporaryFile()
        except OSError:  # no usable temporary folder
            spool = io.BytesIO()
        try:
            _spool(zf, name, spool, meter)
        except _SpoolFull:  # the temporary folder is full: read the member into memory
            spool.close()
            spool = io.BytesIO()
            _spool(zf, name, spool, None)
        except BaseException:
            spool.close()
            raise
    with spool:
        spool.seek(0)
        return _read_npz(spool, f"{source}: {name}", total_limit, path, meter)


def _read_npz(
    fh: IO[bytes], source: str, total_limit: int, path: object, meter: ReadMeter | None
) -> dict[str, np.ndarray]:
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BadFileError(
            f"{source}: not a valid array archive ({_first_line(exc)}).", path
        ) from None
    arrays: dict[str, np.ndarray] = {}
    with zf:
        infos = check_zip_members(
            zf,
            source,
            pattern=_NPY_NAME,
            pattern_limit=total_limit,
            total_limit=total_limit,
            path=path,
        )
        for name, info in infos.items():
            arrays[name[:-4]] = _read_npy(zf, info, f"{source}: {name}", path, meter)
    return arrays


def _read_npy(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    where: str,
    path: object,
    meter: ReadMeter | None = None,
) -> np.ndarray:
    fmt = np.lib.format
    try:
        with zf.open(info) as fh:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unknown .npy version {version}")
            header_end = fh.tell()
            if dtype.hasobject or dtype.fields is not None or dtype.kind not in "fiub":
                raise ValueError(f"holds {dtype} data, not plain numbers")
            count = 1
            for dim in shape:
                count *= int(dim)
            nbytes = count * dtype.itemsize
            if header_end + nbytes != info.file_size:
                raise ValueError(
                    f"its header promises {nbytes:,} bytes of data but the member holds "
                    f"{info.file_size - header_end:,}"
                )
            arr = np.empty(count, dtype=dtype)
            view = arr.view(np.uint8).reshape(-1).data  # a writable memoryview
            done = 0
            while done < nbytes:
                chunk = fh.read(min(_CHUNK, nbytes - done))
                if not chunk:
                    break
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
                if meter is not None:
                    meter.add(len(chunk))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise BadFileError(
            f"{where} is damaged or incomplete ({_first_line(exc)}).", path
        ) from None
    except (ValueError, TypeError, SyntaxError) as exc:
        raise BadFileError(f"{where} is not a valid array ({_first_line(exc)}).", path) from None
    if done != nbytes:
        raise BadFileError(f"{where} is cut short.", path)
    return arr.reshape(shape, order="F" if fortran else "C")
