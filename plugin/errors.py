"""The one place errors become HTTP answers, always ``{"error": {"code", "message", "details"}}``.

The plugin's own errors extend the core tree (``core.errors``):

LimitExceeded
└── RateLimited           429 with ``Retry-After``

A dependency that is down (Redis, the queue) is the core's ``Unavailable`` (503): one class,
whether a service function noticed it or ``translate`` caught Redis' own error here.

``BodyTooLarge`` is an ``HTTPException`` (413) because it is raised while FastAPI reads the body,
which turns any other exception into a bare 400.

``translate`` maps anything else: core errors by their ``http_status``, trainer errors by class
(without importing the trainer, so the API never loads torch), FastAPI's validation errors to 422
with the offending fields, unknown routes to 404, and everything unexpected to a 500 that names
the request id and nothing else.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.errors import DreamchatError, LimitExceeded, Unavailable

from .schemas import ErrorResponse

__all__ = [
    "BodyTooLarge",
    "RateLimited",
    "error_response",
    "install_error_handlers",
    "responses",
    "translate",
]

log = logging.getLogger(__name__)


class BodyTooLarge(StarletteHTTPException):
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        self.message = f"The request body is larger than the {limit:,} bytes allowed here."
        self.details = {"max_bytes": limit}
        super().__init__(status_code=413, detail=self.message)


class RateLimited(LimitExceeded):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, math.ceil(retry_after))
        self.details.setdefault("retry_after_seconds", self.retry_after)


_TRAINER_STATUS = (
    ("ConfigError", 422),
    ("PhotoError", 422),
    ("AdapterError", 409),
    ("TrainingCancelled", 409),
    ("BaseModelError", 503),
)
_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": dict(details or {})}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _trainer_status(exc: BaseException) -> int | None:
    """The status for a ``trainer`` error, None for anything else. The module is
    looked up, not imported: if one of its errors exists, it is loaded, and importing it here
    would load torch into every API process."""
    module = sys.modules.get("trainer.errors")
    if module is None or not isinstance(exc, module.TrainerError):
        return None
    for name, status in _TRAINER_STATUS:
        if isinstance(exc, getattr(module, name)):
            return status
    return 500


def translate(exc: BaseException, request_id: str | None = None) -> JSONResponse:
    """The answer for an exception no route handled itself."""
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        log.warning("redis unavailable: %s", exc)
        exc = Unavailable(
            "The service is briefly unavailable; retry in a few seconds.",
            code="service_unavailable",
        )
    if isinstance(exc, DreamchatError):
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unavailable):
            headers["Retry-After"] = "5"
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        http_status = exc.http_status if 400 <= exc.http_status < 600 else 500
        if http_status >= 500 and not isinstance(exc, Unavailable):
            log.error("%s (request %s)", exc.code, request_id, exc_info=exc)
        return error_response(http_status, exc.code, exc.message, exc.details, headers)
    if (trainer_status := _trainer_status(exc)) is not None:
        code, message = str(getattr(exc, "code", "trainer_error")), str(exc)
        if trainer_status >= 500:
            log.error("%s (request %s)", code, request_id, exc_info=exc)
        return error_response(trainer_status, code, message)
    log.error("unhandled error (request %s)", request_id, exc_info=exc)
    return error_response(
        500,
        "internal_error",
        "Something went wrong on our side; try again. Quote the request id if it persists.",
        {"request_id": request_id} if request_id else None,
    )


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    # "input" would echo the request back (secrets, megabytes); "ctx" may hold exceptions.
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return {"errors": errors}


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _dreamchat_error(request: Request, exc: Exception) -> JSONResponse:
    return translate(exc, _request_id(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details["errors"][0] if details["errors"] else {"loc": [], "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"]) or "request"
    return error_response(
        422, "invalid_request", f"Invalid request: {where}: {first['msg']}.", details
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own ``Allow`` names only the
    first route that matched the path, so ``/v1/subjects`` would claim GET alone."""
    allowed = set()
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.add(method)
    return sorted(allowed | {"OPTIONS"}) if allowed else []


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 405:
        allow = ", ".join(_allowed_methods(request))
        if request.method == "OPTIONS":  # not a CORS preflight (the middleware answers those)
            return Response(status_code=204, headers={"Allow": allow})
        exc.headers = {**(exc.headers or {}), "Allow": allow}
    code = _HTTP_CODES.get(status, "http_error")
    details: dict[str, Any] = {}
    if status == 400:  # FastAPI could not parse the body: bad input, like a validation error
        return error_response(
            422,
            "invalid_request",
            "The request body can't be parsed; send UTF-8 JSON or multipart form data.",
        )
    if status == 404:
        message = f"No route {request.url.path!r}; see /docs for the API."
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path!r}."
    elif isinstance(exc, BodyTooLarge):
        message, details = exc.message, exc.details
    else:
        message = str(exc.detail)
    return error_response(status, code, message, details, exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DreamchatError, _dreamchat_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


_DESCRIPTIONS = {
    401: "Missing or invalid credentials.",
    403: "Not allowed: a bad or expired signature, an origin the tenant did not allow, or a "
    "user token where an API key is required.",
    404: "No such thing for this caller (other users' things are reported the same way).",
    409: "The thing is in a state that forbids this now, or the Idempotency-Key is in use.",
    413: "The body or the photo is too large.",
    415: "Not a JPEG, PNG or WebP photo.",
    422: "Invalid input; ``details`` says which field and why.",
    429: "Rate limited; retry after ``Retry-After`` seconds.",
    503: "A dependency is unavailable; retry shortly.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give, all of one schema."""
    return {
        status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }
