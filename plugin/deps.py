"""Dependencies routes declare, as ``Annotated`` aliases:

- ``Ctx``: the process's ``Context`` (Redis, store, blobs, queues, settings);
- ``Api``: the app's state (its ``Settings``, the signer, the rate limiter, metrics, the drain);
- ``CurrentScope``: the authenticated ``(tenant, end user)``, from an API key with ``X-User-Id``
  or from a user token, rate-limited per tenant and per user;
- ``TenantAdmin``: the authenticated tenant, API key only (webhooks, minting user tokens);
- ``CurrentTenant``: the authenticated tenant from any of its credentials (an API key, with or
  without ``X-User-Id``, or a user token), for tenant-wide things its users may read;
- ``Idempotent``: Stripe-style ``Idempotency-Key`` handling for a POST.

Every route with a caller takes it from these (chat and the event stream included), so
authentication, origin checks and rate limits are written once.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, WithJsonSchema

from core.domain import Scope, Tenant

if TYPE_CHECKING:
    from agent.assistant import Assistant
from core.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from core.ids import EXTERNAL_ID_PATTERN
from core.settings import Settings
from worker.context import Context, context_from_settings

from .auth import (
    USER_TOKEN_PREFIX,
    Principal,
    Signer,
    check_origin,
    load_server_secret,
    resolve_principal,
)
from .drain import Drain
from .metrics import ApiMetrics
from .ratelimit import RateLimiter

__all__ = [
    "Api",
    "ApiState",
    "CurrentPrincipal",
    "CurrentScope",
    "CurrentTenant",
    "Ctx",
    "EventStreamScope",
    "Idempotency",
    "Idempotent",
    "ImageLinker",
    "ImageLinks",
    "TenantAdmin",
    "mcp_identity",
]

M = TypeVar("M", bound=BaseModel)


class ApiState:
    """Everything the app builds once. The ``Context`` is made on first use, so building the
    app never connects to anything."""

    def __init__(self, settings: Settings, ctx: Context | None = None) -> None:
        self.settings = settings
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        self.signer = Signer(load_server_secret(secret, settings.data_dir))
        self.metrics = ApiMetrics(lambda: self.ctx)
        self.drain = Drain()
        self._ctx = ctx
        self._lock = threading.Lock()

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            with self._lock:
                if self._ctx is None:
                    self._ctx = context_from_settings(self.settings)
        return self._ctx

    @cached_property
    def assistant(self) -> Assistant:
        """The chat agent, compiled once per process (its tools bind each request's caller)."""
        from agent.assistant import Assistant

        return Assistant(self.ctx)

    @cached_property
    def limiter(self) -> RateLimiter:
        return RateLimiter(
            self.ctx.store,
            tenant_per_minute=self.settings.rate_limit_tenant_per_minute,
            user_per_minute=self.settings.rate_limit_user_per_minute,
        )


async def _api(request: Request) -> ApiState:
    return request.app.state.api


Api = Annotated[ApiState, Depends(_api)]


async def _ctx(api: Api) -> Context:
    return api.ctx


Ctx = Annotated[Context, Depends(_ctx)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A tenant API key (dck_…, with X-User-Id) or a user token (dcu_…).",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
UserIdHeader = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "pattern": EXTERNAL_ID_PATTERN}),
    Header(
        alias="X-User-Id",
        description="The end user, with a tenant API key. Not needed with a user token.",
    ),
]


def _principal(
    api: ApiState, *, bearer: str | None, user_id: str | None, headers: Mapping[str, str]
) -> Principal:
    """The caller, checked as every door checks it: an API key (+ ``X-User-Id``) or a user
    token, and the tenant's allowed origins for browsers."""
    ctx = api.ctx
    principal = resolve_principal(
        ctx.store, api.signer, bearer=bearer, user_id=user_id, now=ctx.store.now().timestamp()
    )
    allowed = getattr(principal.tenant, "allowed_origins", None) or list(api.settings.cors_origins)
    check_origin(headers.get("origin"), host=headers.get("host"), allowed=allowed)
    return principal


def _user_scope(api: ApiState, principal: Principal) -> Scope:
    scope = principal.scope  # refuses a missing X-User-Id
    api.limiter.check(scope.tenant_id, scope.user_id)
    return scope


def mcp_identity(api: ApiState, headers: Mapping[str, str]) -> Scope:
    """``/mcp``'s caller, through the same checks and rate limits as the REST routes (its
    requests reach the MCP transport, not a FastAPI route, so this takes the raw headers)."""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    principal = _principal(api, bearer=bearer, user_id=headers.get("x-user-id"), headers=headers)
    return _user_scope(api, principal)


def _authenticate(
    request: Request,
    api: ApiState,
    credentials: HTTPAuthorizationCredentials | None,
    user: str | None,
) -> Principal:
    principal = _principal(
        api,
        bearer=credentials.credentials if credentials else None,
        user_id=user,
        headers=request.headers,
    )
    request.state.tenant_id = principal.tenant.id
    request.state.user_id = principal.user_id
    return principal


