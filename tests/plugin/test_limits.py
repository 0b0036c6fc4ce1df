"""Every limit answers with the same code through every door: REST, chat, MCP and the
OpenAI-compatible endpoint all reach the same service function, and none of them carries a
bound of its own that could answer first with another code (or accept what the worker can't)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import Api, Caller

LIMITS = {
    "max_images_per_generation": 2,
    "max_training_steps": 40,
    "default_training_steps": 30,  # start-up refuses a default above the maximum
    "max_image_size": 768,
}


@pytest.fixture
def limited(make_api) -> Api:
    return make_api(**LIMITS)


@pytest.fixture
def client(limited: Api):
    with TestClient(limited.app) as client:  # runs the lifespan, which /mcp needs
        yield client


@pytest.fixture
def rex(limited: Api, client: TestClient) -> tuple[Caller, str]:
    caller = limited.caller()
    created = client.post(
        "/v1/subjects", headers=caller.headers, json={"name": "Rex", "class_noun": "dog"}
    )
    assert created.status_code == 201, created.text
    return caller, created.json()["id"]


def _rest_error(response: Any) -> tuple[int, str, dict[str, Any]]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"]


def _mcp_call(client: TestClient, caller: Caller, tool: str, arguments: dict) -> dict[str, Any]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    response = client.post(
        "/mcp",
        json=body,
        headers={**caller.headers, "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 200, response.text
    data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])["result"]["structuredContent"]


def _tool_errors(limited: Api, caller: Caller, conversation_id: str) -> list[dict[str, Any]]:
    """The tool results the assistant kept in the conversation, as the model read them."""
    history = limited.app.state.api.assistant.history(
        scope=caller.scope, conversation_id=conversation_id
    )
    results = [json.loads(m.content) for m in history if m.type == "tool"]
    return [r["error"] for r in results if "error" in r]


def test_too_many_images_is_invalid_generation_at_every_door(
    limited: Api, client: TestClient, rex: tuple[Caller, str]
) -> None:
    caller, subject_id = rex
    expected = {"field": "count", "min": 1, "max": 2}

    rest = client.post(
        "/v1/generations",
        headers=caller.headers,
        json={"subject_ids": [subject_id], "prompt": "a photo of Rex", "count": 3},
    )
    assert _rest_error(rest) == (422, "invalid_generation", expected)

    mcp = _mcp_call(client, caller, "generate_images", {"request": "Rex on a beach", "count": 3})
    assert mcp["ok"] is False
    assert mcp["error"] == {"code": "invalid_generation", "details": expected}

    chat = client.post(
        "/v1/chat", headers=caller.headers, json={"message": "show me 3 pictures of Rex"}
    )
    assert chat.status_code == 200, chat.text
    assert "count" in chat.json()["reply"]
    errors = _tool_errors(limited, caller, chat.json()["conversation_id"])
    assert errors == [{"code": "invalid_generation", "details": expected}]

    openai = client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={"messages": [{"role": "user", "content": "make 3 pictures of Rex at the beach"}]},
    )
    assert openai.status_code == 200, openai.text
    errors = _tool_errors(limited, caller, openai.headers["X-Conversation-Id"])
    assert errors == [{"code": "invalid_generation", "details": expected}]

    assert limited.ctx.queue("generate").count == 0  # nothing reached a worker


def test_image_size_over_the_setting_is_refused_not_failed_later(
    client: TestClient, rex: tuple[Caller, str]
) -> None:
    caller, subject_id = rex
    for side in (1024, 100, 0):
        rest = client.post(
            "/v1/generations",
            headers=caller.headers,
            json={"subject_ids": [subject_id], "prompt": "a photo of Rex", "width": side},
        )
        assert _rest_error(rest) == (
            422,
            "invalid_generation",
            {"field": "width", "min": 32, "max": 768},
        )


def test_an_untrained_subject_is_the_same_422_at_every_door(
    limited: Api, client: TestClient, rex: tuple[Caller, str]
) -> None:
    caller, subject_id = rex
    rest = client.post(
        "/v1/generations",
        headers=caller.headers,
        json={"subject_ids": [subject_id], "prompt": "a photo of Rex"},
    )
    status, code, _ = _rest_error(rest)
    assert (status, code) == (422, "subject_not_ready")
    mcp = _mcp_call(client, caller, "generate_images", {"request": "Rex on a beach"})
    assert mcp["ok"] is False and mcp["error"]["code"] == "subject_not_ready"
    assert 'Say "train Rex" first' in mcp["message"]


def test_training_steps_over_the_setting(
    limited: Api, client: TestClient, rex: tuple[Caller, str]
) -> None:
    caller, subject_id = rex
    for steps in (41, 0, "many"):
        rest = client.post(
            f"/v1/subjects/{subject_id}/train", headers=caller.headers, json={"steps": steps}
        )
        status, code, details = _rest_error(rest)
        if steps == "many":  # not a number at all: the request's shape, not a limit
            assert (status, code) == (422, "invalid_request")
            continue
        assert (status, code, details) == (
            422,
            "invalid_training_options",
            {"field": "steps", "min": 1, "max": 40},
        )


def test_too_many_photos_is_the_same_code_through_rest_and_chat(make_api) -> None:
    api = make_api(max_photos=3)
    caller = api.caller()
    uploads = [api.upload_ok(caller, seed) for seed in range(4)]
    subject = api.subject(caller, "Rex")

    rest = api.client.post(
        f"/v1/subjects/{subject['id']}/photos",
        headers=caller.headers,
        json={"upload_ids": uploads},
    )
    status, code, _ = _rest_error(rest)
    assert (status, code) == (422, "too_many_photos")

    chat = api.client.post(
        "/v1/chat",
        headers=caller.headers,
        json={"message": "here are photos of Rex", "attachments": uploads},
    )
    assert chat.status_code == 200, chat.text
    errors = _tool_errors(api, caller, chat.json()["conversation_id"])
    assert [e["code"] for e in errors] == ["too_many_photos"]
    assert api.ctx.store.get_subject(caller.scope, subject["id"]).photos == []


def test_the_openapi_document_states_this_servers_limits(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    generation = schemas["GenerationCreate"]["properties"]
    assert generation["count"]["maximum"] == 2
    width = next(b for b in generation["width"]["anyOf"] if b.get("type") == "integer")
    assert (width["minimum"], width["maximum"], width["multipleOf"]) == (32, 768, 8)
    steps = next(b for b in schemas["TrainRequest"]["properties"]["steps"]["anyOf"] if "type" in b)
    assert steps["maximum"] == 40
