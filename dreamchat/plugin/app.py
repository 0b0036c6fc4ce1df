"""The HTTP app. Until the plugin issue lands it serves health checks and a placeholder page;
``dreamchat run`` already starts it next to Redis and a worker."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from dreamchat.worker.context import Context, context_from_settings

__all__ = ["create_app"]


def create_app(ctx: Context | None = None) -> FastAPI:
    app = FastAPI(title="dreamchat", version="0.1.0")
    state = {"ctx": ctx}

    def context() -> Context:
        if state["ctx"] is None:
            state["ctx"] = context_from_settings()
        return state["ctx"]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        from rq import Worker

        checks = {"redis": False, "worker": False}
        try:
            c = context()
            checks["redis"] = bool(c.redis.ping())
            checks["worker"] = len(Worker.all(connection=c.redis)) > 0
        except Exception:  # readiness reports, it does not raise
            pass
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (
            "<!doctype html><title>dreamchat</title><h1>dreamchat is running</h1>"
            "<p>The chat widget and the REST API arrive with the plugin layer; Redis and a "
            "worker are up. See <code>/readyz</code>.</p>"
        )

    return app