def _event_stream_scope(
    request: Request, api: Api, credentials: Credentials, token: str | None = None
) -> Scope:
    """``EventSource`` can't send headers, so the stream also takes a user token as ``?token=``
    (user tokens only: an API key never belongs in a URL)."""
    if credentials is None and token is not None:
        if not token.startswith(USER_TOKEN_PREFIX):
            raise Unauthenticated(
                "Pass a user token (dcu_…) as ?token=, never an API key.", code="invalid_user_token"
            )
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    principal = _authenticate(request, api, credentials, request.headers.get("x-user-id"))
    return principal.scope


EventStreamScope = Annotated[Scope, Depends(_event_stream_scope)]


def _current_principal(
    request: Request, api: Api, credentials: Credentials, x_user_id: UserIdHeader = None
) -> Principal:
    principal = _authenticate(request, api, credentials, x_user_id)
    _user_scope(api, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


async def _current_scope(principal: CurrentPrincipal) -> Scope:
    return principal.scope


CurrentScope = Annotated[Scope, Depends(_current_scope)]


def _tenant_admin(request: Request, api: Api, credentials: Credentials) -> Tenant:
    principal = _authenticate(request, api, credentials, None)
    if principal.via != "api_key":
        raise Forbidden(
            "This needs the tenant API key; user tokens only act for their user.",
            code="api_key_required",
        )
    api.limiter.check(principal.tenant.id)
    return principal.tenant


TenantAdmin = Annotated[Tenant, Depends(_tenant_admin)]


def _current_tenant(
    request: Request, api: Api, credentials: Credentials, x_user_id: UserIdHeader = None
) -> Tenant:
    principal = _authenticate(request, api, credentials, x_user_id)
    api.limiter.check(principal.tenant.id, principal.user_id)
    return principal.tenant


CurrentTenant = Annotated[Tenant, Depends(_current_tenant)]


class Idempotency:
    """Stripe's semantics for one POST: the first request with a key runs and its successful
    answer is kept (``idempotency_ttl_seconds``); a repeat with the same body gets that answer
    again with ``Idempotent-Replayed: true``; the same key with another body is a 422; a repeat
    while the first still runs is a 409. A request that fails keeps nothing, so retrying it
    with the same key runs it again."""

    PENDING_TTL_SECONDS = 60
    """A claim that was never completed (the process died) frees the key after this long."""

    def __init__(self, ctx: Context, scope: Scope, key: str | None, response: Response) -> None:
        self.ctx, self.scope, self.key, self.response = ctx, scope, key, response

    @staticmethod
    def fingerprint(request: Mapping[str, Any]) -> str:
        return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()

    def run(
        self, operation: str, request: Mapping[str, Any], model: type[M], call: Callable[[], M]
    ) -> M:
        if self.key is None:
            return call()
        store, key = self.ctx.store, self.key
        fingerprint = self.fingerprint(request)
        earlier = store.claim_idempotency_key(
            self.scope,
            operation=operation,
            key=key,
            fingerprint=fingerprint,
            ttl_seconds=self.PENDING_TTL_SECONDS,
        )
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise InvalidInput(
                    "This Idempotency-Key was used with a different request; use a new key "
                    "for a new request.",
                    code="idempotency_key_reused",
                )
            if earlier.state == "pending" or earlier.response is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still running; retry shortly.",
                    code="idempotency_key_in_use",
                )
            self.response.headers["Idempotent-Replayed"] = "true"
            return model.model_validate(earlier.response)
        try:
            answer = call()
        except BaseException:
            store.release_idempotency_key(self.scope, operation=operation, key=key)
            raise
        store.complete_idempotency_key(
            self.scope,
            operation=operation,
            key=key,
            fingerprint=fingerprint,
            response=answer.model_dump(mode="json"),
            ttl_seconds=self.ctx.settings.idempotency_ttl_seconds,
        )
        return answer


async def _idempotency(
    ctx: Ctx,
    scope: CurrentScope,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string (a UUID): retrying with it never does the work twice.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(ctx, scope, idempotency_key, response)


Idempotent = Annotated[Idempotency, Depends(_idempotency)]


class ImageLinker:
    """Signed, expiring image URLs. Expiry is rounded up (to the hour for long lifetimes), so
    fetching a generation twice gives the same URLs and browsers can cache the images."""

    def __init__(self, api: ApiState, base_url: str) -> None:
        self.api = api
        self.base_url = (api.settings.public_url or base_url).rstrip("/")

    def url(self, scope: Scope, image_id: str) -> str:
        ttl = self.api.settings.image_url_ttl_seconds
        step = max(1, min(ttl, 3600))
        now = self.api.ctx.store.now().timestamp()
        expires = math.ceil((now + ttl) / step) * step
        query = self.api.signer.image_query(scope, image_id, expires=expires)
        return f"{self.base_url}/v1/images/{image_id}?{query}"


async def _image_links(request: Request, api: Api) -> ImageLinker:
    return ImageLinker(api, str(request.base_url))


ImageLinks = Annotated[ImageLinker, Depends(_image_links)]
