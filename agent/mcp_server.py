"""The assistant's tools over the Model Context Protocol: stdio (``dreamchat mcp``) and streamable
HTTP (``/mcp`` on the API), for agent frameworks that bring their own model.

Every ``ToolSpec`` becomes an MCP tool with the same name, description and input schema, and a
call runs ``run_tool`` like the LangChain agent does. Who is calling is bound by the *transport*,
never by a tool argument a model fills in:

- stdio: the API key and user id given when the server starts (``DREAMCHAT_API_KEY`` and
  ``DREAMCHAT_USER_ID``), checked once; a wrong key and the server does not start.
- HTTP: ``Authorization: Bearer <tenant API key>`` and ``X-User-Id`` on every request, checked
  before the request reaches the MCP session; a stateful MCP session stays tied to the identity
  that opened it (the SDK answers 404 to anyone else).

Conversation state (the subject in focus, the last generation) lives in Redis under a
conversation id derived from the MCP session, so "train him" after "create Rex" works from call
to call, and from node to node behind a load balancer.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Any, cast

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import create_model
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from core.domain import Scope
from core.errors import DreamchatError, InvalidInput, Unauthenticated
from core.ids import CONVERSATION, check_external_id, new_id
from core.store import RedisStore
from core.tenants import authenticate
from core.version import dreamchat_version
from worker.context import Context as WorkerContext

from .session import CONVERSATION_TTL, ChatSession, ConversationState
from .tools import TOOLS, ToolSpec, run_tool

__all__ = [
    "McpHttpApp",
    "SessionResolver",
    "bind_identity",
    "build_mcp_server",
    "mcp_http_app",
    "mcp_tool_schemas",
    "open_session",
    "scope_from_headers",
    "serve_stdio",
]

SessionResolver = Callable[[Context], ChatSession]
"""Builds the ``ChatSession`` for one tool call from its MCP request context."""

INSTRUCTIONS = (
    "Personalized image generation: create a subject (a pet, a person, a product), add 3-25 "
    "photos, train it, then generate images of it in any scene. Subjects are named by the "
    "person's words ('Rex', 'my dog'); every result has 'ok' and a 'message' to relay."
)

_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean", "description": "False when the tool could not do it"},
        "message": {"type": "string", "description": "What to tell the person"},
    },
    "required": ["ok", "message"],
    "additionalProperties": True,
}

_ANNOTATIONS = {
    "list_subjects": ToolAnnotations(read_only_hint=True),
    "training_status": ToolAnnotations(read_only_hint=True),
    "cancel_training": ToolAnnotations(destructive_hint=True),
    "cancel_generation": ToolAnnotations(destructive_hint=True),
    "delete_subject": ToolAnnotations(destructive_hint=True),
}


def build_mcp_server(resolve_session: SessionResolver) -> MCPServer:
    """An MCP server offering every tool of ``TOOLS``; ``resolve_session`` says who calls."""
    return MCPServer(
        "dreamchat",
        version=dreamchat_version(),
        instructions=INSTRUCTIONS,
        tools=[_mcp_tool(spec, resolve_session) for spec in TOOLS],
        log_level="WARNING",
    )


def _mcp_tool(spec: ToolSpec, resolve_session: SessionResolver) -> Tool:
    """The MCP SDK derives a tool from a Python signature; ours are pydantic models already, so
    the tool is built from the model: the SDK validates with it and publishes its exact schema."""

    def turn(ctx: Context, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            session = resolve_session(ctx)
        except DreamchatError as exc:
            raise ToolError(exc.message) from exc
        result = run_tool(session, spec.name, arguments)
        _save_state(session)
        return json.loads(json.dumps(result, default=str))

    async def call(ctx: Context, **arguments: Any) -> CallToolResult:
        # Redis calls, and a generation waits for its images: off the event loop.
        result = await anyio.to_thread.run_sync(turn, ctx, arguments)
        return CallToolResult(
            content=[TextContent(type="text", text=json.dumps(result))], structured_content=result
        )

    arg_model = create_model(f"{spec.name}_arguments", __base__=(ArgModelBase, spec.args))
    return Tool(
        fn=call,
        name=spec.name,
        title=None,
        description=spec.description,
        parameters=spec.args.model_json_schema(),
        fn_metadata=FuncMetadata(
            arg_model=cast(type[ArgModelBase], arg_model), output_schema=_RESULT_SCHEMA
        ),
        is_async=True,
        context_kwarg="ctx",
        annotations=_ANNOTATIONS.get(spec.name),
    )


def mcp_tool_schemas() -> list[dict[str, Any]]:
    """The ``tools/list`` entries as a client receives them (for ``dreamchat tools``; runs its
    own event loop)."""

    def listing_only(_: Context) -> ChatSession:
        raise RuntimeError("a server built to list its tools runs none")

    tools = anyio.run(build_mcp_server(listing_only).list_tools)
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


# Sessions -----------------------------------------------------------------------------------


def open_session(ctx: WorkerContext, scope: Scope, conversation_id: str) -> ChatSession:
    """The conversation's saved state, or a fresh one the first time."""
    loaded = ctx.store.load_conversation(scope, conversation_id, last_messages=1)
    state = ConversationState.from_json(loaded[0]) if loaded else ConversationState()
    return ChatSession(ctx, scope, conversation_id, state)


def _save_state(session: ChatSession) -> None:
    session.ctx.store.save_conversation(
        session.scope,
        session.conversation_id,
        state=session.state.to_json(),
        new_messages=[],
        ttl_seconds=CONVERSATION_TTL,
    )


