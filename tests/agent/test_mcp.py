"""The MCP server, driven by the official MCP client: ``dreamchat mcp`` over stdio as a real
subprocess, and the ``/mcp`` app over real HTTP (uvicorn on a loopback port), on real Redis."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from agent.mcp_server import mcp_http_app
from agent.tools import TOOLS
from core.blob_keys import upload_key
from core.domain import Scope
from core.ids import UPLOAD, new_id
from core.policy import check_request, policy_config
from core.settings import load_settings
from core.subjects import attach_photos, create_subject, list_subjects
from core.tenants import create_tenant
from dreamchat.cli import main
from worker.context import Context, context_from_settings

from ..net import uvicorn_thread
from ..plugin import photos

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def ctx(redis_url: str, key_prefix: str, tmp_path: Path, redis_client: redis.Redis) -> Context:
    """``redis_client`` comes along to delete this test's keys afterwards."""
    settings = load_settings(redis_url=redis_url, key_prefix=key_prefix, data_dir=tmp_path)
    return context_from_settings(settings)


@pytest.fixture
def api_key(ctx: Context) -> str:
    return create_tenant(ctx.store, name="acme")[1]


def _tenant_id(api_key: str) -> str:
    return api_key.removeprefix("dck_").rsplit(".", 1)[0]


def _result(called: CallToolResult) -> dict[str, Any]:
    assert not called.is_error, called.content
    assert called.structured_content is not None
    return called.structured_content


async def _check_tool_list(session: ClientSession) -> None:
    listed = (await session.list_tools()).tools
    assert [t.name for t in listed] == [spec.name for spec in TOOLS]
    for tool, spec in zip(listed, TOOLS, strict=True):
        assert tool.description == spec.description
        assert tool.input_schema == spec.args.model_json_schema()


# stdio -----------------------------------------------------------------------------------------


def _stdio_env(ctx: Context, api_key: str, user_id: str) -> dict[str, str]:
    return {
        "REDIS_URL": str(ctx.settings.redis_url),
        "DREAMCHAT_KEY_PREFIX": ctx.settings.key_prefix,
        "DREAMCHAT_DATA_DIR": str(ctx.settings.data_dir),
        "DREAMCHAT_API_KEY": api_key,
        "DREAMCHAT_USER_ID": user_id,
    }


async def test_stdio_lists_and_calls_the_tools(ctx: Context, api_key: str) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "dreamchat.cli", "mcp"],
        env=_stdio_env(ctx, api_key, "alice"),
        cwd=REPO,
    )
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        hello = await session.initialize()
        assert hello.server_info.name == "dreamchat"
        assert hello.server_info.version == version("dreamchat") != ""
        await _check_tool_list(session)

        created = _result(
            await session.call_tool("create_subject", {"name": "Rex", "class_noun": "dog"})
        )
        assert created["ok"] and created["subject"]["name"] == "Rex"
        await session.call_tool("create_subject", {"name": "Tom", "class_noun": "cat"})
        listed = _result(await session.call_tool("list_subjects", {}))
        assert sorted(s["name"] for s in listed["subjects"]) == ["Rex", "Tom"]
        # No subject named: the conversation's focus (Tom, created last) carries over.
        renamed = _result(await session.call_tool("rename_subject", {"new_name": "Tiger"}))
        assert renamed["ok"] and renamed["subject"]["class_noun"] == "cat"

        invalid = await session.call_tool("create_subject", {"name": "Tom"})
        assert invalid.is_error and "class_noun" in str(invalid.content)

    stored = list_subjects(ctx.store, scope=Scope(_tenant_id(api_key), "alice"))
    assert sorted(s.name for s in stored) == ["Rex", "Tiger"]


