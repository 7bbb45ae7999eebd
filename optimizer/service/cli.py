"""CLI command of the dispatch service: ``optimizer serve``."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from optimizer.errors import InputError

DEFAULT_STORE = "sqlite:///optimizer-service.db"


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
    p.set_defaults(func=_serve)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    from optimizer.service.app import DEFAULT_MAX_BODY_BYTES, create_app
    from optimizer.service.store import StoreError

    api_key = None
    if args.api_key_env is not None:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            raise InputError(
                f"--api-key-env {args.api_key_env}: that environment variable is unset or empty"
            )
    if args.workers < 1:
        raise InputError("--workers: must be at least 1")
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
        )
    except StoreError as exc:
        raise InputError(f"--store: {exc}") from None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):  # cannot connect, bad credentials, ...
            raise InputError(f"--store: cannot open the PostgreSQL store: {exc}") from None
        raise

    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
