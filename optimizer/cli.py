"""The `optimizer` command line: one sub-command per capability.

Each capability module registers its own sub-commands through a ``register(subparsers)``
function listed in ``_COMMAND_MODULES``; the handlers call the same public functions a
library user calls.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from optimizer.errors import InputError, OptimizerError, SolverError

# Modules that provide ``register(subparsers) -> None``. Each sets ``func`` on its parsers.
_COMMAND_MODULES = [
    "optimizer.dispatch.cli",
    "optimizer.parts.cli",
    "optimizer.dispatcher.cli",
    "optimizer.service.cli",
    "optimizer.batch.cli",
    "optimizer.scenario.cli",
    "optimizer.report.cli",
    "optimizer.maintenance.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optimizer",
        description="Field-service dispatch and spare-parts optimisation engine.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc = args.func(args)
    except OptimizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except MemoryError:
        print("error: out of memory (the problem is too large for this machine: see "
              "docs/reliability.md for the limits)", file=sys.stderr)
        return SolverError.exit_code
    except OSError as exc:  # a file the run reads or writes: not the engine's fault
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return InputError.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
