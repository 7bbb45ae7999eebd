"""Background solves: a small thread pool that turns ``queued`` plans into ``done`` or ``failed``.

Each solve holds a lease on its plan row that a heartbeat thread renews; the same thread takes
over plans whose lease ran out (their process died), so a solve interrupted by a restart is
**re-queued** and solved again from the stored problem and options, by this process or any
other sharing the store (after at most ``MAX_ATTEMPTS`` starts it is marked failed).
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError

from optimizer.errors import InfeasibleError, InputError, OptimizerError
from optimizer.models import Problem, describe_validation_error
from optimizer.service.engine import Engine, NotAvailable
from optimizer.service.store import PlanStore

log = logging.getLogger("optimizer.service")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


class SolveRunner:
    """Runs solves of this process's queued plans on ``workers`` threads."""

    def __init__(
        self,
        store: PlanStore,
        engine: Engine,
        *,
        workers: int = 1,
        lease_s: float = 30.0,
        heartbeat_s: float = 10.0,
    ):
        if heartbeat_s >= lease_s:
            raise ValueError("heartbeat_s must be shorter than lease_s")
        self.store = store
        self.engine = engine
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="solve")
        self._lock = threading.Lock()
        self._active: dict[str, threading.Event] = {}  # queued or solving here -> done event
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Take over abandoned plans and start renewing leases."""
        self.sweep()
        self._heartbeat = threading.Thread(
            target=self._beat, name="solve-heartbeat", daemon=True
        )
        self._heartbeat.start()

    def shutdown(self) -> None:
        """Stop taking work; queued solves stay queued in the store for the next start."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            pending = list(self._active.values())
        for done in pending:  # cancelled before they ran: stay queued in the store
            done.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=self.heartbeat_s + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                with self._lock:
                    ids = list(self._active)
                self.store.renew(self.owner, ids, self.lease_s)
                self.sweep()
            except Exception:  # keep beating through a store hiccup
                log.exception("lease heartbeat failed")

    def sweep(self) -> list[str]:
        """Re-queue plans whose lease ran out, here; return their ids."""
        taken = self.store.recover(self.owner, self.lease_s)
        for plan_id in taken:
            log.info("re-queued plan %s (its solve was interrupted)", plan_id)
            self.submit(plan_id)
        return taken

    # -- work -----------------------------------------------------------------------------

    def submit(self, plan_id: str) -> threading.Event:
        """Solve ``plan_id`` (queued, owned here) in the background; the event is set when done."""
        with self._lock:
            done = self._active.get(plan_id)
            if done is not None:
                return done
            done = threading.Event()
            self._active[plan_id] = done
        if self._stop.is_set():
            done.set()  # shutting down: it stays queued in the store
            return done
        self._pool.submit(self._run, plan_id, done)
        return done

    def wait(self, plan_id: str, timeout: float) -> bool:
        """Wait up to ``timeout`` s for this process's solve of ``plan_id``; True if finished."""
        with self._lock:
            done = self._active.get(plan_id)
        return True if done is None else done.wait(timeout)

    def _run(self, plan_id: str, done: threading.Event) -> None:
        try:
            self._solve(plan_id)
        except Exception:
            log.exception("background solve of plan %s crashed", plan_id)
        finally:
            with self._lock:
                self._active.pop(plan_id, None)
            done.set()

    def _solve(self, plan_id: str) -> None:
        if not self.store.claim(plan_id, self.owner, self.lease_s):
            return  # no longer ours (taken over, or already finished)
        stored = self.store.get(plan_id, with_history=False)
        try:
            problem = Problem.model_validate(stored.problem)
            plan = self.engine.call("solve", problem, solve_options(stored.options))
        except NotAvailable as exc:
            self._fail(plan_id, "not_implemented", str(exc))
        except ValidationError as exc:
            msgs = describe_validation_error(exc, stored.problem)
            self._fail(plan_id, "validation_error", "; ".join(msgs))
        except InputError as exc:
            self._fail(plan_id, "invalid_input", str(exc))
        except InfeasibleError as exc:
            self._fail(plan_id, "infeasible", str(exc))
        except OptimizerError as exc:
            self._fail(plan_id, "solver_error", str(exc))
        except Exception as exc:
            log.exception("solve of plan %s failed", plan_id)
            self._fail(plan_id, "internal_error", f"the solver failed: {type(exc).__name__}")
        else:
            plan_json = plan.model_dump_json(exclude_none=True)
            if not self.store.finish(plan_id, self.owner, plan_json=plan_json):
                log.warning("plan %s was taken over while solving; result dropped", plan_id)

    def _fail(self, plan_id: str, code: str, message: str) -> None:
        self.store.finish(plan_id, self.owner, error=error_body(code, message))


def solve_options(options: dict[str, Any]) -> Any:
    """The solver's options from what a plan resource stores (``time_limit_s``, ``seed``)."""
    from optimizer.dispatch.options import SolveOptions

    return SolveOptions(
        time_limit_s=float(options.get("time_limit_s", 30.0)),
        seed=int(options.get("seed", 0)),
        max_solutions=options.get("max_solutions"),
    )
