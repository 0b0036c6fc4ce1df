"""What the API tells its operators: Prometheus metrics, request ids and JSON access logs.

``RequestObserver`` is a plain ASGI middleware (no ``BaseHTTPMiddleware``: streamed answers such
as server-sent events pass through untouched). For every request it

- takes a well-formed ``X-Request-Id`` or makes one, and returns it on the answer;
- records latency and status under the route *template* (``/v1/subjects/{subject_id}``), never
  the raw path, so label sets stay few;
- writes one access log line with request id, tenant, user, route, status and duration, and
  nothing from headers or bodies (keys, tokens and photos never reach the logs);
- turns an exception nothing else handled into the standard 500 answer, request id included.

Metrics live in a registry per app (so per process, and tests don't share counters). Queue
depths and worker counts are read from Redis when scraped.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from rq import Queue, Worker
from rq.job import Job
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.context import QUEUE_ORDER, Context

from .errors import translate

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REQUEST_ID",
    "ApiMetrics",
    "JsonFormatter",
    "RequestObserver",
    "configure_json_logging",
]

access_log = logging.getLogger("dreamchat.access")

REQUEST_ID: ContextVar[str | None] = ContextVar("dreamchat_request_id", default=None)
"""The current request's id, for log lines written while serving it."""

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


class _QueueCollector(Collector):
    """Jobs per queue and state, workers per queue, and how long the latest finished jobs ran,
    read at scrape time. Durations come from RQ's finished-job registry (the newest
    ``RECENT_JOBS`` per queue), as the API runs no jobs it could time itself."""

    RECENT_JOBS = 50

    def __init__(self, context: Callable[[], Context]) -> None:
        self.context = context

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dreamchat_redis_up", "1 if Redis answered this scrape.")
        jobs = GaugeMetricFamily(
            "dreamchat_queue_jobs",
            "Jobs per queue and state (finished and failed: those RQ still keeps).",
            labels=["queue", "state"],
        )
        workers = GaugeMetricFamily(
            "dreamchat_queue_workers", "Workers registered on each queue.", labels=["queue"]
        )
        durations = GaugeMetricFamily(
            "dreamchat_recent_job_seconds",
            "Run time of the latest finished jobs per queue: p50, p95, max and count.",
            labels=["queue", "stat"],
        )
        webhooks = CounterMetricFamily(
            "dreamchat_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retryable, gone, failed), all workers.",
            labels=["outcome"],
        )
        try:
            ctx = self.context()
            for outcome, count in sorted(ctx.store.webhook_outcome_counts().items()):
                webhooks.add_metric([outcome], count)
            for name in QUEUE_ORDER:
                queue = ctx.queue(name)
                counts = {
                    "queued": queue.count,
                    "started": queue.started_job_registry.get_job_count(cleanup=False),
                    "scheduled": queue.scheduled_job_registry.get_job_count(cleanup=False),
                    "deferred": queue.deferred_job_registry.get_job_count(cleanup=False),
                    "failed": queue.failed_job_registry.get_job_count(cleanup=False),
                    "finished": queue.finished_job_registry.get_job_count(cleanup=False),
                }
                for state, count in counts.items():
                    jobs.add_metric([name, state], count)
                workers.add_metric([name], Worker.count(queue=queue))
                seconds = self._recent_durations(ctx, queue)
                if seconds:
                    durations.add_metric([name, "p50"], _quantile(seconds, 0.5))
                    durations.add_metric([name, "p95"], _quantile(seconds, 0.95))
                    durations.add_metric([name, "max"], seconds[-1])
                    durations.add_metric([name, "count"], len(seconds))
        except Exception as exc:  # a scrape reports Redis down; it does not fail
            logging.getLogger(__name__).warning("metrics: Redis unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, jobs, workers, durations, webhooks)

    def _recent_durations(self, ctx: Context, queue: Queue) -> list[float]:
        registry = queue.finished_job_registry
        ids = registry.get_job_ids(0, self.RECENT_JOBS - 1, desc=True, cleanup=False)
        finished = Job.fetch_many(ids, connection=ctx.redis)
        return sorted(
            (job.ended_at - job.started_at).total_seconds()
            for job in finished
            if job is not None and job.started_at and job.ended_at
        )


class ApiMetrics:
    def __init__(self, context: Callable[[], Context]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dreamchat_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dreamchat_http_request_duration_seconds",
            "Time to the end of the answer (for streams: until they close).",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_QueueCollector(context))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestObserver:
    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = incoming.decode("latin-1")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = secrets.token_hex(12)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started_at = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:
                raise
            response = translate(exc, request_id)
            await response(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started_at
            route = _route_of(scope)
            self.metrics.observe(scope["method"], route, status, duration)
            access_log.log(
                logging.DEBUG if route in _QUIET_ROUTES else logging.INFO,
                "%s %s %s",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                    "tenant_id": state.get("tenant_id"),
                    "user_id": state.get("user_id"),
                },
            )
            REQUEST_ID.reset(token)


_LOG_FIELDS = (
    "request_id",
    "tenant_id",
    "user_id",
    "job_id",
    "method",
    "route",
    "path",
    "status",
    "duration_ms",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _LOG_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if "request_id" not in line and (request_id := REQUEST_ID.get()):
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_json_logging(level: int | str = logging.INFO) -> None:
    """Route every logger, uvicorn's included, through one JSON handler on stderr. Call it
    from the command that starts the server, not from ``create_app``: the app must not take
    over the logging of a process that embeds it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # dreamchat.access replaces it
