"""Who may call: API keys with X-User-Id, user tokens for browsers, origins per tenant."""

from __future__ import annotations

import pytest

PROTECTED = [
    ("GET", "/v1/subjects"),
    ("POST", "/v1/subjects"),
    ("GET", "/v1/subjects/sub_aaaaaaaaaaaaaaaaaaaaaaaa"),
    ("GET", "/v1/jobs/trn_aaaaaaaaaaaaaaaaaaaaaaaa"),
    ("POST", "/v1/generations"),
    ("POST", "/v1/uploads"),
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/user-tokens"),
    ("GET", "/v1/widget/settings"),
    ("PATCH", "/v1/widget/settings"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer dck_nope.nope", "Bearer dcu_garbage", "Basic YWxhZGRpbjpvcGVu"],
)
def test_missing_or_wrong_credentials_are_401_with_the_error_shape(
    api, alice, method, path, authorization
):
    headers = {"X-User-Id": "alice"}
    if authorization:
        headers["Authorization"] = authorization
    response = api.client.request(method, path, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] in ("missing_credentials", "invalid_api_key", "invalid_user_token")
    assert set(error) == {"code", "message", "details"}


def test_a_wrong_secret_for_a_real_tenant_is_401(api, alice):
    tenant_part = alice.api_key.rsplit(".", 1)[0]
    headers = {"Authorization": f"Bearer {tenant_part}.wrong", "X-User-Id": "alice"}
    response = api.client.get("/v1/subjects", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"


def test_user_routes_need_a_user(api, alice):
    response = api.client.get("/v1/subjects", headers=alice.admin)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "missing_user_id"
    bad = api.client.get("/v1/subjects", headers=alice.admin | {"X-User-Id": "a/b"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_user_id"


def mint(api, caller, user_id="alice", **body):
    response = api.client.post(
        "/v1/user-tokens", headers=caller.admin, json={"user_id": user_id, **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_user_token_acts_for_its_user_only(api, alice):
    minted = mint(api, alice)
    assert minted["token"].startswith("dcu_") and minted["user_id"] == "alice"
    token = {"Authorization": f"Bearer {minted['token']}"}

    created = api.client.post(
        "/v1/subjects", headers=token, json={"name": "Rex", "class_noun": "dog"}
    )
    assert created.status_code == 201
    mine = api.client.get("/v1/subjects", headers=alice.headers).json()["data"]
    assert [s["id"] for s in mine] == [created.json()["id"]]
    assert api.client.get("/v1/subjects", headers=alice.as_user("bob").headers).json() == {
        "data": []
    }
    spoof = api.client.get("/v1/subjects", headers=token | {"X-User-Id": "bob"})
    assert spoof.status_code == 401 and spoof.json()["error"]["code"] == "user_mismatch"
    same = api.client.get("/v1/subjects", headers=token | {"X-User-Id": "alice"})
    assert same.status_code == 200


def test_a_user_token_can_not_manage_the_tenant(api, alice):
    token = {"Authorization": f"Bearer {mint(api, alice)['token']}"}
    admin_routes = (
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/user-tokens"),
        ("PATCH", "/v1/widget/settings"),
    )
    for method, path in admin_routes:
        response = api.client.request(method, path, headers=token, json={"user_id": "mallory"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "api_key_required"


def test_user_tokens_expire(api, alice):
    minted = mint(api, alice, ttl_seconds=60)
    token = {"Authorization": f"Bearer {minted['token']}"}
    assert api.client.get("/v1/subjects", headers=token).status_code == 200
    api.clock.advance(61)
    response = api.client.get("/v1/subjects", headers=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_token_expired"


def test_a_tampered_or_foreign_token_is_refused(api, alice):
    token = mint(api, alice)["token"]
    payload, mac = token.split(".")
    other = api.caller("globex", "alice")
    forged = [
        payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac,
        payload + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"),
        mint(api, other)["token"].split(".")[0] + "." + mac,  # another tenant's claims
    ]
    for bad in forged:
        response = api.client.get("/v1/subjects", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] == "invalid_user_token"


def test_token_lifetimes_are_bounded(api, alice):
    too_long = api.client.post(
        "/v1/user-tokens", headers=alice.admin, json={"user_id": "alice", "ttl_seconds": 90_000}
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "invalid_ttl"
    too_short = api.client.post(
        "/v1/user-tokens", headers=alice.admin, json={"user_id": "alice", "ttl_seconds": 5}
    )
    assert too_short.status_code == 422
    bad_user = api.client.post("/v1/user-tokens", headers=alice.admin, json={"user_id": "a:b"})
    assert bad_user.status_code == 422


def test_tokens_survive_a_restart_but_not_another_secret(make_api, alice, api):
    token = {"Authorization": f"Bearer {mint(api, alice)['token']}"}
    assert make_api().client.get("/v1/subjects", headers=token).status_code == 200
    rotated = make_api(secret_key="another-secret-" + "y" * 40)
    assert rotated.client.get("/v1/subjects", headers=token).status_code == 401


def test_browser_origins_are_checked_per_tenant(make_api):
    api = make_api(cors_origins=["https://shop.example.com"])
    alice = api.caller()
    allowed = api.client.get(
        "/v1/subjects", headers=alice.headers | {"Origin": "https://shop.example.com"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "*"
    refused = api.client.get(
        "/v1/subjects", headers=alice.headers | {"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    same_origin = api.client.get(
        "/v1/subjects", headers=alice.headers | {"Origin": "http://testserver"}
    )
    assert same_origin.status_code == 200
    server_to_server = api.client.get("/v1/subjects", headers=alice.headers)
    assert server_to_server.status_code == 200


def test_cors_preflight_is_answered_without_credentials(api):
    response = api.client.options(
        "/v1/subjects",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert response.status_code == 200
    assert "idempotency-key" in response.headers["access-control-allow-headers"].lower()


def test_a_tenants_own_origin_list_replaces_the_deployment_default(make_api):
    from core.tenants import set_allowed_origins

    api = make_api(cors_origins=["https://shop.example.com"])
    alice = api.caller()
    set_allowed_origins(
        api.ctx.store, tenant_id=alice.tenant_id, origins=["https://pets.example.org"]
    )
    own = api.client.get(
        "/v1/subjects", headers=alice.headers | {"Origin": "https://pets.example.org"}
    )
    assert own.status_code == 200
    default = api.client.get(
        "/v1/subjects", headers=alice.headers | {"Origin": "https://shop.example.com"}
    )
    assert default.status_code == 403 and default.json()["error"]["code"] == "origin_not_allowed"
