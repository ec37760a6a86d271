"""The HTTP service: evaluation, portfolios, assessment and what-if comparison over JSON, with a decision log."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import importlib.metadata
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Iterator, TypeVar

import attrs
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...district.management import with_management
from ...district.reconcile import reconcile
from ...district.report import district_report
from ...engines.batch import map_evaluations
from ...engines.evaluation import evaluate, prepare
from ...errors import DocumentError, EngineError, IncubatorRulesError, ReadingError
from ...files.ledger import ledger_from_data
from ...files.ruleset import DEFAULT_RULESET
from ...model.carrier import Carrier, reading_levels
from ...model.decision import Evaluation
from ...files.portfolio import portfolio_from_dict
from ...files.scenarios import Scenario, scenarios_from_document
from ...whatif.scenario import compare
from ..cli_common import parse_readings
from ...model.jsonlines import evaluation_record
from .bodies import (
    Body,
    BodyTooLargeError,
    RequestError,
    TimeLimitError,
    UnsupportedMediaTypeError,
    carriers_in,
    decode,
    known_query,
    line_carriers,
    media_type,
)
from .catalog import Catalog, PathLikeIdError, UnknownPolicyError, check_id, describe_entry, detail
from .decisionlog import DecisionLog, DecisionLogError
from .models import AssessRequest, CompareRequest, Engine, EvaluateRequest, ReconcileRequest, components

log = logging.getLogger("incubator_rules.service")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

DECISION_HEADER = "Decision-Id"
try:
    VERSION = importlib.metadata.version("incubator-rules")
except importlib.metadata.PackageNotFoundError:  # a checkout on sys.path, not installed
    VERSION = "unknown"
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines")
PROBLEM = "application/problem+json"
MANY_QUERY = ("ruleset", "as_of", "reading", "engine")  # the query parameters /evaluate-many takes
STREAM_BATCH = 32  # evaluations handed from the worker thread to the response at a time


@attrs.frozen
class ServiceConfig:
    """What a service is started with."""

    ruleset_dirs: tuple[str, ...] = ()
    decision_log: str | None = None
    max_body_bytes: int = 16 * 1024 * 1024
    time_limit: float = 60.0
    threads: int = attrs.field(factory=lambda: min(8, (os.cpu_count() or 1) + 1))


# --- errors as application/problem+json ----------------------------------------------

_STATUS: tuple[tuple[type[IncubatorRulesError], int, str], ...] = (
    (BodyTooLargeError, 413, "Request body too large"),
    (UnsupportedMediaTypeError, 415, "Unsupported media type"),
    (TimeLimitError, 503, "Time limit exceeded"),
    (DecisionLogError, 503, "Decision log unavailable"),
    (EngineError, 503, "Engine unavailable"),
    (DocumentError, 400, "Request body is not valid JSON"),
    (PathLikeIdError, 422, "Policy files are named by id, not by path"),
    (UnknownPolicyError, 422, "Unknown policy file"),
    (RequestError, 422, "Invalid request"),
    (IncubatorRulesError, 422, "Invalid input"),
)


def problem(exc: IncubatorRulesError, decision_id: str, status: int | None = None) -> Response:
    """The error as an application/problem+json response."""
    code, title = next((s, t) for cls, s, t in _STATUS if isinstance(exc, cls))
    name = type(exc).__name__
    body = {
        "type": f"urn:incubator-rules:error:{name}", "title": title, "status": status or code, "detail": str(exc),
        "error": name, "field": exc.field, "line": exc.line, "column": exc.column, "message": exc.message,
        "decision_id": decision_id,
    }
    return JSONResponse(body, status_code=status or code, media_type=PROBLEM)


def _plain_problem(status: int, title: str, detail: str, decision_id: str, error: str = "HTTPError") -> Response:
    body = {
        "type": "about:blank", "title": title, "status": status, "detail": detail, "error": error,
        "field": None, "line": None, "column": None, "message": detail, "decision_id": decision_id,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def decision_id_of(request: Request) -> str:
    """The id given to this request by DecisionIds."""
    return str(request.scope.get("state", {}).get("decision_id", ""))


class DecisionIds:
    """ASGI middleware: every request gets a decision id, sent back in the ``Decision-Id`` header of every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        did = str(uuid.uuid4())
        scope.setdefault("state", {})["decision_id"] = did

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"decision-id", did.encode())]}
            await send(message)

        await self.app(scope, receive, with_id)