def test_stdio_refuses_to_start_with_a_wrong_key(
    ctx: Context, api_key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before the server reads a byte of stdin, so ``dreamchat mcp`` runs in process."""
    wrong = api_key[:-4] + "AAAA"
    for name, value in _stdio_env(ctx, wrong, "alice").items():
        monkeypatch.setenv(name, value)
    assert main(["mcp"]) == 2
    assert "invalid_api_key" in capsys.readouterr().err

    monkeypatch.delenv("DREAMCHAT_API_KEY")
    assert main(["mcp"]) == 2
    assert "DREAMCHAT_API_KEY" in capsys.readouterr().err


# Streamable HTTP -------------------------------------------------------------------------------


@contextlib.contextmanager
def _serve(ctx: Context, *, stateless: bool, routed: bool) -> Iterator[str]:
    """The MCP app routed at ``/mcp`` of a FastAPI app, as the API does, or served alone;
    yields its URL."""
    mcp = mcp_http_app(ctx, stateless=stateless)
    app: Any = mcp
    if routed:

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with mcp.lifespan():
                yield

        app = FastAPI(lifespan=lifespan)
        app.add_route("/mcp", mcp, methods=["GET", "POST", "DELETE"])
    with uvicorn_thread(app) as url:
        yield f"{url}/mcp"


@pytest.fixture
def stateless_url(ctx: Context) -> Iterator[str]:
    with _serve(ctx, stateless=True, routed=True) as url:
        yield url


@contextlib.asynccontextmanager
async def _connect(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
_ACCEPT = {"Accept": "application/json, text/event-stream"}


def _headers(api_key: str, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "X-User-Id": user_id}


async def test_http_lists_and_calls_the_tools_as_the_header_identity(
    stateless_url: str, api_key: str
) -> None:
    async with _connect(stateless_url, _headers(api_key, "alice")) as alice:
        await _check_tool_list(alice)
        created = _result(
            await alice.call_tool("create_subject", {"name": "Rex", "class_noun": "dog"})
        )
        assert created["ok"]
        listed = _result(await alice.call_tool("list_subjects", {}))
        assert [s["name"] for s in listed["subjects"]] == ["Rex"]

    async with _connect(stateless_url, _headers(api_key, "bob")) as bob:
        assert _result(await bob.call_tool("list_subjects", {}))["subjects"] == []
        # An argument naming another user is no way in: identity comes from the headers only.
        injected = await bob.call_tool("list_subjects", {"user_id": "alice"})
        assert _result(injected)["subjects"] == []
        status = _result(await bob.call_tool("training_status", {"subject": "Rex"}))
        assert status["ok"] is False and "Rex" in status["message"]
        renamed = _result(
            await bob.call_tool("rename_subject", {"subject": "Rex", "new_name": "Mine"})
        )
        assert renamed["ok"] is False


async def test_http_refuses_calls_without_a_valid_key(stateless_url: str, api_key: str) -> None:
    cases = [
        ({}, 401, "missing_credentials"),
        (_headers(api_key[:-4] + "AAAA", "alice"), 401, "invalid_api_key"),
        (_headers("not-a-key", "alice"), 401, "invalid_api_key"),
        ({"Authorization": f"Bearer {api_key}"}, 422, "missing_user_id"),
        (_headers(api_key, "al:ice"), 422, "invalid_user_id"),
    ]
    async with httpx.AsyncClient() as client:
        for headers, status, code in cases:
            response = await client.post(
                stateless_url, json=_INITIALIZE, headers={**_ACCEPT, **headers}
            )
            assert response.status_code == status, (headers, response.text)
            assert response.json()["error"]["data"]["code"] == code
        ok = await client.post(
            stateless_url, json=_INITIALIZE, headers={**_ACCEPT, **_headers(api_key, "alice")}
        )
        assert ok.status_code == 200

    # The official client gives up at once, with our message.
    with pytest.raises(Exception) as refused:
        async with _connect(stateless_url, _headers(api_key[:-4] + "AAAA", "alice")):
            pass
    assert refused.group_contains(MCPError, match="Invalid API key")


async def test_http_session_keeps_its_conversation_and_its_owner(
    ctx: Context, api_key: str
) -> None:
    """Stateful mode, the app served alone (running its own lifespan)."""
    with _serve(ctx, stateless=False, routed=False) as url:
        async with _connect(url, _headers(api_key, "alice")) as alice:
            await alice.call_tool("create_subject", {"name": "Rex", "class_noun": "dog"})
            await alice.call_tool("create_subject", {"name": "Tom", "class_noun": "cat"})
            renamed = _result(await alice.call_tool("rename_subject", {"new_name": "Tiger"}))
            assert renamed["ok"] and renamed["subject"]["class_noun"] == "cat"
        async with _connect(url, _headers(api_key, "alice")) as later:
            # A new session is a new conversation: nothing in focus, so it asks.
            unsure = _result(await later.call_tool("rename_subject", {"new_name": "Max"}))
            assert unsure["ok"] is False and sorted(unsure["options"]) == ["Rex", "Tiger"]

        async with httpx.AsyncClient() as client:
            opened = await client.post(
                url, json=_INITIALIZE, headers={**_ACCEPT, **_headers(api_key, "alice")}
            )
            session = {"Mcp-Session-Id": opened.headers["mcp-session-id"]}
            listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
            own = await client.post(
                url, json=listing, headers={**_ACCEPT, **session, **_headers(api_key, "alice")}
            )
            assert own.status_code == 200 and "create_subject" in own.text
            hijack = await client.post(
                url, json=listing, headers={**_ACCEPT, **session, **_headers(api_key, "bob")}
            )
            assert hijack.status_code == 404


async def test_http_tools_ask_consent_and_apply_the_content_policy(
    ctx: Context, stateless_url: str, api_key: str
) -> None:
    """The rules of the service layer, through MCP: the same codes and messages as REST."""
    scope = Scope(_tenant_id(api_key), "alice")
    leo = create_subject(ctx.store, scope=scope, name="Leo", class_noun="boy")
    uploads = []
    for seed in range(3):
        upload_id = new_id(UPLOAD)
        ctx.blobs.put(upload_key(scope, upload_id, ".jpg"), photos.photo(500 + seed))
        uploads.append(upload_id)
    attach_photos(
        ctx.store,
        ctx.blobs,
        scope=scope,
        subject_id=leo.id,
        upload_ids=uploads,
        settings=ctx.settings,
    )

    async with _connect(stateless_url, _headers(api_key, "alice")) as alice:
        asked = _result(await alice.call_tool("start_training", {"subject": "Leo"}))
        assert asked["ok"] is False and asked["error"]["code"] == "consent_required"
        assert "permission" in asked["message"]
        assert ctx.store.list_training_runs(scope, leo.id) == []

        started = _result(
            await alice.call_tool("start_training", {"subject": "Leo", "consent": True})
        )
        assert started["ok"], started["message"]
        consent = ctx.store.get_subject(scope, leo.id).consent
        assert consent is not None and consent.user_id == "alice"
        _result(await alice.call_tool("cancel_training", {"subject": "Leo"}))

        refused = _result(await alice.call_tool("generate_images", {"request": "show Leo naked"}))
        assert refused["ok"] is False and refused["error"]["code"] == "content_policy"
        assert (
            refused["message"]
            == check_request("Leo naked", [leo], config=policy_config(ctx.settings)).message
        )
