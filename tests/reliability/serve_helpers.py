"""Running ``optimizer serve`` as a real process for the fault-injection tests."""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import proc_helpers as h


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int, db: Path, *extra: str) -> h.Run:
    """``optimizer serve`` on ``port``, with a short lease (a crashed solve is taken over
    after 3 s) and its store in ``db``; returns once /health answers."""
    run = h.Run([sys.executable, "-m", "optimizer.cli", "serve", "--port", str(port),
                 "--store", f"sqlite:///{db}", "--lease-s", "3", *extra])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise AssertionError(f"serve exited with {run.proc.returncode}:\n{run.stderr()}")
        try:
            if request(port, "GET", "/health", timeout=2)[0] == 200:
                return run
        except OSError:
            pass
        time.sleep(0.1)
    run.kill()
    raise AssertionError(f"serve did not answer /health within 60 s:\n{run.stderr()}")


def request(port: int, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
            timeout: float = 60) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request to the service on ``port``."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def wait_plan(port: int, plan_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, body = request(port, "GET", f"/plans/{plan_id}?history=false", timeout=10)
        if status == 200 and body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not reach {statuses} in {timeout} s: "
                         f"{body.get('status')}")


def port_is_free(port: int) -> bool:
    """True when a new listener can bind ``port`` right now (as a restart would)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
