"""Another user of the tenant, or a user of another tenant with the same user id, finds none of
alice's things: every route answers 404, exactly as for things that never existed."""

from __future__ import annotations

import pytest

from .test_generations import finished_generation, ready_subject
from .test_subjects import trainable


@pytest.fixture
def world(api):
    alice = api.caller("acme", "alice")
    subject = trainable(api, alice)
    upload = api.upload_ok(alice, 500)
    training = api.client.post(f"/v1/subjects/{subject['id']}/train", headers=alice.headers)
    ready = ready_subject(api, alice, "Ready")
    generation = api.client.post(
        "/v1/generations",
        headers=alice.headers,
        json={"subject_ids": [ready["id"]], "prompt": "a photo of sks dog"},
    ).json()
    finished_generation(api, alice, generation["id"])
    return {
        "alice": alice,
        "subject": subject["id"],
        "ready": ready["id"],
        "upload": upload,
        "training": training.json()["job_id"],
        "generation": generation["id"],
    }


def requests_for(w, own_subject):
    s, g, t = w["subject"], w["generation"], w["training"]
    return [
        ("GET", f"/v1/subjects/{s}", None),
        ("PATCH", f"/v1/subjects/{s}", {"name": "Mine now"}),
        ("DELETE", f"/v1/subjects/{s}", None),
        ("POST", f"/v1/subjects/{s}/photos", {"upload_ids": [w["upload"]]}),
        ("POST", f"/v1/subjects/{own_subject}/photos", {"upload_ids": [w["upload"]]}),
        ("POST", f"/v1/subjects/{s}/train", None),
        ("GET", f"/v1/generations/{g}", None),
        ("POST", "/v1/generations", {"subject_ids": [w["ready"]], "prompt": "a photo"}),
        ("GET", f"/v1/jobs/{t}", None),
        ("GET", f"/v1/jobs/{g}", None),
        ("POST", f"/v1/jobs/{t}/cancel", None),
        ("POST", f"/v1/jobs/{g}/cancel", None),
    ]


@pytest.mark.parametrize("who", ["same tenant, other user", "other tenant, same user id"])
def test_nothing_of_alice_is_visible_to_others(api, world, who):
    alice = world["alice"]
    intruder = alice.as_user("bob") if who.startswith("same") else api.caller("globex", "alice")
    own = api.subject(intruder, "Own")["id"]
    for method, path, body in requests_for(world, own):
        response = api.client.request(method, path, headers=intruder.headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"].endswith("_not_found"), path
    upload = api.upload(intruder, b"", subject_id=world["subject"])
    assert upload.status_code == 404
    assert api.client.get("/v1/subjects", headers=intruder.headers).json()["data"][0]["id"] == own

    # alice still has everything, untouched
    subject = api.client.get(f"/v1/subjects/{world['subject']}", headers=alice.headers).json()
    assert subject["name"] == "Rex" and subject["status"] == "training"
    assert len(subject["photos"]) == 3
    job = api.client.get(f"/v1/jobs/{world['training']}", headers=alice.headers).json()
    assert job["status"] == "queued"


def test_webhooks_belong_to_their_tenant(make_api):
    api = make_api(webhook_allow_hosts=["127.0.0.1"])
    acme, globex = api.caller("acme"), api.caller("globex")
    hook = api.client.post(
        "/v1/webhooks", headers=acme.admin, json={"url": "http://127.0.0.1:9/a"}
    ).json()
    assert api.client.get("/v1/webhooks", headers=globex.admin).json() == {"data": []}
    for method, path in (
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ):
        response = api.client.request(method, path, headers=globex.admin)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "webhook_not_found"
    assert len(api.client.get("/v1/webhooks", headers=acme.admin).json()["data"]) == 1