def _conversation_id_for(mcp_session_id: str | None) -> str:
    """A conversation id (``cnv_`` + 24 base32 characters, like ours) named by the MCP session.

    Derived rather than stored, so any API node finds the same conversation. It only ever names
    a key inside the caller's own scope, so a client choosing its session id reaches nothing of
    anyone else's; without a session (stateless HTTP) all of a user's calls share one."""
    digest = hashlib.sha256(f"mcp\n{mcp_session_id or ''}".encode()).digest()[:15]
    return f"{CONVERSATION}_{base64.b32encode(digest).decode('ascii').lower()}"


# stdio ---------------------------------------------------------------------------------------


def bind_identity(ctx: WorkerContext, *, api_key: str | None, user_id: str | None) -> Scope:
    """The scope a stdio server acts for, from its start-up credentials."""
    if not api_key:
        raise Unauthenticated(
            "Set DREAMCHAT_API_KEY (or --api-key) to your tenant API key.",
            code="missing_credentials",
        )
    if not user_id:
        raise InvalidInput(
            "Set DREAMCHAT_USER_ID (or --user) to the end user the tools act for.",
            code="missing_user_id",
        )
    try:
        tenant = authenticate(ctx.store, api_key=api_key)
    except Unauthenticated as exc:  # its message speaks of HTTP headers
        raise Unauthenticated(
            "DREAMCHAT_API_KEY (or --api-key) is not a valid tenant API key; "
            "`dreamchat tenants create NAME` makes one.",
            code=exc.code,
        ) from None
    return Scope(tenant.id, check_external_id(user_id, what="user id"))


def serve_stdio(ctx: WorkerContext, scope: Scope) -> None:
    """Serve MCP on stdin/stdout until the client closes it: one process, one conversation."""
    conversation_id = new_id(CONVERSATION)
    build_mcp_server(lambda _: open_session(ctx, scope, conversation_id)).run("stdio")


# Streamable HTTP -----------------------------------------------------------------------------

IDENTITY_REFUSED = -32001
"""JSON-RPC error code (the implementation-defined range) for a request refused before MCP."""

Identify = Callable[[Mapping[str, str]], Scope]
"""Request headers → the caller's scope, or a ``DreamchatError``."""


def scope_from_headers(store: RedisStore, headers: Mapping[str, str]) -> Scope:
    """``Authorization: Bearer <tenant API key>`` + ``X-User-Id``, as on the rest of the API."""
    scheme, _, api_key = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not api_key.strip():
        raise Unauthenticated(
            "Send 'Authorization: Bearer <tenant API key>' and 'X-User-Id: <end user id>'.",
            code="missing_credentials",
        )
    tenant = authenticate(store, api_key=api_key.strip())
    user_id = headers.get("x-user-id")
    if not user_id:
        raise InvalidInput("Name the end user in the X-User-Id header.", code="missing_user_id")
    return Scope(tenant.id, check_external_id(user_id, what="user id"))


class McpHttpApp:
    """ASGI app serving MCP over streamable HTTP at whatever path it is routed to.

    Its session manager must run while it serves. Served as the whole app, it handles the ASGI
    lifespan itself; mounted or routed inside another app, which gets the lifespan events, the
    host enters ``lifespan()`` in its own."""

    def __init__(
        self,
        ctx: WorkerContext,
        *,
        identify: Identify | None = None,
        stateless: bool = True,
        json_response: bool = False,
    ) -> None:
        self._identify = identify or partial(scope_from_headers, ctx.store)
        self.server = build_mcp_server(partial(_http_session, ctx))
        # Builds the session manager; the Starlette app it returns is not used: we route
        # requests to the manager ourselves, after authentication. Host checks against DNS
        # rebinding guard credential-less local servers; every request here carries a key.
        self.server.streamable_http_app(
            stateless_http=stateless,
            json_response=json_response,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"MCP is served over HTTP, not {scope['type']}")
        try:
            caller = await anyio.to_thread.run_sync(self._identify, Headers(scope=scope))
        except DreamchatError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        # The SDK's own identity slot: it ties a stateful session to the identity that opened it.
        token = AccessToken(token="", client_id=caller.tenant_id, subject=caller.user_id, scopes=[])
        await self.server.session_manager.handle_request(
            {**scope, "user": AuthenticatedUser(token)}, receive, send
        )

    async def _serve_lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        async with self.lifespan():
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


def _refusal(exc: DreamchatError) -> JSONResponse:
    """A JSON-RPC error, so MCP clients show our message rather than "error response"; the
    usual ``{code, message, details}`` rides in its ``data``."""
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": IDENTITY_REFUSED, "message": exc.message, "data": exc.to_dict()},
    }
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else {}
    if (retry_after := getattr(exc, "retry_after", None)) is not None:  # rate limited
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def mcp_http_app(
    ctx: WorkerContext, *, identify: Identify | None = None, stateless: bool = True
) -> McpHttpApp:
    """The ASGI app to serve at ``/mcp``. Stateless by default, so any API node can answer any
    request; ``identify`` replaces the API-key check (e.g. to accept user tokens too)."""
    return McpHttpApp(ctx, identify=identify, stateless=stateless)


def _http_session(ctx: WorkerContext, mcp_ctx: Context) -> ChatSession:
    """Only ever reached through ``McpHttpApp``, which put the checked identity in ``user``."""
    request = mcp_ctx.request_context.request
    user = request.scope.get("user") if isinstance(request, Request) else None
    if not isinstance(request, Request) or not isinstance(user, AuthenticatedUser):
        raise Unauthenticated(
            "This MCP endpoint needs 'Authorization: Bearer <tenant API key>' and 'X-User-Id'.",
            code="missing_credentials",
        )
    scope = Scope(user.access_token.client_id, str(user.access_token.subject))
    return open_session(ctx, scope, _conversation_id_for(request.headers.get("mcp-session-id")))
