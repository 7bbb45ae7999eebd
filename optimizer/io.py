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


def read_problem(path: str | Path) -> Problem:
    """A contract problem from a JSON file."""
    return parse_model(Problem, read_json(path), source=str(path))


def read_plan(path: str | Path) -> Plan:
    """A contract plan from a JSON file."""
    return parse_model(Plan, read_json(path), source=str(path))


def to_json(model: BaseModel) -> str:
    """Contract JSON of a model: optional fields that are unset are left out."""
    return model.model_dump_json(indent=1, exclude_none=True) + "\n"


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file so that a crash never leaves it half-written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
