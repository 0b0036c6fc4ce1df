"""The chat surface: POST /v1/chat, the SSE stream, the OpenAI-compatible endpoint (with the
official client over a real socket), the widget script, the demo page and the /mcp mount."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from openai import OpenAI

import agent.assistant as assistant_module
from agent.assistant import Assistant
from agent.offline_model import ChatOfflineIntents
from core.domain import EventType
from core.subjects import list_subjects
from plugin.app import create_app
from plugin.openai_compat import count_tokens
from worker.progress import publish

from ..net import uvicorn_thread
from .conftest import Api


def serving(api: Api) -> AbstractContextManager[str]:
    """The app on a real uvicorn server on a free port, stopped on the way out."""
    return uvicorn_thread(create_app(api.ctx), lifespan="on")


@pytest.fixture
def server(api: Api) -> Iterator[str]:
    with serving(api) as url:
        yield url


def test_chat_turns_keep_a_conversation(api: Api, alice):
    first = api.client.post("/v1/chat", headers=alice.headers, json={"message": "what can you do?"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (
        body["conversation_id"].startswith("cnv_")
        and "3–25 photos" in body["reply"]
        and body["images"] == []
    )
    upload_ids = [api.upload_ok(alice, seed) for seed in range(3)]
    second = api.client.post(
        "/v1/chat",
        headers=alice.headers,
        json={
            "message": "this is my dog Rex",
            "conversation_id": body["conversation_id"],
            "attachments": upload_ids,
        },
    )
    assert second.json()["conversation_id"] == body["conversation_id"]
    assert "Added 3 photos of Rex" in second.json()["reply"]
    (rex,) = list_subjects(api.ctx.store, scope=alice.scope)
    assert len(rex.photos) == 3


def test_conversations_and_uploads_are_private(api: Api, alice):
    mine = api.client.post("/v1/chat", headers=alice.headers, json={"message": "hi"}).json()
    bob = alice.as_user("bob")
    stolen = api.client.post(
        "/v1/chat",
        headers=bob.headers,
        json={"message": "hi", "conversation_id": mine["conversation_id"]},
    )
    assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "conversation_not_found"
    upload = api.upload_ok(alice, 7)
    taken = api.client.post(
        "/v1/chat",
        headers=bob.headers,
        json={"message": "this is my cat Tom", "attachments": [upload]},
    )
    assert "not found" in taken.json()["reply"].lower()
    assert list_subjects(api.ctx.store, scope=bob.scope) == []
    other_tenant = api.caller("globex", "alice")
    assert (
        api.client.post(
            "/v1/chat",
            headers=other_tenant.headers,
            json={"message": "hi", "conversation_id": mine["conversation_id"]},
        ).status_code
        == 404
    )


def test_bad_chat_input(api: Api, alice):
    assert (
        api.client.post("/v1/chat", headers=alice.headers, json={"message": ""}).json()["error"][
            "code"
        ]
        == "empty_message"
    )
    too_long = api.client.post("/v1/chat", headers=alice.headers, json={"message": "x" * 5000})
    assert too_long.status_code == 422
    assert api.client.post("/v1/chat", json={"message": "hi"}).status_code == 401
    bad_id = api.client.post(
        "/v1/chat", headers=alice.headers, json={"message": "hi", "conversation_id": "nope"}
    )
    assert bad_id.status_code == 404
    assert bad_id.json()["error"]["code"] == "conversation_not_found"


def test_the_official_openai_client(server: str, api: Api, alice):
    client = OpenAI(
        base_url=f"{server}/v1", api_key=alice.api_key, default_headers={"X-User-Id": alice.user_id}
    )
    messages = [{"role": "user", "content": "this is my dog Rex"}]
    answer = client.chat.completions.create(model="dreamchat", messages=messages)
    assert answer.choices[0].message.role == "assistant"
    assert "Rex the dog is set up" in answer.choices[0].message.content
    messages += [
        {"role": "assistant", "content": answer.choices[0].message.content},
        {"role": "user", "content": "what subjects do I have?"},
    ]
    streamed = client.chat.completions.create(model="dreamchat", messages=messages, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    assert "Rex (dog, new)" in text
    # both turns landed in one conversation on our side, derived from the chat's first message
    convs = {
        k
        for k in api.ctx.store.iter_keys(alice.scope)
        if ":conv:" in k and not k.endswith(":messages")
    }
    assert len(convs) == 1
    with pytest.raises(Exception) as err:
        OpenAI(base_url=f"{server}/v1", api_key="dck_wrong").chat.completions.create(
            model="dreamchat", messages=messages
        )
    assert "401" in str(err.value) or "invalid" in str(err.value).lower()


def test_openai_models_usage_and_max_tokens(server: str, api: Api, alice):
    """What chat UIs rely on, through the official client: the model list, ``usage``, the
    streamed usage chunk, and ``max_tokens`` cutting the reply with ``finish_reason: length``."""
    client = OpenAI(
        base_url=f"{server}/v1", api_key=alice.api_key, default_headers={"X-User-Id": alice.user_id}
    )
    assert [m.id for m in client.models.list()] == ["dreamchat"]
    messages = [{"role": "user", "content": "what can you do?"}]
    full = client.chat.completions.create(model="dreamchat", messages=messages)
    reply = full.choices[0].message.content
    assert full.choices[0].finish_reason == "stop"
    assert full.usage.prompt_tokens == count_tokens("what can you do?") == 5
    assert full.usage.completion_tokens == count_tokens(reply) > 10
    assert full.usage.total_tokens == full.usage.prompt_tokens + full.usage.completion_tokens

    cut = client.chat.completions.create(model="dreamchat", messages=messages, max_tokens=4)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 4
    assert reply.startswith(cut.choices[0].message.content)
    assert len(cut.choices[0].message.content) < len(reply)

    chunks = list(
        client.chat.completions.create(
            model="dreamchat",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            max_completion_tokens=6,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert count_tokens(text) == 6 and reply.startswith(text)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    last = chunks[-1]
    assert last.choices == [] and last.usage.completion_tokens == 6
    assert all(c.usage is None for c in chunks[:-1])
    plain = list(client.chat.completions.create(model="dreamchat", messages=messages, stream=True))
    assert all(c.usage is None for c in plain) and plain[-1].choices


def test_event_stream_delivers_chat_replies(server: str, api: Api, alice):
    token = api.client.post(
        "/v1/user-tokens", headers=alice.admin, json={"user_id": alice.user_id}
    ).json()["token"]
    refused = httpx.get(f"{server}/v1/events", params={"token": alice.api_key}, timeout=5)
    assert refused.status_code == 401
    events: list[dict] = []

    def listen() -> None:
        with httpx.stream(
            "GET", f"{server}/v1/events", params={"token": token}, timeout=20
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    time.sleep(0.5)
    httpx.post(
        f"{server}/v1/chat",
        headers={"Authorization": f"Bearer {token}"},
        json={"message": "hello"},
        timeout=10,
    )
    thread.join(15)
    assert events and events[0]["type"] == "chat.reply" and events[0]["reply"].startswith("Hi!")


def sse_events(lines: Iterator[str], until: int | None = None) -> list[dict]:
    """Server-sent events as ``{"id", "event", "data"}`` dicts, comments skipped; stops after
    ``until`` events or when the stream ends."""
    events: list[dict] = []
    fields: dict = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            if name:
                fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            events.append({**fields, "data": json.loads(fields["data"])})
            if until is not None and len(events) == until:
                break
        fields = {}
    return events


def test_a_reconnecting_client_gets_exactly_the_events_it_missed(make_api):
    api = make_api(event_stream_seconds=1.5, event_ping_seconds=0.3)
    alice = api.caller()
    scope = alice.scope

    def send(n: int) -> None:
        publish(api.ctx, scope.tenant_id, scope.user_id, EventType.TRAINING_PROGRESS, {"n": n})

    publish(api.ctx, scope.tenant_id, "bob", EventType.TRAINING_PROGRESS, {"n": -1})
    send(0)  # before anyone listens: a fresh connection starts after it
    with serving(api) as url:
        token = httpx.post(
            f"{url}/v1/user-tokens", headers=alice.admin, json={"user_id": alice.user_id}
        ).json()["token"]
        stream = f"{url}/v1/events?token={token}"
        with httpx.stream("GET", stream, timeout=10) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            assert next(lines).startswith(":")  # connected: the cursor is set
            send(1)
            send(2)
            first = sse_events(lines, until=2)
        assert [e["data"]["n"] for e in first] == [1, 2]
        assert all(e["event"] == "training.progress" for e in first)
        assert first[0]["id"] < first[1]["id"]  # Redis stream ids: "<ms>-<seq>"

        for n in (3, 4, 5):  # while the client is away
            send(n)
        resume = {"Last-Event-ID": first[-1]["id"]}
        with httpx.stream("GET", stream, headers=resume, timeout=10) as response:
            missed = sse_events(response.iter_lines())  # until the server ends the stream
        assert [e["data"]["n"] for e in missed] == [3, 4, 5]
        assert [e["id"] for e in missed] == sorted({e["id"] for e in missed})

        with httpx.stream("GET", stream, timeout=10) as response:
            assert sse_events(response.iter_lines()) == []  # no Last-Event-ID: nothing old
        with httpx.stream("GET", stream, headers={"Last-Event-ID": "0"}, timeout=10) as response:
            assert [e["data"]["n"] for e in sse_events(response.iter_lines())] == list(range(6))
        bad = httpx.get(stream, headers={"Last-Event-ID": "latest"}, timeout=10)
        assert bad.status_code == 422 and "Last-Event-ID" in bad.json()["error"]["message"]


def test_event_streams_end_cleanly_when_the_server_drains(make_api):
    """What SIGTERM does to open streams (plugin/drain.py; tests/plugin/test_drain.py sends a
    real signal to a real process): each ends at once as a finished response, its last line
    says to reconnect, and a stream opened while draining ends as soon as it starts."""
    api = make_api(event_ping_seconds=60)  # a read blocks for a minute: only draining ends it
    alice = api.caller()
    app = create_app(api.ctx)
    with uvicorn_thread(app, lifespan="on") as url:
        with httpx.stream("GET", f"{url}/v1/events", headers=alice.headers, timeout=10) as open_:
            lines = open_.iter_lines()
            assert next(lines) == ": connected"
            began = time.monotonic()
            app.state.api.drain.begin()
            rest = list(lines)  # httpx raises on a response cut off mid-body
            ended = time.monotonic() - began
        assert ": shutting down: reconnect with Last-Event-ID" in rest, rest
        assert ended < 2, f"the stream took {ended:.1f} s to end"
        with httpx.stream("GET", f"{url}/v1/events", headers=alice.headers, timeout=10) as late:
            comments = [line for line in late.iter_lines() if line.startswith(":")]
        assert comments == [": connected", ": shutting down: reconnect with Last-Event-ID"]


def test_widget_script_demo_page_and_mcp_mount(api: Api, alice, server: str, make_api):
    script = api.client.get("/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "/v1/chat" in script.text and "EventSource" in script.text
    page = api.client.get("/")
    assert page.status_code == 200 and "dreamchat run" in page.text  # no dev tenant here
    (api.ctx.settings.data_dir).mkdir(parents=True, exist_ok=True)
    (api.ctx.settings.data_dir / "dev-tenant.json").write_text(
        json.dumps({"tenant_id": alice.tenant_id, "api_key": alice.api_key})
    )
    assert "dcu_" not in api.client.get("/").text  # `serve`: never a demo, even with the file
    demo_api = make_api(demo_page=True)  # what `dreamchat run` sets
    demo = demo_api.client.get("/")
    assert '<script src="/widget.js" data-token="dcu_' in demo.text
    mcp = httpx.post(
        f"{server}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert mcp.status_code in (401, 422)  # the tools are there, but not for anonymous callers


class _GatedModel(ChatOfflineIntents):
    """The offline model, but each turn waits at the model call until the test lets it go."""

    entered: Any = None
    go_on: Any = None

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
        self.entered.set()
        assert self.go_on.wait(10), "the test never let the turn finish"
        return super()._generate(messages, stop, run_manager, **kwargs)


def _gate_turns(api: Api) -> tuple[threading.Event, threading.Event]:
    entered, go_on = threading.Event(), threading.Event()
    api.app.state.api.assistant = Assistant(
        api.ctx, model=_GatedModel(entered=entered, go_on=go_on)
    )
    return entered, go_on


def test_one_turn_at_a_time_per_conversation(api: Api, alice):
    conversation = api.client.post(
        "/v1/chat", headers=alice.headers, json={"message": "hi"}
    ).json()["conversation_id"]
    entered, go_on = _gate_turns(api)
    turn = {"message": "what can you do?", "conversation_id": conversation}
    answers: list[httpx.Response] = []
    first = threading.Thread(
        target=lambda: answers.append(api.client.post("/v1/chat", headers=alice.headers, json=turn))
    )
    first.start()
    try:
        assert entered.wait(10)  # the first turn is inside the model, holding the conversation
        busy = api.client.post("/v1/chat", headers=alice.headers, json=turn)
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "conversation_busy"
    finally:
        go_on.set()
        first.join(10)
    assert answers[0].status_code == 200, answers[0].text
    again = api.client.post("/v1/chat", headers=alice.headers, json=turn)
    assert again.status_code == 200  # released after the turn
    history = api.ctx.store.load_conversation(alice.scope, conversation)
    assert history is not None and len([m for m in history[1] if m["type"] == "human"]) == 3


def test_a_turn_that_outlives_its_lock_still_answers(api: Api, alice, monkeypatch):
    conversation = api.client.post(
        "/v1/chat", headers=alice.headers, json={"message": "hi"}
    ).json()["conversation_id"]
    monkeypatch.setattr(assistant_module, "TURN_LOCK_SECONDS", 0.2)
    entered, go_on = _gate_turns(api)
    threading.Timer(0.5, go_on.set).start()  # the lock has expired when the turn ends
    turn = {"message": "what can you do?", "conversation_id": conversation}
    answer = api.client.post("/v1/chat", headers=alice.headers, json=turn)
    assert entered.is_set() and answer.status_code == 200, answer.text
    lock = api.ctx.store.conversation_lock(alice.scope, conversation, ttl_seconds=30)
    assert lock.acquire()  # nothing left behind
    lock.release()
