"""Writing OUT_DIR atomically: all files or none, never a half-written directory.

Files are written into a hidden sibling ``.<name>.tmp-<random>``, flushed to disk, then the
manifest ``_COMPLETE`` (file names, sizes, SHA-256) is written last, and the directory takes
the place of OUT_DIR in one rename (an atomic exchange with the previous run's directory on
Linux, else rename-aside then rename). A crash leaves at most a hidden temporary directory
with no ``_COMPLETE`` beside an untouched OUT_DIR; the writer holds a lock (``flock``) on its
temporary directory while it works, so a later run knows such a leftover from a run still
writing and removes it (:func:`clean_stale`). An existing OUT_DIR is replaced only when it is
empty or a previous nightly output (it has ``_COMPLETE``), so no other directory is ever
deleted by mistake.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from optimizer.errors import InputError

MARKER = "_COMPLETE"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2); False where not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def is_complete(out_dir: str | Path) -> bool:
    """True when ``out_dir`` is a finished nightly output (its manifest is there)."""
    return (Path(out_dir) / MARKER).is_file()


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a directory that is neither empty nor a previous nightly output."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    if any(out_dir.iterdir()) and not is_complete(out_dir):
        raise InputError(
            f"{out_dir}: exists, is not empty and is not a nightly output (no {MARKER}); "
            "refusing to replace it — choose another -o or empty it"
        )


def _tmp_prefix(out: Path) -> str:
    return f".{out.name}.tmp-"


def _lock(directory: Path, wait: bool) -> int | None:
    """An ``flock`` on ``directory`` (its fd, to close to release it); None if another
    process holds it (only when not ``wait``)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def clean_stale(out_dir: str | Path) -> list[Path]:
    """Remove the temporary directories of runs that were killed while writing ``out_dir``
    (``.<name>.tmp-*`` that no live writer holds locked); return what was removed."""
    out = Path(out_dir).resolve()
    prefix = _tmp_prefix(out)
    try:
        candidates = [p for p in out.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:  # no parent yet, or not readable: nothing of ours there
        return []
    removed = []
    for path in sorted(candidates):
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            fd = _lock(path, wait=False)
        except OSError:
            continue
        if fd is None:
            continue  # a run is writing it now
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)
        if not path.exists():
            removed.append(path)
    return removed


def write_atomic_dir(out_dir: str | Path, files: Mapping[str, bytes | str],
                     manifest: Mapping[str, object] | None = None) -> Path:
    """Write ``files`` (name -> content) as the directory ``out_dir``, all at once.

    ``manifest`` adds fields to ``_COMPLETE``. Returns the resolved OUT_DIR.
    """
    out = Path(out_dir).resolve()
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    token = uuid.uuid4().hex[:10]
    tmp = out.parent / f"{_tmp_prefix(out)}{token}"
    tmp.mkdir()
    held = _lock(tmp, wait=True)  # tells a later run's clean_stale that this one is alive
    try:
        listing = []
        for name, content in files.items():
            if "/" in name or name in ("", ".", "..", MARKER):
                raise ValueError(f"bad output file name {name!r}")
            data = content.encode("utf-8") if isinstance(content, str) else content
            _write_file(tmp / name, data)
            listing.append({"name": name, "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()})
        marker = {"written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                  **(manifest or {}), "files": listing}
        _write_file(tmp / MARKER, (json.dumps(marker, indent=1) + "\n").encode())
        _fsync_dir(tmp)
        if out.exists():
            check_replaceable(out)  # again: it may have changed while we wrote
            if _exchange(tmp, out):
                shutil.rmtree(tmp)  # tmp now holds the previous run
            else:
                old = out.parent / f".{out.name}.old-{token}"
                os.rename(out, old)
                os.rename(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
        _fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if held is not None:
            with contextlib.suppress(OSError):
                os.close(held)
    return out


def verify(out_dir: str | Path) -> list[str]:
    """Problems with a nightly output: a missing manifest, or files that do not match it."""
    out = Path(out_dir)
    if not is_complete(out):
        return [f"{out}: no {MARKER} (incomplete or not a nightly output)"]
    marker = json.loads((out / MARKER).read_text())
    problems = []
    for entry in marker.get("files", []):
        path = out / entry["name"]
        if not path.is_file():
            problems.append(f"{entry['name']}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: content differs from the manifest")
    return problems