# --- the service -----------------------------------------------------------------------


class Service:
    """The state a running service shares between requests: the catalog, the log, the worker threads."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.catalog = Catalog.load(config.ruleset_dirs)
        self.log = DecisionLog(config.decision_log) if config.decision_log else None
        self.pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="incubator-rules")
        self.started = datetime.datetime.now(datetime.timezone.utc)

    async def body(self, request: Request) -> str:
        """The request body as text, within the size and time limits."""
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(f"the request body has {int(declared):,} bytes; the limit is {limit:,}")

        async def read() -> bytes:
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLargeError(f"the request body is larger than the limit of {limit:,} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

        try:
            raw = await asyncio.wait_for(read(), self.config.time_limit)
        except asyncio.TimeoutError:
            raise TimeLimitError(f"the request body did not arrive within {self.config.time_limit:g} s") from None
        return decode(raw)

    async def run(self, func: Callable[[], T], deadline: float | None = None) -> T:
        """``func()`` on a worker thread, so the event loop keeps serving; TimeLimitError past the limit."""
        loop = asyncio.get_running_loop()
        limit = self.config.time_limit if deadline is None else deadline - time.monotonic()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self.pool, func), max(limit, 0.0))
        except asyncio.TimeoutError:
            raise TimeLimitError(f"the request took longer than the limit of {self.config.time_limit:g} s") from None

    def policy(self, body: Body, key: str, kind: str, rid: str | None) -> Any:
        """The served policy file ``rid`` that field ``key`` names: the default reward ruleset, or None
        for the other kinds, when ``rid`` is None; errors are placed at the field in the body."""
        if rid is None:
            return self.catalog.default(kind) if kind == "reward" else None
        try:
            return self.catalog.get(rid, kind, key)
        except IncubatorRulesError as exc:
            raise body.located((key,), exc) from None

    async def answer(self, request: Request, model: type[M], work: Callable[[Body, M], T]) -> tuple[str, str, T]:
        """The request's decision id, its JSON body (no query parameters), and ``work(body, fields)`` done on a
        worker thread."""
        known_query(request.query_params.multi_items(), ())
        media_type(request.headers.get("content-type"), ("application/json",), "application/json")
        text = await self.body(request)

        def job() -> T:
            body = Body(text)
            return work(body, body.envelope(model))

        return decision_id_of(request), text, await self.run(job)

    def record(self, decision_id: str, endpoint: str, text: str, **fields: Any) -> None:
        """Append the decision to the decision log, if there is one."""
        if self.log is None:
            return
        entry = {
            "decision_id": decision_id,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "endpoint": endpoint,
            "input_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        entry.update(fields)
        self.log.append(entry)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.log is not None:
            self.log.close()


def _policy(item: Any) -> dict[str, str]:
    return {"id": item.id, "version": item.version, "sha256": item.sha256}


def _evaluation_fields(ev: Evaluation) -> dict[str, Any]:
    return {
        "ruleset": {"id": ev.ruleset_id, "version": ev.ruleset_version, "sha256": ev.ruleset_sha256},
        "readings": dict(ev.readings), "engine": ev.engine,
        "as_of": ev.as_of.isoformat(), "carrier": {"id": ev.carrier_id, "digest": ev.input_digest},
        "totals": {"awarded": ev.total, "pending": ev.pending_total},
    }


def _take(lines: Iterator[T], n: int) -> list[T]:
    out = []
    for item in lines:
        out.append(item)
        if len(out) == n:
            break
    return out


def _prepared(call: Callable[[], T], body: Body) -> T:
    """``call()``, with the library's errors about the as-of date or a reading placed at that field in the body."""
    try:
        return call()
    except IncubatorRulesError as exc:
        if exc.line is not None or not isinstance(body.data, dict):
            raise
        if exc.field == "as_of":
            raise body.located(("as_of",), exc) from None
        if isinstance(exc, ReadingError) and exc.field is not None:  # "" is a reading's name too
            raise body.located(("readings", exc.field), exc) from None
        raise


