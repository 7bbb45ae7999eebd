"""Fixtures of the service tests: the contract example, stores, apps, a throwaway PostgreSQL.

PostgreSQL: ``OPTIMIZER_TEST_POSTGRES_URL`` names a server to use; otherwise a throwaway one is
started on loopback with Debian's ``initdb``/``pg_ctl`` (as the ``postgres`` user when the tests
run as root). Where neither works the PostgreSQL tests skip and say why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import example_plan, example_problem


@pytest.fixture
def problem_json() -> dict[str, Any]:
    return example_problem()


@pytest.fixture
def plan_json() -> dict[str, Any]:
    return example_plan()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'plans.db'}"


# --------------------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class _Throwaway:
    """A PostgreSQL server in a temporary directory, on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self.initdb = _pg_bin("initdb")
        self.pg_ctl = _pg_bin("pg_ctl")
        if self.initdb is None or self.pg_ctl is None:
            raise RuntimeError(
                "no initdb/pg_ctl found (install Debian's 'postgresql' package, or set "
                "OPTIMIZER_TEST_POSTGRES_URL to a server)"
            )
        self.prefix: list[str] = []
        self.user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root and there is no 'postgres' user") from exc
            runuser = shutil.which("runuser") or shutil.which("setpriv")
            if runuser is None:
                raise RuntimeError("running as root and neither runuser nor setpriv is there")
            if runuser.endswith("runuser"):
                self.prefix = [runuser, "-u", "postgres", "--"]
            else:
                self.prefix = [
                    runuser, f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                    "--init-groups",
                ]
        self.dir = Path(tempfile.mkdtemp(prefix="optimizer-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.dir, 0o700)

    def _run(self, *args: str) -> None:
        out = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {out.stderr.strip()[-500:]}")

    def start(self) -> str:
        self._run(
            str(self.initdb), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        )
        self._run(
            str(self.pg_ctl), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
            "-w", "-t", "60", "start",
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, str(self.pg_ctl), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60, check=False,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may fill (skip, saying why, if there is none)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed (pip install "
                    "'psycopg[binary]')")
    given = os.environ.get("OPTIMIZER_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = _Throwaway()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL tests skipped: cannot start a throwaway server: {exc}")
    try:
        url = server.start()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        server.stop()
        pytest.skip(f"PostgreSQL tests skipped: cannot start a throwaway server: {exc}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh database on the server for one test."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store kind in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plans.db'}"
    return str(request.getfixturevalue("postgres_url"))
