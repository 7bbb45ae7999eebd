"""The dispatch HTTP service: a FastAPI app over the plan store and the engine.

``create_app(store_url, api_key=None, max_body_bytes=...)`` builds the app; ``optimizer serve``
runs it under uvicorn. Endpoints (OpenAPI at ``/openapi.json``, pages at ``/docs``):

- ``POST /plans`` solve a problem (background; ``?wait=true`` waits for a small one)
- ``GET /plans/{id}`` the plan resource: status, version, problem, plan, history
- ``POST /plans/{id}/events`` re-optimise after events; 409 on a stale ``base_version``
- ``POST /plans/{id}/slots`` appointment slots for a new job
- ``GET /plans/{id}/explain`` why jobs are unassigned, and the objective's terms
- ``GET /health`` open without a key

Every error answers ``{"error": {"code", "message", "field", "details"}}``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.dispatcher.events import Events
from optimizer.dispatcher.options import ReoptimizeOptions
from optimizer.errors import InfeasibleError, InputError, OptimizerError
from optimizer.limits import Limits
from optimizer.models import Plan, Problem, describe_validation_error
from optimizer.service.engine import Engine, NotAvailable
from optimizer.service.jobs import DEFAULT_MAX_SOLVE_S, SolveRunner
from optimizer.service.schemas import (
    REQUEST_LIMITS,
    TOO_LARGE,
    ErrorBody,
    EventsRequest,
    EventsResponse,
    ExplainResponse,
    Health,
    PlanResource,
    SlotsRequest,
    SlotsResponse,
    SolveRequest,
)
from optimizer.service.store import (
    PlanNotFound,
    PlanNotReady,
    PlanStatus,
    PlanStore,
    StoredPlan,
    VersionConflict,
    open_store,
)

log = logging.getLogger("optimizer.service")

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
PRECOUNT_BYTES = 1024 * 1024  # bodies above this are counted before they are parsed
API_KEY_HEADER = "X-API-Key"
OPEN_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Extra time ?wait=true gives a solve beyond its own limit (model building, read-back).
WAIT_GRACE_S = 10.0

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class ApiError(Exception):
    """An answer other than success, in the error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []
        self.headers = headers


