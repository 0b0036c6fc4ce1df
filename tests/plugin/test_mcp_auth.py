"""``/mcp`` on the API checks its callers like every other route: an API key with X-User-Id or
a user token, the tenant's allowed origins, and the same per-user rate limit, whose budget
REST and MCP calls share."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from .conftest import Api

_ACCEPT = {"Accept": "application/json, text/event-stream"}


def _call(client: TestClient, headers: dict[str, str], tool: str = "list_subjects") -> Any:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {}},
    }
    return client.post("/mcp", json=body, headers={**_ACCEPT, **headers})


def _result(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])["result"]["structuredContent"]


def test_a_user_token_reaches_the_tools_as_its_user(api: Api) -> None:
    alice = api.caller()
    with TestClient(api.app) as client:
        client.post(
            "/v1/subjects", headers=alice.headers, json={"name": "Rex", "class_noun": "dog"}
        )
        minted = client.post("/v1/user-tokens", headers=alice.admin, json={"user_id": "alice"})
        token = {"Authorization": f"Bearer {minted.json()['token']}"}
        listed = _result(_call(client, token))
        assert [s["name"] for s in listed["subjects"]] == ["Rex"]

        other = _call(client, {**token, "X-User-Id": "bob"})
        assert other.status_code == 401
        assert other.json()["error"]["data"]["code"] == "user_mismatch"
        expired = _call(client, {"Authorization": "Bearer dcu_not-a-token"})
        assert expired.status_code == 401


def test_the_tenant_origins_apply(api: Api) -> None:
    alice = api.caller()
    with TestClient(api.app) as client:
        refused = _call(client, {**alice.headers, "Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert refused.json()["error"]["data"]["code"] == "origin_not_allowed"


def test_rest_and_mcp_share_one_rate_limit(make_api) -> None:
    api = make_api(rate_limit_user_per_minute=2)
    alice = api.caller()
    with TestClient(api.app) as client:
        assert client.get("/v1/subjects", headers=alice.headers).status_code == 200
        _result(_call(client, alice.headers))
        limited = _call(client, alice.headers)
        assert limited.status_code == 429
        assert limited.json()["error"]["data"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.get("/v1/subjects", headers=alice.headers).status_code == 429
        bob = alice.as_user("bob")  # a per-user limit: another user is not affected
        _result(_call(client, bob.headers))
