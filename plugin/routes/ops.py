"""Health, readiness and metrics: for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Response
from rq import Worker

from worker.context import QUEUE_ORDER

from ..deps import Api
from ..metrics import CONTENT_TYPE_LATEST
from ..schemas import Health, Readiness, ReadinessChecks

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Health:
    """Liveness: answers without touching Redis, so a Redis outage doesn't restart the API."""
    return Health()


@router.get(
    "/readyz",
    summary="Redis answers, a worker is listening and the API is not shutting down",
    responses={503: {"model": Readiness, "description": "Not ready; the body says why."}},
)
def readyz(api: Api, response: Response) -> Readiness:
    """Ready when Redis answers, at least one live worker listens on one of our queues
    (``/metrics`` has workers per queue) and the process is not draining (plugin/drain.py)."""
    checks = ReadinessChecks(redis=False, worker=False)
    try:
        ctx = api.ctx
        checks.redis = bool(ctx.redis.ping())
        checks.worker = any(Worker.all(queue=ctx.queue(name)) for name in QUEUE_ORDER)
    except Exception:  # readiness reports, it does not raise
        pass
    draining = api.drain.draining
    ready = checks.redis and checks.worker and not draining
    response.status_code = 200 if ready else 503
    return Readiness(ready=ready, draining=draining, checks=checks)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(api: Api) -> Response:
    return Response(api.metrics.render(), media_type=CONTENT_TYPE_LATEST)
