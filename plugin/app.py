"""The HTTP app: built here from its parts, with no routes or rules of its own.

``create_app(ctx)`` is what ``dreamchat serve``/``run`` hand to uvicorn and what tests call with
their own ``Context``; without one, the context is made from the settings on first use. The
routers (``routes.ROUTERS``, one per resource) share the error handlers; they and the ``/mcp``
mount sit behind the same middleware: request ids, access logs, metrics, body limits and CORS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agent.mcp_server import mcp_http_app
from core import limits
from core.settings import Settings, get_settings
from core.version import dreamchat_version
from worker.context import Context

from .deps import ApiState, mcp_identity
from .errors import install_error_handlers
from .metrics import RequestObserver
from .ratelimit import BodyLimit
from .routes import ROUTERS, debug

__all__ = ["MAX_JSON_BYTES", "create_app"]

MAX_JSON_BYTES = 1024 * 1024
"""Request bodies other than uploads: far above any valid request, far below harm."""
_MULTIPART_OVERHEAD = 64 * 1024

_DESCRIPTION = """\
Personalized image generation for your users: upload photos of a subject, train it, generate.

**Auth**: `Authorization: Bearer <tenant API key>` with `X-User-Id: <your user id>` from your
servers, or `Authorization: Bearer <user token>` from a browser (mint one with
`POST /v1/user-tokens`). **Errors** are always `{"error": {"code", "message", "details"}}`;
match on `code`. **Rate limits** answer 429 with `Retry-After`.
"""


def _state_settings_in_schema(app: FastAPI, api: ApiState) -> None:
    """Limits that are settings appear in the OpenAPI document with this server's values, so
    the schema allows exactly what the server does."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            token = schema["components"]["schemas"]["UserTokenRequest"]["properties"]
            ttl = token["ttl_seconds"]["anyOf"][0]
            ttl["maximum"] = api.settings.user_token_max_ttl_seconds
            ttl["minimum"] = min(ttl.get("minimum", 60), ttl["maximum"])
            _state_limits(schema["components"]["schemas"], api.settings)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _state_limits(schemas: dict[str, Any], settings: Settings) -> None:
    """The request models carry no bounds (the service checks them, with one code for every
    door); the document states this server's, which settings may have narrowed."""
    side = limits.IMAGE_SIDE.narrowed(settings.max_image_size)
    seed: dict[str, Any] = {"minimum": limits.SEED.lo, "maximum": limits.SEED.hi}
    size = {"minimum": side.lo, "maximum": side.hi, "multipleOf": side.multiple_of}
    bounds: dict[str, dict[str, dict[str, Any]]] = {
        "GenerationCreate": {
            "count": {"minimum": 1, "maximum": settings.max_images_per_generation},
            "width": size,
            "height": size,
            "seed": seed,
        },
        "TrainRequest": {
            "steps": {"minimum": 1, "maximum": settings.max_training_steps},
            "learning_rate": {"exclusiveMinimum": 0, "maximum": 0.01},
            "seed": seed,
        },
    }
    for model, fields in bounds.items():
        properties = schemas[model]["properties"]
        for name, values in fields.items():
            prop = properties[name]
            for branch in prop.get("anyOf", [prop]):  # ``int | None``: the number's branch
                if branch.get("type") in ("integer", "number"):
                    branch.update(values)


def create_app(ctx: Context | None = None) -> FastAPI:
    settings = ctx.settings if ctx is not None else get_settings()
    api = ApiState(settings, ctx)
    # The agent's tools over MCP (streamable HTTP) at /mcp, behind the API's own auth and limits.
    mcp = mcp_http_app(api.ctx, identify=partial(mcp_identity, api))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Inside uvicorn's signal handling, so SIGTERM starts the drain first (plugin/drain.py).
        with api.drain.handling_signals(delay_seconds=settings.shutdown_delay_seconds):
            async with mcp.lifespan():
                yield

    app = FastAPI(
        title="dreamchat",
        version=dreamchat_version(),
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.api = api
    _state_settings_in_schema(app, api)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if settings.debug_routes:
        app.include_router(debug.router)
    # Starlette's add_route is typed for request handlers, but a Route whose endpoint is not
    # a function is mounted as a raw ASGI app, which is what the MCP transport is.
    app.add_route(
        "/mcp",
        mcp,  # type: ignore[arg-type]
        methods=["GET", "POST", "DELETE"],
        include_in_schema=False,
    )
    # Any origin may *ask*; whether a tenant's origin may act is checked after authentication
    # (deps.py), since a preflight carries no credentials. No cookies are used, so no
    # credentials mode.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "X-User-Id",
            "Idempotency-Key",
            "X-Request-Id",
            "X-Conversation-Id",
            "Mcp-Session-Id",
        ],
        expose_headers=["X-Request-Id", "Retry-After", "Idempotent-Replayed", "X-Conversation-Id"],
        max_age=600,
    )
    upload_limit = api.settings.max_upload_bytes + _MULTIPART_OVERHEAD
    app.add_middleware(BodyLimit, default=MAX_JSON_BYTES, limits={"/v1/uploads": upload_limit})
    app.add_middleware(RequestObserver, metrics=api.metrics)
    return app
