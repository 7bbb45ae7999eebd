"""CLI command of the dispatch service: ``optimizer serve``."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from types import FrameType

from optimizer.errors import InputError
from optimizer.limits import Limits
from optimizer.service.jobs import DEFAULT_MAX_SOLVE_S
from optimizer.service.store import StoreError

DEFAULT_STORE = "sqlite:///optimizer-service.db"
GRACEFUL_S = 5  # seconds open requests get to finish once the service is told to stop


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the dispatch HTTP service (OpenAPI at /openapi.json, pages at /docs)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--store",
        default=DEFAULT_STORE,
        metavar="URL",
        help="plan store: sqlite:///path.db (relative), sqlite:////abs/path.db, a file path, "
        f"or postgresql://user:pass@host:port/db (default {DEFAULT_STORE})",
    )
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=None,
        help="require the API key held in environment variable VAR in the X-API-Key header "
        "(every endpoint but /health)",
    )
    p.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        metavar="N",
        help="refuse request bodies larger than N bytes with 413 (default 16 MiB)",
    )
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help="solves run at once (default 1)"
    )
    d = Limits()
    p.add_argument("--max-jobs", type=int, default=d.max_jobs, metavar="N",
                   help=f"refuse problems (and event batches) of more jobs with 413 "
                        f"(default {d.max_jobs:,})")
    p.add_argument("--max-engineers", type=int, default=d.max_engineers, metavar="N",
                   help=f"refuse problems of more engineers with 413 (default {d.max_engineers:,})")
    p.add_argument("--max-matrix-points", type=int, default=d.max_matrix_points, metavar="N",
                   help="refuse travel matrices of more points with 413 "
                        f"(default {d.max_matrix_points:,})")
    p.add_argument("--max-memory-mb", type=int, default=None, metavar="MB",
                   help="refuse problems whose solve is estimated to need more memory, and "
                        "stop a solve that takes much more (default: half of this machine's)")
    p.add_argument("--max-solve-s", type=float, default=DEFAULT_MAX_SOLVE_S, metavar="S",
                   help="stop any solve after S seconds, and refuse time_limit_s over it "
                        f"(default {DEFAULT_MAX_SOLVE_S:g})")
    p.add_argument("--lease-s", type=float, default=30.0, metavar="S",
                   help="a solve's lease on its plan: after a crash, another process takes the "
                        "plan over once it runs out (default 30)")
    p.set_defaults(func=_serve)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _limits(args: argparse.Namespace) -> Limits:
    for name in ("max_jobs", "max_engineers", "max_matrix_points", "max_memory_mb"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError(f"--{name.replace('_', '-')}: must be at least 1")
    memory = (Limits.for_this_machine().max_memory_bytes if args.max_memory_mb is None
              else args.max_memory_mb * 2**20)
    return Limits(max_jobs=args.max_jobs, max_engineers=args.max_engineers,
                  max_matrix_points=args.max_matrix_points, max_memory_bytes=memory)


def _serve(args: argparse.Namespace) -> int:
    # start-up time: FastAPI loads only when serving, not for every command
    from optimizer.service.app import DEFAULT_MAX_BODY_BYTES, create_app

    api_key = None
    if args.api_key_env is not None:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            raise InputError(
                f"--api-key-env {args.api_key_env}: that environment variable is unset or empty"
            )
    if args.workers < 1:
        raise InputError("--workers: must be at least 1")
    if args.max_solve_s <= 0:
        raise InputError("--max-solve-s: must be positive")
    if args.lease_s < 3:
        raise InputError("--lease-s: must be at least 3 (the lease is renewed every third)")
    if not _is_loopback(args.host) and api_key is None:
        print(
            f"warning: listening on {args.host} without an API key: anyone who can reach it "
            "can read and change plans (use --api-key-env)",
            file=sys.stderr,
        )
    try:
        app = create_app(
            args.store,
            api_key=api_key,
            max_body_bytes=args.max_body_bytes or DEFAULT_MAX_BODY_BYTES,
            workers=args.workers,
            limits=_limits(args),
            max_solve_s=args.max_solve_s,
            lease_s=args.lease_s,
            heartbeat_s=args.lease_s / 3,
        )
    except StoreError as exc:
        raise InputError(f"--store: {exc}") from None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):  # cannot connect, bad credentials, ...
            raise InputError(f"--store: cannot open the PostgreSQL store: {exc}") from None
        raise

    import uvicorn  # start-up time, as above

    server = uvicorn.Server(uvicorn.Config(
        app, host=args.host, port=args.port, log_level="info",
        timeout_graceful_shutdown=GRACEFUL_S,
    ))
    graceful = server.handle_exit

    def handle_exit(sig: int, frame: FrameType | None) -> None:
        # SIGTERM/SIGINT: end the running solves now (their plans go back to the store,
        # queued), so that neither they nor a request waiting for one hold up the stop.
        app.state.runner.interrupt()
        graceful(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    server.run()
    return 0
