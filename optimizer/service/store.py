"""The plan store: plans, their event batches and diffs, kept across restarts.

One interface, :class:`PlanStore`, with two implementations that share every SQL statement:
:class:`SqliteStore` (a file; the default) and :class:`PostgresStore` (a URL; for a deployment
that several service processes share). Open either with :func:`open_store`.

A plan row holds the *current* problem (``problem_after`` of the last event batch), the current
plan, a ``version`` (the number of accepted event batches) and a ``status``. Background solves
hold a *lease* on their row (``owner``, ``lease_until``): a solve whose process died stops
renewing it, and once it runs out any running service re-queues the plan (``recover``).

Writes that must not race run in one transaction that takes the lock first: SQLite
``BEGIN IMMEDIATE`` (the database write lock), PostgreSQL ``SELECT ... FOR UPDATE`` (the row).
The store keeps JSON text and knows nothing of the contract models; the app parses it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SCHEMA_VERSION = 1
# A solve re-queued this many times (its process died each time) is marked failed instead.
MAX_ATTEMPTS = 3


class PlanStatus(StrEnum):
    QUEUED = "queued"
    SOLVING = "solving"
    DONE = "done"
    FAILED = "failed"


class StoreError(Exception):
    """Base class of the store's own errors."""


class PlanNotFound(StoreError):
    def __init__(self, plan_id: str):
        self.plan_id = plan_id
        super().__init__(f"plan {plan_id!r} not found")


class VersionConflict(StoreError):
    """The caller's base version is not the plan's current version (someone else won)."""

    def __init__(self, plan_id: str, base_version: int, current_version: int):
        self.plan_id = plan_id
        self.base_version = base_version
        self.current_version = current_version
        super().__init__(
            f"plan {plan_id!r} is at version {current_version}, not {base_version}: "
            "reload it and send the events again against the current version"
        )


class PlanNotReady(StoreError):
    """The plan has no solved plan yet (queued, solving or failed)."""

    def __init__(self, plan_id: str, status: PlanStatus):
        self.plan_id = plan_id
        self.status = status
        super().__init__(f"plan {plan_id!r} is {status.value}, not done")


@dataclass(frozen=True)
class EventBatch:
    """One accepted batch of events: it turned version ``version - 1`` into ``version``."""

    version: int
    now: str
    events: list[Any]
    diff: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class StoredPlan:
    """A plan resource as stored; JSON fields are already decoded."""

    id: str
    version: int
    status: PlanStatus
    problem: dict[str, Any]
    plan: dict[str, Any] | None
    error: dict[str, Any] | None
    options: dict[str, Any]
    attempts: int
    created_at: str
    updated_at: str
    history: list[EventBatch] = field(default_factory=list)


def _utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_DDL = [
    """CREATE TABLE IF NOT EXISTS optimizer_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS plans (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        problem TEXT NOT NULL,
        plan TEXT,
        error TEXT,
        options TEXT NOT NULL,
        owner TEXT,
        lease_until DOUBLE PRECISION,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS plan_events (
        plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        now TEXT NOT NULL,
        events TEXT NOT NULL,
        diff TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (plan_id, version)
    )""",
    "CREATE INDEX IF NOT EXISTS plans_status ON plans (status)",
]

_PLAN_COLUMNS = (
    "id, version, status, problem, plan, error, options, attempts, created_at, updated_at"
)


