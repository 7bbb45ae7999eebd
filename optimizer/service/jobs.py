"""Background solves: a small thread pool that turns ``queued`` plans into ``done`` or ``failed``.

Each solve holds a lease on its plan row that a heartbeat thread renews; the same thread takes
over plans whose lease ran out (their process died), so a solve interrupted by a restart is
**re-queued** and solved again from the stored problem and options, by this process or any
other sharing the store (after at most ``MAX_ATTEMPTS`` starts it is marked failed).

Each solve runs in a process of its own (``optimizer.workers``: it dies with the service and
holds none of its sockets), so that the service stays responsive while it solves, a solve that
runs out of memory (its address space is capped) or past its hard time limit fails its plan
instead of the service, and stopping the service ends every solve at once: :meth:`interrupt`
kills them and hands their plans back to the store, queued, for the next process to take.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pydantic import ValidationError

from optimizer.dispatch.options import SolveOptions
from optimizer.errors import InfeasibleError, InputError, OptimizerError, SolverError
from optimizer.models import Plan, Problem, describe_validation_error
from optimizer.service.engine import Engine, NotAvailable, function_at
from optimizer.service.store import PlanStore
from optimizer.workers import WorkerDied, process_pool, result, stop

log = logging.getLogger("optimizer.service")

# A timed solve is stopped this long after its own time limit (model building, read-back).
SOLVE_GRACE_S = 120.0
DEFAULT_MAX_SOLVE_S = 900.0
AS_HEADROOM = 2 * 2**30


class SolveTimeout(SolverError):
    """A solve ran past its hard time limit and was stopped."""


def plan_json(plan: Plan) -> str:
    """The plan as the store keeps it; one that would not read back (a non-finite number the
    JSON turns into null) is a solver error, never stored."""
    text = plan.model_dump_json(exclude_none=True)
    try:
        Plan.model_validate_json(text)
    except ValidationError as exc:
        raise SolverError("the solver returned a plan that is not valid contract JSON: "
                          + "; ".join(describe_validation_error(exc))) from None
    return text


def solve_in_worker(target: tuple[str, str], problem: Any, options: dict[str, Any]) -> str:
    """One solve in a worker process: the stored problem in, the plan's JSON out. Errors come
    back as the engine's own (picklable) exceptions."""
    fn = function_at(*target)
    try:
        model = Problem.model_validate(problem)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, problem)) from None
    try:
        plan = fn(model, solve_options(options))
    except NotImplementedError as exc:
        raise NotAvailable(f"{target[0]}.{target[1]}: {exc or 'not implemented yet'}") from None
    except MemoryError:
        raise SolverError("the solve ran out of memory (the service's --max-memory-mb)") from None
    except (OptimizerError, NotAvailable):
        raise
    except Exception as exc:
        traceback.print_exc()  # the service's log: the solve's own traceback
        raise SolverError(f"the solver failed: {type(exc).__name__}: {exc}") from None
    return plan_json(plan)


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
        max_solve_s: float = DEFAULT_MAX_SOLVE_S,
        max_memory_bytes: int | None = None,
        isolate: bool | None = None,
    ):
        """``max_solve_s``: every solve is stopped after it (a timed one after its time limit
        plus ``SOLVE_GRACE_S`` if that is sooner). ``max_memory_bytes``: a solve process's
        memory; past it the solve fails. ``isolate``: solve in a process of its own (default:
        when the engine's solve is a module function, not a callable a test passed)."""
        if heartbeat_s >= lease_s:
            raise ValueError("heartbeat_s must be shorter than lease_s")
        self.store = store
        self.engine = engine
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.max_solve_s = max_solve_s
        self.max_memory_bytes = max_memory_bytes
        self.isolate = not callable(engine.solve) if isolate is None else isolate
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="solve")
        self._lock = threading.Lock()
        self._active: dict[str, threading.Event] = {}  # queued or solving here -> done event
        self._processes: dict[str, ProcessPoolExecutor] = {}  # plan -> its solve's process
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

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def interrupt(self) -> None:
        """Stop now (safe from a signal handler): kill the running solves and wake whoever
        waits for them; :meth:`shutdown` then hands their plans back to the store."""
        self._stop.set()
        with self._lock:
            processes = list(self._processes.values())
            pending = list(self._active.values())
        for pool in processes:
            stop(pool)
        for done in pending:
            done.set()

    def shutdown(self) -> None:
        """Stop taking work and end the running solves; their plans and the queued ones go back
        to the store, queued with no lease, so the next start takes them at once."""
        self.interrupt()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=self.heartbeat_s + 5)
        try:
            released = self.store.release(self.owner)
        except Exception:  # the store is gone: the leases run out instead
            log.exception("could not hand the unfinished plans back to the store")
        else:
            if released:
                log.info("handed %d unfinished plan(s) back to the store", released)

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
            text = self._run_solve(plan_id, stored.problem, stored.options)
        except WorkerDied as exc:
            if self.stopping:
                return  # stopped with the service: shutdown() hands the plan back
            self._fail(plan_id, "solver_error", str(exc))
        except SolveTimeout as exc:
            self._fail(plan_id, "solve_timeout", str(exc))
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
            if self.stopping:
                return
            if not self.store.finish(plan_id, self.owner, plan_json=text):
                log.warning("plan %s was taken over while solving; result dropped", plan_id)

    def hard_limit_s(self, options: dict[str, Any]) -> float:
        """When a solve with ``options`` is stopped whatever it is doing."""
        if options.get("max_solutions"):
            return self.max_solve_s
        return min(self.max_solve_s, float(options.get("time_limit_s", 30.0)) + SOLVE_GRACE_S)

    def _run_solve(self, plan_id: str, problem: Any, options: dict[str, Any]) -> str:
        """The plan's JSON, solved here (a test's callable engine) or in a process of its own."""
        if not self.isolate:
            model = Problem.model_validate(problem)
            return plan_json(self.engine.call("solve", model, solve_options(options)))
        target = self.engine.solve
        assert isinstance(target, tuple)
        limit = self.hard_limit_s(options)
        # The cap is on address space, which runs ahead of resident memory (libraries,
        # thread stacks, allocator arenas): headroom so that only a runaway solve meets it.
        memory = None if self.max_memory_bytes is None else self.max_memory_bytes + AS_HEADROOM
        pool = process_pool(1, max_bytes=memory)
        with self._lock:
            self._processes[plan_id] = pool
        if self.stopping:  # interrupted while the process started
            stop(pool)
        try:
            future = pool.submit(solve_in_worker, target, problem, options)
            try:
                return result(future, "the solve's process", timeout=limit)
            except FutureTimeout:
                raise SolveTimeout(
                    f"the solve was stopped after {limit:g} s (this service's limit: "
                    "--max-solve-s, or the request's time_limit_s + "
                    f"{SOLVE_GRACE_S:g} s)") from None
        except RuntimeError as exc:  # submit to a pool stopped by interrupt()
            raise WorkerDied(str(exc)) from None
        finally:
            with self._lock:
                self._processes.pop(plan_id, None)
            stop(pool)

    def _fail(self, plan_id: str, code: str, message: str) -> None:
        self.store.finish(plan_id, self.owner, error=error_body(code, message))


def solve_options(options: dict[str, Any]) -> SolveOptions:
    """The solver's options from what a plan resource stores (``time_limit_s``, ``seed``)."""
    return SolveOptions(
        time_limit_s=float(options.get("time_limit_s", 30.0)),
        seed=int(options.get("seed", 0)),
        max_solutions=options.get("max_solutions"),
    )
