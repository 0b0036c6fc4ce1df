"""Webhook endpoint management over HTTP (delivery itself is the worker's, tested there)."""

from __future__ import annotations

from core.domain import Delivery, EventType


def test_create_list_deliveries_delete(make_api):
    api = make_api(webhook_allow_hosts=["127.0.0.1"])
    acme = api.caller()
    created = api.client.post(
        "/v1/webhooks",
        headers=acme.admin,
        json={"url": "http://127.0.0.1:9/hook", "events": ["training.succeeded"]},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["training.succeeded"]
    assert hook["enabled"] is True

    listed = api.client.get("/v1/webhooks", headers=acme.admin).json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    api.ctx.store.record_delivery(
        acme.tenant_id,
        Delivery(
            message_id="msg_x",
            endpoint_id=hook["id"],
            event_type=EventType.TRAINING_SUCCEEDED,
            attempt=1,
            status_code=500,
            error="HTTP 500",
        ),
    )
    deliveries = api.client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=acme.admin)
    assert deliveries.status_code == 200
    (delivery,) = deliveries.json()["data"]
    assert delivery["status_code"] == 500 and delivery["succeeded"] is False

    deleted = api.client.delete(f"/v1/webhooks/{hook['id']}", headers=acme.admin)
    assert deleted.json() == {"id": hook["id"], "deleted": True}
    assert api.client.get("/v1/webhooks", headers=acme.admin).json() == {"data": []}
    again = api.client.delete(f"/v1/webhooks/{hook['id']}", headers=acme.admin)
    assert again.status_code == 404


def test_bad_webhooks_are_refused(api):
    acme = api.caller()
    cases = [
        ({"url": "http://127.0.0.1:9/hook"}, "webhook_url_forbidden"),
        ({"url": "ftp://example.com/x"}, "webhook_url_invalid"),
        ({"url": "https://example.com/x", "events": ["training.done"]}, "invalid_request"),
        ({"events": []}, "invalid_request"),
    ]
    for body, code in cases:
        response = api.client.post("/v1/webhooks", headers=acme.admin, json=body)
        assert response.status_code == 422, (body, response.text)
        if code:
            assert response.json()["error"]["code"] == code, response.json()
    assert api.client.get("/v1/webhooks", headers=acme.admin).json() == {"data": []}
    assert api.client.delete("/v1/webhooks/nope", headers=acme.admin).status_code == 404
