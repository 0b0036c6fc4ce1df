"""``/v1/widget/settings``: the tenant changes them with its API key; its widgets read them with
a user token (or the key); nobody reads or changes another tenant's. The embed script and the
demo page's token endpoint are served beside them."""

from __future__ import annotations

import json

from .test_auth import mint

SETTINGS = "/v1/widget/settings"
UNSET = {
    "primary_color": None,
    "position": None,
    "launcher_icon": None,
    "title": None,
    "assistant_name": None,
    "avatar_url": None,
    "welcome_message": None,
    "suggested_prompts": [],
    "language": None,
    "updated_at": None,
}


def test_the_tenant_sets_what_its_widgets_read(api, alice):
    assert api.client.get(SETTINGS, headers=alice.admin).json() == UNSET

    changes = {
        "primary_color": "#0B6E4F",
        "position": "left",
        "launcher_icon": "camera",
        "title": "Pet portraits",
        "assistant_name": "Nova",
        "avatar_url": "https://shop.example.com/nova.png",
        "welcome_message": "Hi! Send me three photos of your pet.",
        "suggested_prompts": ["Rex on the beach", "Rex in Paris"],
        "language": "de",
    }
    changed = api.client.patch(SETTINGS, headers=alice.admin, json=changes)
    assert changed.status_code == 200, changed.text
    stored = changed.json()
    assert stored["primary_color"] == "#0b6e4f" and stored["updated_at"]
    assert {k: stored[k] for k in changes} == changes | {"primary_color": "#0b6e4f"}

    token = {"Authorization": f"Bearer {mint(api, alice)['token']}"}
    for headers in (token, alice.headers, alice.admin):
        read = api.client.get(SETTINGS, headers=headers)
        assert read.status_code == 200 and read.json() == stored

    # A field left out stays; null resets one.
    again = api.client.patch(SETTINGS, headers=alice.admin, json={"language": None}).json()
    assert again["language"] is None and again["title"] == "Pet portraits"


def test_only_the_api_key_changes_them(api, alice):
    token = {"Authorization": f"Bearer {mint(api, alice)['token']}"}
    refused = api.client.patch(SETTINGS, headers=token, json={"title": "Mine"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "api_key_required"
    assert api.client.get(SETTINGS, headers=alice.admin).json()["title"] is None
    assert api.client.get(SETTINGS).status_code == 401


def test_each_tenant_has_its_own(api, alice):
    globex = api.caller("globex", "alice")
    api.client.patch(SETTINGS, headers=alice.admin, json={"title": "Acme"})
    api.client.patch(SETTINGS, headers=globex.admin, json={"title": "Globex"})
    for caller, title in ((alice, "Acme"), (globex, "Globex")):
        token = {"Authorization": f"Bearer {mint(api, caller)['token']}"}
        assert api.client.get(SETTINGS, headers=token).json()["title"] == title


def test_refusals_name_every_field_and_change_nothing(api, alice):
    response = api.client.patch(
        SETTINGS,
        headers=alice.admin,
        json={"primary_color": "#ffdd55", "suggested_prompts": ["a", "b", "c", "d", "e"]},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_widget_settings"
    fields = {e["field"]: e for e in error["details"]["errors"]}
    assert set(fields) == {"primary_color", "suggested_prompts"}
    assert fields["primary_color"]["suggestion"].startswith("#")
    assert "contrast" in error["message"]
    assert api.client.get(SETTINGS, headers=alice.admin).json() == UNSET

    typo = api.client.patch(SETTINGS, headers=alice.admin, json={"colour": "#000000"})
    assert typo.status_code == 422


def test_the_schema_states_the_rules(api):
    schema = api.client.get("/openapi.json").json()
    update = schema["components"]["schemas"]["WidgetSettingsUpdate"]["properties"]
    assert update["language"]["anyOf"][0]["enum"] == ["en", "de", "fr", "es"]
    assert update["suggested_prompts"]["anyOf"][0]["maxItems"] == 4
    assert set(schema["paths"][SETTINGS]) == {"get", "patch"}


def test_the_demo_pages_token_endpoint(api, alice, make_api):
    """What a platform's ``data-token-url`` endpoint does, for the demo page's user; only
    where ``dreamchat run`` serves the demo."""
    assert api.client.get("/demo/token").status_code == 404
    api.ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    (api.ctx.settings.data_dir / "dev-tenant.json").write_text(
        json.dumps({"tenant_id": alice.tenant_id, "api_key": alice.api_key})
    )
    assert api.client.get("/demo/token").status_code == 404  # `serve`: never a demo
    demo = make_api(demo_page=True)
    assert 'data-token-url="/demo/token"' in demo.client.get("/").text
    fresh = demo.client.get("/demo/token")
    assert fresh.status_code == 200 and fresh.json()["expires_at"]
    token = {"Authorization": f"Bearer {fresh.json()['token']}"}
    assert demo.client.get("/v1/subjects", headers=token).status_code == 200
    assert demo.client.get(SETTINGS, headers=token).status_code == 200


def test_the_demo_page_offers_sample_photos(api, alice, make_api):
    """A visitor without photos walks the flow with a held-out ToyWorld subject's; the photos
    pass the same upload checks as anyone's. Only on the demo page."""
    assert api.client.get("/demo/sample-photos/0.png").status_code == 404
    demo = make_api(demo_page=True)
    demo.ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    (demo.ctx.settings.data_dir / "dev-tenant.json").write_text(
        json.dumps({"tenant_id": alice.tenant_id, "api_key": alice.api_key})
    )
    assert 'id="samples"' in demo.client.get("/").text
    photos = [demo.client.get(f"/demo/sample-photos/{i}.png") for i in range(5)]
    assert all(p.status_code == 200 and p.content.startswith(b"\x89PNG") for p in photos)
    assert demo.client.get("/demo/sample-photos/5.png").status_code == 404
    upload = demo.client.post(
        "/v1/uploads",
        headers=alice.headers,
        files={"file": ("pinkdog-0.png", photos[0].content, "image/png")},
    )
    assert upload.status_code == 201, upload.text
    assert all(check["ok"] for check in upload.json()["checks"])
