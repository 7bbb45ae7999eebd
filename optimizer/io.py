"""Reading and writing contract files with errors that name the file, object id and field."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from optimizer.errors import InputError
from optimizer.models import Plan, Problem, describe_validation_error

M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: Any, *, source: str = "input") -> M:
    """Validate ``data`` as ``model``; on failure an InputError listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError([f"{source}: {m}" for m in describe_validation_error(exc, data)]) from None


def read_text(path: str | Path) -> str:
    """A UTF-8 text file, or an InputError naming the file and why it cannot be read."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None


def read_json(path: str | Path) -> Any:
    p = Path(path)
    text = read_text(p)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    except RecursionError:
        raise InputError(f"{p}: not usable JSON (nested too deeply)") from None


def read_problem(path: str | Path) -> Problem:
    """A contract problem from a JSON file."""
    return parse_model(Problem, read_json(path), source=str(path))


def read_plan(path: str | Path) -> Plan:
    """A contract plan from a JSON file."""
    return parse_model(Plan, read_json(path), source=str(path))


def table_path(directory: Path, name: str) -> Path | None:
    """The table ``name`` in ``directory`` as ``name.csv`` or ``name.parquet`` (None: neither)."""
    for suffix in (".csv", ".parquet"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def to_json(model: BaseModel) -> str:
    """Contract JSON of a model: optional fields that are unset are left out."""
    return model.model_dump_json(indent=1, exclude_none=True) + "\n"


def _umask() -> int:
    try:  # Linux >= 4.7 shows it without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - elsewhere: read it by setting it
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def new_file_mode(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would give: the old file's, else 0666 - umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def check_writable_dir(directory: str | Path, what: str = "output directory") -> Path:
    """Create ``directory`` if need be and prove a file can be written there, before any long
    work: an InputError naming the directory and the reason otherwise."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError(f"{d}: the {what} exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{d}: cannot write to the {what} ({exc.strerror or exc})") from None
    return d


def check_output_file(path: str | Path) -> Path:
    """Refuse, before any long work, an output file that cannot be written."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory (give the output file's name)")
    check_writable_dir(p.parent if str(p.parent) else Path("."), "directory of the output file")
    return p


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file so that a crash never leaves it half-written (a new file gets the mode
    the umask gives, an existing one keeps its own)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    mode = new_file_mode(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