def _no_files(data: Any, body: Body, path: tuple[str | int, ...]) -> None:
    """Refuse a portfolio that names a file to read: the service reads only what the request carries."""
    if isinstance(data, dict) and data.get("snapshots_csv") is not None:
        raise body.located(path + ("snapshots_csv",), RequestError(
            "the service reads no files named in a request; give the snapshots inline, under each carrier"))


def create_app(config: ServiceConfig | None = None) -> ASGIApp:
    """The ASGI application (FastAPI, wrapped so every response carries a decision id)."""
    service = Service(config or ServiceConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        lifespan=lifespan,
        title="incubator-rules",
        version=VERSION,
        description="Incubator support policy as declarative rulesets: evaluate a carrier's history, "
        "assess a district, compare what-if scenarios; every decision with its rule, clause, ruleset version and hash.",
        docs_url="/docs", redoc_url="/redoc",
    )
    app.state.service = service

    problems = {"4XX": {"description": "bad input", "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                "5XX": {"description": "time limit, unavailable engine or log, internal error",
                        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}

    def body_of(model: str, description: str) -> dict[str, Any]:
        return {"requestBody": {"required": True, "description": description,
                                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}},
                "responses": problems}

    # errors: never a traceback, always a problem

    @app.exception_handler(IncubatorRulesError)
    async def _library_error(request: Request, exc: IncubatorRulesError) -> Response:
        return problem(exc, decision_id_of(request))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        loc = [str(x) for x in first.get("loc", ())]
        field = ".".join(loc[1:]) if loc[:1] == ["query"] else ".".join(loc)
        return problem(RequestError(str(first.get("msg", "invalid")), field=field or None), decision_id_of(request))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        response = _plain_problem(exc.status_code, str(exc.detail), f"{request.method} {request.url.path}: {exc.detail}",
                                  decision_id_of(request))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        did = decision_id_of(request)
        log.exception("decision %s: %s %s failed", did, request.method, request.url.path)
        return _plain_problem(500, "Internal error", f"the service failed on this request; its log names decision {did}",
                              did, error="InternalError")

    # endpoints

    @app.get("/health", summary="Whether the service is up, and what it serves")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": VERSION, "rulesets": len(service.catalog.entries),
                "decision_log": service.log is not None,
                "started": service.started.isoformat(timespec="seconds")}

    @app.get("/rulesets", summary="The served policy files: id, type, version, content hash, title",
             responses=problems)
    async def rulesets() -> list[dict[str, Any]]:
        return [describe_entry(e) for e in service.catalog.entries.values()]

    @app.get("/rulesets/{id}", summary="One policy file: version, content hash, readings with their alternatives, clauses",
             responses=problems)
    async def ruleset(request: Request, rid: str = Path(alias="id", description="a policy file id")) -> Response:
        did = decision_id_of(request)
        try:
            entry = service.catalog.entry(check_id(rid, "id"))
        except PathLikeIdError as exc:
            return problem(exc, did, status=400)
        except UnknownPolicyError as exc:
            return problem(exc, did, status=404)
        return JSONResponse(detail(entry))

    @app.post("/evaluate", summary="Evaluate one carrier: the same JSON as Evaluation.to_json()",
              openapi_extra=body_of("EvaluateRequest", "a carrier, the ruleset id, as-of date, readings and engine"))
    async def evaluate_one(request: Request) -> Response:
        def work(body: Body, req: EvaluateRequest) -> Evaluation:
            rs = service.policy(body, "ruleset", "reward", req.ruleset)
            rules = service.policy(body, "management", "management", req.management)
            with reading_levels(rs):  # the carrier may carry the levels its ruleset declares
                carrier = body.read(("carrier",), lambda doc: Carrier.from_dict(doc.data, doc.source))
            ev = _prepared(lambda: evaluate(carrier, rs, req.as_of, req.readings, req.engine), body)
            if rules is not None:
                ev = with_management(ev, carrier, rules)
            return ev

        did, text, ev = await service.answer(request, EvaluateRequest, work)
        service.record(did, "/evaluate", text, **_evaluation_fields(ev))
        return Response(ev.to_json(), media_type="application/json")

    @app.post("/evaluate-many",
              summary="Evaluate every carrier of a portfolio: JSON Lines out, one evaluation per carrier, in input order",
              openapi_extra={"requestBody": {
                  "required": True,
                  "description": "JSON Lines (one carrier per line, application/x-ndjson), or JSON: a list of carriers, "
                                 "a district portfolio or one carrier",
                  "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Carrier"}},
                              "application/json": {"schema": {"$ref": "#/components/schemas/Portfolio"}}}},
                  "responses": {"200": {"description": "one Evaluation.to_json() per line",
                                        "content": {"application/x-ndjson": {"schema": {"type": "object"}}}},
                                **problems}})
    async def evaluate_many(
        request: Request,
        ruleset: str | None = Query(None, description=f"reward ruleset id (default: {DEFAULT_RULESET})"),
        as_of: str | None = Query(None, description="evaluation date, YYYY-MM-DD (default: today)"),
        reading: list[str] = Query([], description="NAME=VALUE; repeatable"),
        engine: Engine = Query("native"),
    ) -> Response:
        did = decision_id_of(request)
        deadline = time.monotonic() + service.config.time_limit
        known_query(request.query_params.multi_items(), MANY_QUERY, repeatable=("reading",))
        media = media_type(request.headers.get("content-type"), (*JSON_LINES, "application/json"),
                           f"JSON Lines ({JSON_LINES[0]}) or application/json")
        text = await service.body(request)
        readings = parse_readings(reading, "reading", RequestError)

        def late() -> None:
            if time.monotonic() > deadline:  # a timed-out request stops reading too
                raise TimeLimitError(f"the request took longer than the limit of {service.config.time_limit:g} s")

        def start() -> tuple[Iterator[tuple[bytes, int, int]], Any, Any, dict[str, str], int]:
            rs = (service.catalog.default("reward") if ruleset is None  # ruleset= (empty) is an id refused, as in a body
                  else service.catalog.get(ruleset, "reward", "ruleset"))
            with reading_levels(rs):  # the carriers may carry the levels their ruleset declares, as in /evaluate
                if media in JSON_LINES:
                    carriers = line_carriers(text, late)
                else:
                    body = Body(text)
                    _no_files(body.data, body, ())
                    carriers = carriers_in(body, ())
            _, day, chosen = prepare(rs, as_of, readings)
            lines = map_evaluations(evaluation_record, carriers, ruleset=rs, as_of=day, readings=chosen,
                                    stream=True, progress=False, engine=engine)
            return iter(lines), rs, day, chosen, len(carriers)

        lines, rs, day, chosen, count = await service.run(start, deadline)
        first = await service.run(lambda: _take(lines, STREAM_BATCH), deadline)

        async def stream() -> AsyncIterator[bytes]:
            batch, awarded, pending = first, 0, 0
            try:
                while batch:
                    for _, total, later in batch:
                        awarded, pending = awarded + total, pending + later
                    yield b"".join(line for line, _, _ in batch)  # each line UTF-8, with its line break
                    batch = await service.run(lambda: _take(lines, STREAM_BATCH), deadline)
                service.record(did, "/evaluate-many", text, ruleset=_policy(rs), as_of=day.isoformat(),
                               readings=chosen, engine=engine, carriers=count,
                               totals={"awarded": awarded, "pending": pending})
            except IncubatorRulesError as exc:
                # the status line has gone: the stream ends with the problem, then the connection is cut
                log.error("decision %s: /evaluate-many stopped: %s", did, exc)
                yield problem(exc, did).body + b"\n"
                raise
            finally:
                _close(lines)

        return StreamingResponse(stream(), media_type="application/x-ndjson")

    @app.post("/assess", summary="Assess a district portfolio against plan targets (as `assess --format json`)",
              openapi_extra=body_of("AssessRequest", "a district portfolio, the targets id, as-of date and readings"))
    async def assess(request: Request) -> Response:
        def work(body: Body, req: AssessRequest) -> Any:
            targets = service.policy(body, "targets", "targets", req.targets)
            management = service.policy(body, "management", "management", req.management)
            criteria = service.policy(body, "criteria", "criteria", req.criteria)
            _no_files(req.portfolio, body, ("portfolio",))
            portfolio = body.read(("portfolio",), lambda doc: portfolio_from_dict(doc.data, doc.source))
            own = set(management.header.readings) if management is not None else set()
            report = _prepared(lambda: district_report(
                portfolio, targets, req.as_of, readings={k: v for k, v in req.readings.items() if k not in own},
                management=management, management_readings={k: v for k, v in req.readings.items() if k in own},
                criteria=criteria), body)
            return report, targets, management, criteria

        did, text, (report, targets, management, criteria) = await service.answer(request, AssessRequest, work)
        a = report.assessment
        statuses: dict[str, int] = {}
        for r in a.results:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        service.record(did, "/assess", text, ruleset=_policy(targets), as_of=a.as_of.isoformat(),
                       readings=dict(a.readings), engine="native",
                       management=None if management is None else _policy(management),
                       criteria=None if criteria is None else _policy(criteria),
                       carriers=len(report.portfolio.carriers),
                       totals={"targets": len(a.results), **dict(sorted(statuses.items())),
                               "at_risk": len(report.at_risk), "ready": len(report.ready)})
        return Response(report.to_json(), media_type="application/json")

    @app.post("/compare", summary="Compare what-if scenarios over a portfolio (as `compare --format json`)",
              openapi_extra=body_of("CompareRequest", "carriers, scenarios, the ruleset id and as-of date"))
    async def compare_scenarios(request: Request) -> Response:
        def work(body: Body, req: CompareRequest) -> Any:
            rs = service.policy(body, "ruleset", "reward", req.ruleset)
            _no_files(req.portfolio, body, ("portfolio",))
            carriers = carriers_in(body, ("portfolio",))
            scenarios = body.read(("scenarios",), scenarios_from_document) if req.scenarios else []
            if not scenarios or req.with_base:
                scenarios = [Scenario("base"), *scenarios]
            result = _prepared(lambda: compare(carriers, *scenarios, ruleset=rs, as_of=req.as_of, progress=False,
                                                 engine=req.engine), body)
            return result, rs, len(carriers), req.engine

        did, text, (result, rs, count, engine) = await service.answer(request, CompareRequest, work)
        data = result.to_dict()
        scenarios = [{"name": n, "as_of": b.as_of.isoformat(), "readings": rs.resolve_readings(s.readings),
                      "overrides": len(s.overrides), "edits": len(s.edits)}
                     for n, s, b in zip(result.names, result.scenarios, result.budgets)]
        service.record(did, "/compare", text, ruleset=_policy(rs), as_of=scenarios[0]["as_of"],
                       readings=scenarios[0]["readings"], engine=engine, carriers=count, scenarios=scenarios,
                       totals=data["totals"])
        return JSONResponse(data)

    @app.post("/reconcile", summary="Reconcile payments with entitlements (as `reconcile --format json`)",
              openapi_extra=body_of("ReconcileRequest", "carriers, a payments ledger (or none), the ruleset id, as-of date and readings"))
    async def reconcile_payments(request: Request) -> Response:
        def work(body: Body, req: ReconcileRequest) -> Any:
            rs = service.policy(body, "ruleset", "reward", req.ruleset)
            _no_files(req.portfolio, body, ("portfolio",))
            carriers = carriers_in(body, ("portfolio",))
            payments = None if req.payments is None else body.read(
                ("payments",), lambda doc: ledger_from_data(doc.data, doc.source))
            result = _prepared(lambda: reconcile(carriers, req.as_of, payments, ruleset=rs, readings=req.readings,
                                                   engine=req.engine), body)
            return result, rs, len(carriers), req.engine

        did, text, (result, rs, count, engine) = await service.answer(request, ReconcileRequest, work)
        service.record(did, "/reconcile", text, ruleset=_policy(rs), as_of=result.as_of.isoformat(),
                       readings=dict(result.readings), engine=engine, carriers=count, payments_from=result.payments_from,
                       totals={**result.totals, "settled": result.settled})
        return Response(result.to_json(), media_type="application/json")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(components())
            for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422, which this service never sends
                schemas.pop(name, None)
            for path in schema["paths"].values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    if "422" in responses:
                        responses["422"] = {**problems["4XX"], "description": "bad query parameter"}
            many = schema["paths"]["/evaluate-many"]["post"]["responses"]["200"]["content"]
            many.pop("application/json", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return DecisionIds(app)


def _close(lines: Iterator[Any]) -> None:
    """Stop a stream of evaluations; one a timed-out worker thread is still inside stops when that thread leaves it."""
    try:
        getattr(lines, "close", lambda: None)()
    except ValueError:  # "generator already executing"
        pass