def _envelope(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


# --------------------------------------------------------------------------- the guard


class Guard:
    """ASGI middleware run before anything else: the API key, then the body size.

    A request to a path outside ``OPEN_PATHS`` without the right ``X-API-Key`` gets 401 before
    its body is read; a body over ``max_body_bytes`` (by Content-Length, or counted as it
    arrives when chunked) gets 413. It also makes the service's problem ``limits`` known to
    the request's validation (``REQUEST_LIMITS``).
    """

    def __init__(self, app: ASGIApp, api_key: str | None, max_body_bytes: int,
                 limits: Limits | None = None):
        self.app = app
        self.api_key = api_key.encode() if api_key else None
        self.max_body_bytes = max_body_bytes
        self.limits = limits

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        token = REQUEST_LIMITS.set(self.limits)
        try:
            await self._guard(scope, receive, send)
        finally:
            REQUEST_LIMITS.reset(token)

    async def _guard(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.api_key is not None and scope["path"] not in OPEN_PATHS:
            given = headers.get(API_KEY_HEADER.lower().encode())
            if given is None or not secrets.compare_digest(given, self.api_key):
                what = "missing" if given is None else "wrong"
                await _envelope(
                    401,
                    "unauthorized",
                    f"the {API_KEY_HEADER} header is {what}: this service requires an API key",
                    API_KEY_HEADER,
                )(scope, receive, send)
                return
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body_bytes
            except ValueError:
                await _envelope(400, "bad_request", "Content-Length is not a number",
                                "Content-Length")(scope, receive, send)
                return
            if too_big:
                await self._too_large(scope, receive, send)
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # Read the whole body here (it is at most max_body_bytes), then hand it on.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if scope.get("path") == "/plans" and len(body) > PRECOUNT_BYTES:
            refusal = self._jobs_over_limit(body)
            if refusal is not None:
                await _envelope(413, "problem_too_large", refusal, "problem.jobs",
                                [{"field": "problem.jobs", "message": refusal}],
                                headers={"Connection": "close"})(scope, receive, send)
                return
        delivered = False

        async def replay() -> Any:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _jobs_over_limit(self, body: bytes) -> str | None:
        """Refuse a body of far too many jobs without parsing it (parsing 16 MiB of JSON holds
        the interpreter for a second; counting bytes does not). Every job has one
        ``"duration_min"`` key, as do a matrix travel (once) and each break (which alone has
        ``"earliest"``); a JSON string cannot hold the quoted key, so the count is exact for a
        body of the contract's shape, and anything else is refused by validation anyway."""
        limit = self.limits.max_jobs if self.limits is not None else None
        if limit is None:
            return None
        matrix = min(1, body.count(b'"matrix"'))
        jobs = body.count(b'"duration_min"') - body.count(b'"earliest"') - matrix
        if jobs <= limit:
            return None
        return f"problem.jobs: {jobs:,} is over the limit of {limit:,} (--max-jobs)"

    async def _too_large(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        await _envelope(
            413,
            "payload_too_large",
            f"the request body is larger than this service's limit of "
            f"{self.max_body_bytes} bytes",
            None,
            headers={"Connection": "close"},
        )(scope, receive, send)


# --------------------------------------------------------------------------- validation errors


def field_path(data: Any, loc: tuple[Any, ...]) -> str:
    """A pydantic location as a path naming ids: ``problem.jobs[3] (id 'J004').duration_min``.

    The tags pydantic adds for a discriminated union (``job_added``, ``haversine``) are left
    out, as the contract's own messages do.
    """
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            node = node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" (id {node['id']!r})"
            parts.append(label)
            continue
        if isinstance(node, dict) and key not in node and key in (
            node.get("type"),
            node.get("model"),
        ):
            continue  # a union tag, not a field
        parts.append(("." if parts else "") + str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _validation_details(exc: ValidationError, data: Any) -> list[dict[str, Any]]:
    """One ``{"field", "message"}`` per pydantic error; the wording is the contract's own
    (``describe_validation_error``), the place a path that names ids (:func:`field_path`)."""
    details = []
    for err, plain in zip(exc.errors(), describe_validation_error(exc), strict=True):
        loc = tuple(err.get("loc", ()))
        path = field_path(data, loc)
        # Without data the contract's text is "a.b.c: what"; keep the "what".
        what = plain.partition(": ")[2] if loc and ": " in plain else plain
        details.append({"field": path or None, "message": f"{path}: {what}" if path else what})
    return details


def _summary(details: list[dict[str, Any]]) -> str:
    if len(details) == 1:
        return str(details[0]["message"])
    return f"{len(details)} problems: " + "; ".join(str(d["message"]) for d in details)


# --------------------------------------------------------------------------- the app


def create_app(
    store_url: str,
    api_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    *,
    workers: int = 1,
    lease_s: float = 30.0,
    heartbeat_s: float = 10.0,
    max_wait_s: float = 120.0,
    engine: Engine | None = None,
    clock: Callable[[], float] = time.time,
    limits: Limits | None = None,
    max_solve_s: float = DEFAULT_MAX_SOLVE_S,
    isolate: bool | None = None,
) -> FastAPI:
    """The service over the store at ``store_url`` (see ``open_store``).

    ``api_key``: when given, every endpoint but /health (and the OpenAPI pages) needs it in
    ``X-API-Key``. ``workers`` background solves run at once; each holds a lease of ``lease_s``
    seconds on its plan, renewed every ``heartbeat_s``. ``?wait=true`` waits at most
    ``max_wait_s``. ``limits`` (default ``Limits.for_this_machine()``): the largest problem
    taken (413 naming the limit beyond it) and a solve's memory; ``max_solve_s``: a solve is
    stopped after it. ``engine`` says where the engine functions live, ``isolate`` whether
    solves run in a process of their own (default: yes, unless ``engine`` holds a test's
    callable).
    """
    if max_body_bytes <= 0:
        raise ValueError("max_body_bytes must be positive")
    if max_solve_s <= 0:
        raise ValueError("max_solve_s must be positive")
    limits = Limits.for_this_machine() if limits is None else limits
    store = open_store(store_url, clock)
    runner = SolveRunner(
        store, engine or Engine(), workers=workers, lease_s=lease_s, heartbeat_s=heartbeat_s,
        max_solve_s=max_solve_s, max_memory_bytes=limits.max_memory_bytes, isolate=isolate,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            runner.shutdown()
            store.close()

    app = FastAPI(
        title="optimizer dispatch service",
        version="1",
        summary="Plan field-service work, re-plan on events, offer slots, explain plans.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.runner = runner
    app.state.limits = limits
    app.state.api_key_required = api_key is not None
    _install_error_handlers(app)
    _install_routes(app, store, runner, max_wait_s)
    _install_openapi(app, protected=api_key is not None)
    app.add_middleware(Guard, api_key=api_key, max_body_bytes=max_body_bytes, limits=limits)
    return app


_BODY_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's HTTPException detail

_BODY_MODELS: dict[str, type[BaseModel]] = {
    "/plans": SolveRequest,
    "/plans/{plan_id}/events": EventsRequest,
    "/plans/{plan_id}/slots": SlotsRequest,
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _envelope(exc.status, exc.code, exc.message, exc.field, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            err = next(e for e in errors if e.get("type") == "json_invalid")
            ctx = err.get("ctx") or {}
            return _envelope(
                400, "invalid_json",
                f"the body is not valid JSON: {ctx.get('error', err.get('msg'))}", "body",
            )
        large = [e for e in errors if e.get("type") == TOO_LARGE]
        if large:
            ctx = large[0].get("ctx") or {}
            message = str(ctx.get("message", large[0].get("msg")))
            return _envelope(413, "problem_too_large", message, ctx.get("field"),
                             [{"field": ctx.get("field"), "message": message}])
        details: list[dict[str, Any]] = []
        body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
        route = request.scope.get("route")
        model = _BODY_MODELS.get(getattr(route, "path", ""))
        body = getattr(exc, "body", None)
        if body_errors and model is not None and isinstance(body, dict):
            try:
                model.model_validate(body)
            except ValidationError as again:
                details = _validation_details(again, body)
        if not details:
            for e in errors:
                loc = tuple(e.get("loc", ()))
                where = loc[0] if loc else ""
                path = field_path(body, loc[1:]) if where == "body" else ".".join(map(str, loc[1:]))
                field = path or str(where) or None
                msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
                if where == "body" and not path:
                    msg = "a JSON object is required" if e.get("type") == "missing" else msg
                details.append({"field": field, "message": f"{field}: {msg}" if field else msg})
        return _envelope(422, "validation_error", _summary(details), details[0]["field"], details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _BODY_PARSE_FAILED:
            # FastAPI's answer when the JSON parser itself fails (not a syntax error: e.g.
            # a RecursionError on deeply nested arrays): still a body that is not usable JSON.
            cause = exc.__cause__
            why = ("nested too deeply" if isinstance(cause, RecursionError)
                   else type(cause).__name__ if cause is not None else "unreadable")
            return _envelope(400, "invalid_json", f"the body is not valid JSON: {why}", "body")
        codes = {404: "not_found", 405: "method_not_allowed"}
        return _envelope(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _envelope(500, "internal_error", "internal error: see the service log")


_LEADING_PATH = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*)(?=[ :(])")


def _field_named(message: str, body: type[BaseModel] | None) -> str | None:
    """The request field an engine message starts with (``events[2] (job_added): ...``)."""
    match = _LEADING_PATH.match(message)
    if match is None or body is None:
        return None
    path = match.group(1)
    return path if re.split(r"[.\[]", path, maxsplit=1)[0] in body.model_fields else None


def _engine_errors(exc: Exception, body: type[BaseModel] | None = None) -> ApiError:
    """The answer to an error the engine raised on purpose; ``body``: the request's model."""
    if isinstance(exc, NotAvailable):
        return ApiError(501, "not_implemented", str(exc))
    if isinstance(exc, InputError):
        details = [{"field": _field_named(m, body), "message": m} for m in exc.problems]
        return ApiError(
            422, "invalid_input", str(exc), details[0]["field"] if details else None,
            details=details,
        )
    if isinstance(exc, InfeasibleError):
        return ApiError(422, "infeasible", str(exc))
    if isinstance(exc, ValidationError):
        return ApiError(422, "invalid_input", "; ".join(describe_validation_error(exc)))
    assert isinstance(exc, OptimizerError)
    return ApiError(500, "solver_error", str(exc))


_ENGINE_ERRORS = (NotAvailable, OptimizerError, ValidationError)


def _store_errors(exc: Exception) -> ApiError:
    if isinstance(exc, PlanNotFound):
        return ApiError(404, "not_found", str(exc), "plan_id")
    if isinstance(exc, VersionConflict):
        return ApiError(
            409, "version_conflict", str(exc), "base_version",
            headers={"ETag": _etag(exc.current_version)},
        )
    assert isinstance(exc, PlanNotReady)
    return ApiError(409, "plan_not_ready", f"{exc}: wait until its solve is done", None)


_STORE_ERRORS = (PlanNotFound, VersionConflict, PlanNotReady)


def _etag(version: int) -> str:
    return f'"{version}"'


def _resource(stored: StoredPlan) -> PlanResource:
    return PlanResource.model_validate(
        {
            "id": stored.id,
            "version": stored.version,
            "status": stored.status.value,
            "problem": stored.problem,
            "plan": stored.plan,
            "error": stored.error,
            "options": stored.options,
            "history": [dataclasses.asdict(b) for b in stored.history],
            "created_at": stored.created_at,
            "updated_at": stored.updated_at,
        }
    )


def _plain(value: Any) -> Any:
    """JSON-ready data from whatever the engine returned (a model, a dataclass, a mapping)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable_encoder(dataclasses.asdict(value))
    return jsonable_encoder(value)


def _base_version(body_version: int | None, if_match: str | None) -> int:
    header_version: int | None = None
    if if_match is not None and if_match.strip() != "*":
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise ApiError(
                422, "validation_error",
                f"If-Match: {if_match!r} is not a plan version (send the ETag, e.g. \"3\")",
                "If-Match",
            )
        header_version = int(tag)
    if body_version is None and header_version is None:
        raise ApiError(
            428, "precondition_required",
            "base_version: say which plan version these events were made against "
            "(base_version in the body or an If-Match header)",
            "base_version",
        )
    if body_version is not None and header_version is not None and body_version != header_version:
        raise ApiError(
            422, "validation_error",
            f"base_version: {body_version} disagrees with If-Match {header_version}",
            "base_version",
        )
    return body_version if body_version is not None else int(header_version or 0)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "the body is not valid JSON",
        401: "the X-API-Key header is missing or wrong (when the service requires a key)",
        404: "no such plan",
        409: "a stale base_version (version_conflict) or a plan not solved yet (plan_not_ready)",
        413: "the request body, or its problem, is over this service's limits (named)",
        422: "the request is invalid; field names where",
        428: "no base_version and no If-Match",
        501: "the capability is not built yet",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


def _stored(store: PlanStore, plan_id: str, *, with_history: bool = True) -> StoredPlan:
    try:
        return store.get(plan_id, with_history=with_history)
    except PlanNotFound as exc:
        raise _store_errors(exc) from None


def _solved(store: PlanStore, plan_id: str) -> tuple[StoredPlan, Problem, Plan]:
    stored = _stored(store, plan_id, with_history=False)
    if stored.status is not PlanStatus.DONE or stored.plan is None:
        raise _store_errors(PlanNotReady(plan_id, stored.status))
    return stored, Problem.model_validate(stored.problem), Plan.model_validate(stored.plan)


def _install_routes(app: FastAPI, store: PlanStore, runner: SolveRunner, max_wait_s: float) -> None:
    _plan_routes(app, store, runner, max_wait_s)
    _dispatcher_routes(app, store, runner)


def _plan_routes(app: FastAPI, store: PlanStore, runner: SolveRunner, max_wait_s: float) -> None:
    """Health, and plans: create (solved in the background) and read."""
    @app.get("/health", response_model=Health, responses={503: {"model": ErrorBody}})
    def health() -> Health | JSONResponse:
        """Liveness and store reachability; never needs the API key."""
        try:
            store.ping()
        except Exception as exc:
            log.warning("store unreachable: %s", exc)
            return _envelope(503, "store_unavailable", "the plan store cannot be reached")
        return Health(status="ok", store=store.kind)

    @app.post(
        "/plans",
        status_code=202,
        response_model=PlanResource,
        response_model_exclude_none=True,
        responses={
            201: {"model": PlanResource, "description": "solved before the answer (wait=true)"},
            202: {"description": "queued or solving: poll the Location"},
            **_errors(400, 401, 413, 422),
        },
    )
    def create_plan(
        body: SolveRequest,
        response: Response,
        wait: Annotated[
            bool, Query(description="wait for the solve (up to its time limit) before answering")
        ] = False,
    ) -> PlanResource:
        """Solve a contract problem in the background; poll the Location until status is done."""
        if body.time_limit_s > runner.max_solve_s:
            raise ApiError(
                422, "validation_error",
                f"time_limit_s: {body.time_limit_s:g} is over this service's limit of "
                f"{runner.max_solve_s:g} s (--max-solve-s)", "time_limit_s",
            )
        options = {
            "time_limit_s": body.time_limit_s,
            "seed": body.seed,
            "max_solutions": body.max_solutions,
        }
        stored = store.create(
            body.problem.model_dump_json(exclude_none=True),
            options,
            owner=runner.owner,
            lease_s=runner.lease_s,
        )
        done = runner.submit(stored.id)
        if wait:
            done.wait(min(max_wait_s, body.time_limit_s + WAIT_GRACE_S))
            stored = _stored(store, stored.id)
        finished = stored.status in (PlanStatus.DONE, PlanStatus.FAILED)
        response.status_code = 201 if finished else 202
        response.headers["Location"] = f"/plans/{stored.id}"
        response.headers["ETag"] = _etag(stored.version)
        if not finished:
            response.headers["Retry-After"] = "1"
        return _resource(stored)

    @app.get(
        "/plans/{plan_id}",
        response_model=PlanResource,
        response_model_exclude_none=True,
        responses=_errors(401, 404),
    )
    def get_plan(
        plan_id: str,
        response: Response,
        history: Annotated[bool, Query(description="include the event batches")] = True,
    ) -> PlanResource:
        """The plan resource; ``ETag`` is its version (send it back as If-Match)."""
        stored = _stored(store, plan_id, with_history=history)
        response.headers["ETag"] = _etag(stored.version)
        if stored.status in (PlanStatus.QUEUED, PlanStatus.SOLVING):
            response.headers["Retry-After"] = "1"
        return _resource(stored)


def _dispatcher_routes(app: FastAPI, store: PlanStore, runner: SolveRunner) -> None:
    """The dispatcher's calls on a solved plan: events, slot offers, explanations."""
    @app.post(
        "/plans/{plan_id}/events",
        response_model=EventsResponse,
        response_model_exclude_none=True,
        responses=_errors(400, 401, 404, 409, 413, 422, 428, 501),
    )
    def post_events(
        plan_id: str,
        body: EventsRequest,
        response: Response,
        if_match: Annotated[
            str | None, Header(description="the plan version (ETag) instead of base_version")
        ] = None,
    ) -> EventsResponse:
        """Re-optimise after events; refused with 409 unless made against the current version."""
        base = _base_version(body.base_version, if_match)
        try:
            stored = store.check_version(plan_id, base)
        except _STORE_ERRORS as exc:
            raise _store_errors(exc) from None
        problem = Problem.model_validate(stored.problem)
        plan = Plan.model_validate(stored.plan)
        events = Events(now=body.now, events=list(body.events))
        kwargs: dict[str, Any] = {}
        if body.options is not None:
            kwargs["options"] = ReoptimizeOptions(**body.options.model_dump())
        try:
            problem_after, new_plan, diff = runner.engine.call(
                "reoptimize", problem, plan, events, **kwargs
            )
        except _ENGINE_ERRORS as exc:
            raise _engine_errors(exc, EventsRequest) from None
        try:
            version = store.apply_events(
                plan_id,
                base,
                problem_json=problem_after.model_dump_json(exclude_none=True),
                plan_json=new_plan.model_dump_json(exclude_none=True),
                now=body.now.isoformat(),
                events=[_plain(e) for e in events.events],
                diff=_plain(diff),
            )
        except _STORE_ERRORS as exc:
            raise _store_errors(exc) from None
        response.headers["ETag"] = _etag(version)
        return EventsResponse.model_validate(
            {"id": plan_id, "version": version, "plan": _plain(new_plan), "diff": _plain(diff)}
        )

    @app.post(
        "/plans/{plan_id}/slots",
        response_model=SlotsResponse,
        responses=_errors(400, 401, 404, 409, 413, 422, 501),
    )
    def post_slots(plan_id: str, body: SlotsRequest, response: Response) -> SlotsResponse:
        """Appointment slots the current plan can offer for a new job (read-only)."""
        stored, problem, plan = _solved(store, plan_id)
        try:
            offers = runner.engine.call(
                "offer_slots", problem, plan, body.job, days=body.days, slot_min=body.slot_min,
                now=body.now, max_offers=body.max_offers,
            )
        except _ENGINE_ERRORS as exc:
            raise _engine_errors(exc, SlotsRequest) from None
        response.headers["ETag"] = _etag(stored.version)
        return SlotsResponse(id=plan_id, version=stored.version, offers=list(offers))

    @app.get(
        "/plans/{plan_id}/explain",
        response_model=ExplainResponse,
        response_model_exclude_none=True,
        responses=_errors(401, 404, 409, 501),
    )
    def get_explain(plan_id: str, response: Response) -> ExplainResponse:
        """The plan with the relaxations that would place each unassigned job, and its cost."""
        stored, problem, plan = _solved(store, plan_id)
        try:
            explained = runner.engine.call("explain_plan", problem, plan)
            objective = runner.engine.call("objective_breakdown", problem, plan)
        except _ENGINE_ERRORS as exc:
            raise _engine_errors(exc) from None
        response.headers["ETag"] = _etag(stored.version)
        return ExplainResponse.model_validate(
            {
                "id": plan_id,
                "version": stored.version,
                "plan": _plain(explained),
                "objective": objective,
            }
        )


def _require_discriminators(doc: dict[str, Any]) -> None:
    """Mark each discriminator property required, as the models are when they validate.

    pydantic documents a defaulted tag (``travel.model``, a stop's ``type``) as optional, yet
    a discriminated union needs it present; the document must say what the service accepts.
    """
    schemas = doc.get("components", {}).get("schemas", {})

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            disc = node.get("discriminator")
            if isinstance(disc, dict) and "propertyName" in disc:
                for ref in disc.get("mapping", {}).values():
                    target = schemas.get(str(ref).rsplit("/", 1)[-1])
                    if target is not None:
                        required = target.setdefault("required", [])
                        if disc["propertyName"] not in required:
                            required.append(disc["propertyName"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def _install_openapi(app: FastAPI, *, protected: bool) -> None:
    """Document the API key (when one is required) in the OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        _require_discriminators(doc)
        if protected:
            doc.setdefault("components", {})["securitySchemes"] = {
                "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
            }
            for path, ops in doc.get("paths", {}).items():
                if path in OPEN_PATHS:
                    continue
                for op in ops.values():
                    op["security"] = [{"ApiKey": []}]
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