class PlanStore(ABC):
    """Plans, event batches and diffs; every method is safe to call from any thread.

    ``clock`` gives seconds since the epoch for leases (tests pass their own).
    """

    kind: str = "abstract"

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock

    # -- dialect hooks --------------------------------------------------------------------

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor inside a write transaction that commits on success, rolls back on error."""

    @abstractmethod
    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A cursor for reads (a consistent snapshot of one statement or more)."""

    _for_update = ""  # appended to a SELECT that locks the rows it reads
    _param = "?"

    def _sql(self, sql: str) -> str:
        return sql if self._param == "?" else sql.replace("?", self._param)

    def _exec(self, cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self._sql(sql), tuple(params))
        return cur

    def _init_schema(self) -> None:
        with self._transaction() as cur:
            self._lock_schema(cur)
            for ddl in _DDL:
                self._exec(cur, ddl)
            row = self._exec(
                cur, "SELECT value FROM optimizer_meta WHERE key = 'schema_version'"
            ).fetchone()
            if row is None:
                self._exec(
                    cur,
                    "INSERT INTO optimizer_meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"the store has schema version {row[0]}, newer than this program's "
                    f"{SCHEMA_VERSION}: upgrade the optimizer package"
                )

    def _lock_schema(self, cur: Any) -> None:
        """Serialise schema creation between processes starting at once (PostgreSQL)."""
        return None

    # -- reads ----------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise if the store cannot be reached."""
        with self._read() as cur:
            self._exec(cur, "SELECT 1").fetchone()

    def get(self, plan_id: str, *, with_history: bool = True) -> StoredPlan:
        """The plan ``plan_id`` (``PlanNotFound`` if there is none)."""
        with self._read() as cur:
            row = self._exec(
                cur, f"SELECT {_PLAN_COLUMNS} FROM plans WHERE id = ?", (plan_id,)
            ).fetchone()
            if row is None:
                raise PlanNotFound(plan_id)
            history: list[EventBatch] = []
            if with_history:
                rows = self._exec(
                    cur,
                    "SELECT version, now, events, diff, created_at FROM plan_events "
                    "WHERE plan_id = ? ORDER BY version",
                    (plan_id,),
                ).fetchall()
                history = [
                    EventBatch(
                        version=r[0],
                        now=r[1],
                        events=json.loads(r[2]),
                        diff=json.loads(r[3]),
                        created_at=r[4],
                    )
                    for r in rows
                ]
        return _plan_from_row(row, history)

    def ids_with_status(self, *statuses: PlanStatus) -> list[str]:
        with self._read() as cur:
            marks = ", ".join("?" for _ in statuses)
            rows = self._exec(
                cur,
                f"SELECT id FROM plans WHERE status IN ({marks}) ORDER BY created_at",
                [s.value for s in statuses],
            ).fetchall()
        return [r[0] for r in rows]

    # -- solves ---------------------------------------------------------------------------

    def create(
        self, problem_json: str, options: dict[str, Any], *, owner: str, lease_s: float
    ) -> StoredPlan:
        """A new plan, ``queued`` at version 0, leased to ``owner`` for ``lease_s`` seconds."""
        plan_id = uuid.uuid4().hex
        now = _utc_now_iso()
        with self._transaction() as cur:
            self._exec(
                cur,
                "INSERT INTO plans (id, version, status, problem, plan, error, options, owner, "
                "lease_until, attempts, created_at, updated_at) "
                "VALUES (?, 0, ?, ?, NULL, NULL, ?, ?, ?, 0, ?, ?)",
                (
                    plan_id,
                    PlanStatus.QUEUED.value,
                    problem_json,
                    json.dumps(options),
                    owner,
                    self.clock() + lease_s,
                    now,
                    now,
                ),
            )
        return self.get(plan_id)

    def claim(self, plan_id: str, owner: str, lease_s: float) -> bool:
        """Move a ``queued`` plan held by ``owner`` to ``solving``; False if it is not."""
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                "UPDATE plans SET status = ?, lease_until = ?, attempts = attempts + 1, "
                "updated_at = ? WHERE id = ? AND status = ? AND owner = ?",
                (
                    PlanStatus.SOLVING.value,
                    self.clock() + lease_s,
                    _utc_now_iso(),
                    plan_id,
                    PlanStatus.QUEUED.value,
                    owner,
                ),
            )
            return bool(cur.rowcount == 1)

    def release(self, owner: str) -> int:
        """Give up ``owner``'s leases (an orderly stop): its queued and solving plans become
        queued with no lease, for the next process to take over at once. A solve stopped so
        does not count as one of the plan's attempts. Returns how many were released."""
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                "UPDATE plans SET status = ?, owner = NULL, lease_until = NULL, "
                "attempts = CASE WHEN status = ? AND attempts > 0 THEN attempts - 1 "
                "ELSE attempts END, updated_at = ? WHERE owner = ? AND status IN (?, ?)",
                (
                    PlanStatus.QUEUED.value,
                    PlanStatus.SOLVING.value,
                    _utc_now_iso(),
                    owner,
                    PlanStatus.QUEUED.value,
                    PlanStatus.SOLVING.value,
                ),
            )
            return int(cur.rowcount or 0)

    def renew(self, owner: str, plan_ids: Sequence[str], lease_s: float) -> None:
        """Extend ``owner``'s leases on ``plan_ids`` (those still queued or solving)."""
        if not plan_ids:
            return
        with self._transaction() as cur:
            for plan_id in plan_ids:
                self._exec(
                    cur,
                    "UPDATE plans SET lease_until = ? WHERE id = ? AND owner = ? "
                    "AND status IN (?, ?)",
                    (
                        self.clock() + lease_s,
                        plan_id,
                        owner,
                        PlanStatus.QUEUED.value,
                        PlanStatus.SOLVING.value,
                    ),
                )

    def finish(
        self,
        plan_id: str,
        owner: str,
        *,
        plan_json: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Record a solve's outcome: ``done`` with ``plan_json`` or ``failed`` with ``error``.

        False (nothing written) when ``owner`` no longer holds the plan: its lease ran out and
        another process took the solve over.
        """
        if (plan_json is None) == (error is None):
            raise ValueError("finish: give exactly one of plan_json and error")
        status = PlanStatus.DONE if plan_json is not None else PlanStatus.FAILED
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                "UPDATE plans SET status = ?, plan = ?, error = ?, owner = NULL, "
                "lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ? AND status = ?",
                (
                    status.value,
                    plan_json,
                    json.dumps(error) if error is not None else None,
                    _utc_now_iso(),
                    plan_id,
                    owner,
                    PlanStatus.SOLVING.value,
                ),
            )
            return bool(cur.rowcount == 1)

    def recover(self, owner: str, lease_s: float) -> list[str]:
        """Take over every queued or solving plan whose lease ran out; return their ids.

        They become ``queued`` and leased to ``owner``, who must solve them. One whose solve
        already started ``MAX_ATTEMPTS`` times is marked ``failed`` instead (its solve may be
        what kills the process).
        """
        now = self.clock()
        taken: list[str] = []
        with self._transaction() as cur:
            rows = self._exec(
                cur,
                "SELECT id, attempts FROM plans WHERE status IN (?, ?) "
                "AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at"
                + self._for_update,
                (PlanStatus.QUEUED.value, PlanStatus.SOLVING.value, now),
            ).fetchall()
            for plan_id, attempts in rows:
                if attempts >= MAX_ATTEMPTS:
                    error = {
                        "code": "solve_interrupted",
                        "message": f"the solve was interrupted {attempts} times "
                        "(the service stopped while solving); send the problem again",
                        "field": None,
                    }
                    self._exec(
                        cur,
                        "UPDATE plans SET status = ?, error = ?, owner = NULL, "
                        "lease_until = NULL, updated_at = ? WHERE id = ?",
                        (PlanStatus.FAILED.value, json.dumps(error), _utc_now_iso(), plan_id),
                    )
                    continue
                self._exec(
                    cur,
                    "UPDATE plans SET status = ?, owner = ?, lease_until = ?, updated_at = ? "
                    "WHERE id = ?",
                    (PlanStatus.QUEUED.value, owner, now + lease_s, _utc_now_iso(), plan_id),
                )
                taken.append(plan_id)
        return taken

    # -- events ---------------------------------------------------------------------------

    def check_version(self, plan_id: str, base_version: int) -> StoredPlan:
        """The plan, if it is done and at ``base_version`` (else the matching error)."""
        stored = self.get(plan_id, with_history=False)
        _check(stored.id, stored.status, stored.version, base_version)
        return stored

    def apply_events(
        self,
        plan_id: str,
        base_version: int,
        *,
        problem_json: str,
        plan_json: str,
        now: str,
        events: list[Any],
        diff: dict[str, Any],
    ) -> int:
        """Store an accepted event batch made against ``base_version``; return the new version.

        The row is locked first and the version checked under the lock, so of two dispatchers
        sending events against the same version exactly one wins; the other gets
        ``VersionConflict``.
        """
        with self._transaction() as cur:
            row = self._exec(
                cur,
                "SELECT status, version FROM plans WHERE id = ?" + self._for_update,
                (plan_id,),
            ).fetchone()
            if row is None:
                raise PlanNotFound(plan_id)
            _check(plan_id, PlanStatus(row[0]), row[1], base_version)
            version = base_version + 1
            stamp = _utc_now_iso()
            self._exec(
                cur,
                "UPDATE plans SET version = ?, problem = ?, plan = ?, updated_at = ? "
                "WHERE id = ?",
                (version, problem_json, plan_json, stamp, plan_id),
            )
            self._exec(
                cur,
                "INSERT INTO plan_events (plan_id, version, now, events, diff, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (plan_id, version, now, json.dumps(events), json.dumps(diff), stamp),
            )
        return version

    def close(self) -> None:
        """Release what the store holds (connections are per call: nothing by default)."""
        return None


def _check(plan_id: str, status: PlanStatus, version: int, base_version: int) -> None:
    if status is not PlanStatus.DONE:
        raise PlanNotReady(plan_id, status)
    if version != base_version:
        raise VersionConflict(plan_id, base_version, version)


def _plan_from_row(row: Sequence[Any], history: list[EventBatch]) -> StoredPlan:
    return StoredPlan(
        id=row[0],
        version=row[1],
        status=PlanStatus(row[2]),
        problem=json.loads(row[3]),
        plan=json.loads(row[4]) if row[4] is not None else None,
        error=json.loads(row[5]) if row[5] is not None else None,
        options=json.loads(row[6]),
        attempts=row[7],
        created_at=row[8],
        updated_at=row[9],
        history=history,
    )


# --------------------------------------------------------------------------- SQLite


class SqliteStore(PlanStore):
    """A store in one SQLite file (WAL mode); a connection per call, so any thread may call."""

    kind = "sqlite"

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        self.path = Path(path)
        if str(path) in ("", ":memory:"):
            raise StoreError(
                "an in-memory SQLite store would lose every plan on restart: give a file path"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        self._init_schema()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            conn.close()

    @contextmanager
    def _read(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN")
            try:
                yield cur
            finally:
                conn.rollback()
        finally:
            conn.close()

    def describe(self) -> str:
        return f"sqlite:///{self.path}"


# --------------------------------------------------------------------------- PostgreSQL


class PostgresStore(PlanStore):
    """A store in a PostgreSQL database (psycopg 3); a connection per call."""

    kind = "postgresql"
    _for_update = " FOR UPDATE"
    _param = "%s"

    def __init__(self, url: str, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        try:
            import psycopg  # an optional dependency: only PostgreSQL stores need it
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StoreError(
                "a postgresql:// store needs psycopg 3: pip install 'psycopg[binary]'"
            ) from exc
        self._psycopg = psycopg
        self.url = url
        self._init_schema()

    def _connect(self) -> Any:
        return self._psycopg.connect(self.url, connect_timeout=10, autocommit=True)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def _lock_schema(self, cur: Any) -> None:
        # Two processes creating the tables at once would race on the catalogue.
        self._exec(cur, "SELECT pg_advisory_xact_lock(7410215)")

    def describe(self) -> str:
        return redact_url(self.url)


# --------------------------------------------------------------------------- opening


def redact_url(url: str) -> str:
    """``url`` without its password, for logs and /health."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, ""))


def open_store(url: str, clock: Callable[[], float] = time.time) -> PlanStore:
    """Open (creating the tables if needed) the store at ``url``.

    ``sqlite:///relative.db``, ``sqlite:////absolute/path.db`` or a bare file path give a
    :class:`SqliteStore`; ``postgresql://user:pass@host:port/db`` (or ``postgres://``) a
    :class:`PostgresStore`.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, clock)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or path == "/":
            raise StoreError(
                f"bad SQLite URL {url!r}: write sqlite:///relative.db or sqlite:////abs/path.db"
            )
        return SqliteStore(path[1:], clock)
    if "://" in url:
        raise StoreError(
            f"unknown store URL {redact_url(url)!r}: use sqlite:///path.db, a file path, "
            "or postgresql://user:pass@host:port/dbname"
        )
    return SqliteStore(url, clock)
