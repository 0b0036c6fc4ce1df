"""Subjects: create, list, get, rename, delete, attach photos, train (with Idempotency-Key)."""

from __future__ import annotations

import pytest
from rq import Queue

from plugin.deps import Idempotency


def test_create_list_get_rename(api, alice):
    rex = api.subject(alice, "Rex", "Dog")
    assert rex == rex | {"name": "Rex", "class_noun": "dog", "status": "new", "photos": []}
    assert rex["token"] and rex["id"].startswith("sub_")
    mug = api.subject(alice, "Mug", "coffee mug")
    assert mug["token"] != rex["token"]

    listed = api.client.get("/v1/subjects", headers=alice.headers).json()["data"]
    assert [s["id"] for s in listed] == [rex["id"], mug["id"]]
    got = api.client.get(f"/v1/subjects/{rex['id']}", headers=alice.headers)
    assert got.json() == rex

    renamed = api.client.patch(
        f"/v1/subjects/{rex['id']}", headers=alice.headers, json={"name": "Rex II"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Rex II"
    clash = api.client.patch(
        f"/v1/subjects/{mug['id']}", headers=alice.headers, json={"name": "rex ii"}
    )
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "subject_name_taken"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "Rex"}, "invalid_request"),
        ({"name": "", "class_noun": "dog"}, "invalid_request"),
        ({"name": "Rex", "class_noun": "d0g!"}, "invalid_class_noun"),
        ({"name": "Rex", "class_noun": "dog", "extra": 1}, "invalid_request"),
        ({"name": "   ", "class_noun": "dog"}, "invalid_subject_name"),
    ],
)
def test_invalid_subjects_are_refused(api, alice, body, code):
    response = api.client.post("/v1/subjects", headers=alice.headers, json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert api.client.get("/v1/subjects", headers=alice.headers).json()["data"] == []


def test_malformed_json_is_a_422(api, alice):
    response = api.client.post(
        "/v1/subjects",
        headers=alice.headers | {"Content-Type": "application/json"},
        content=b'{"name": "Rex",',
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_unknown_subject(api, alice):
    """A malformed id is an unknown one: 404, as the schema's 404 and its id pattern say."""
    for subject_id in ("sub_" + "b" * 24, "not-an-id", "sub_" + "b" * 26):
        for method in ("GET", "DELETE"):
            response = api.client.request(
                method, f"/v1/subjects/{subject_id}", headers=alice.headers
            )
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "subject_not_found"


def test_allow_lists_every_method_of_the_path(api, alice):
    options = api.client.options("/v1/subjects", headers=alice.headers)
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, OPTIONS, POST"
    put = api.client.put("/v1/subjects/sub_" + "b" * 24, headers=alice.headers)
    assert put.status_code == 405 and put.json()["error"]["code"] == "method_not_allowed"
    assert put.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    preflight = api.client.options(
        "/v1/subjects",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert (
        preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
    )


def test_thirty_photos_on_one_subject(api, alice):
    subject = api.subject(alice)
    uploads = [api.upload_ok(alice, 100 + i) for i in range(30)]
    path = f"/v1/subjects/{subject['id']}/photos"

    too_many = api.client.post(path, headers=alice.headers, json={"upload_ids": uploads})
    assert too_many.status_code == 422
    error = too_many.json()["error"]
    assert error["code"] == "too_many_photos" and error["details"]["limit"] == 25
    assert (
        api.client.get(f"/v1/subjects/{subject['id']}", headers=alice.headers).json()["photos"]
        == []
    )
    assert len(api.blob_keys()) == 30  # the uploads are untouched

    attached = api.client.post(path, headers=alice.headers, json={"upload_ids": uploads[:25]})
    assert attached.status_code == 200
    assert [p["id"] for p in attached.json()["photos"]] == uploads[:25]
    again = api.client.post(path, headers=alice.headers, json={"upload_ids": uploads[:2]})
    assert again.status_code == 200  # attaching twice is harmless
    more = api.client.post(path, headers=alice.headers, json={"upload_ids": uploads[25:]})
    assert more.status_code == 422 and more.json()["error"]["code"] == "too_many_photos"


def test_attach_unknown_or_malformed_uploads(api, alice):
    subject = api.subject(alice)
    path = f"/v1/subjects/{subject['id']}/photos"
    missing = api.client.post(path, headers=alice.headers, json={"upload_ids": ["upl_" + "c" * 24]})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "upload_not_found"
    malformed = api.client.post(path, headers=alice.headers, json={"upload_ids": ["x"]})
    assert malformed.status_code == 404 and malformed.json()["error"]["code"] == "upload_not_found"
    empty = api.client.post(path, headers=alice.headers, json={"upload_ids": []})
    assert empty.status_code == 422


def trainable(api, caller, name="Rex", seed=200):
    subject = api.subject(caller, name)
    uploads = [api.upload_ok(caller, seed + i) for i in range(3)]
    response = api.client.post(
        f"/v1/subjects/{subject['id']}/photos", headers=caller.headers, json={"upload_ids": uploads}
    )
    assert response.status_code == 200
    return subject


def test_train_queues_a_job(api, alice):
    subject = trainable(api, alice)
    response = api.client.post(
        f"/v1/subjects/{subject['id']}/train", headers=alice.headers, json={"steps": 30}
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job == {"job_id": job["job_id"], "subject_id": subject["id"], "status": "queued"}
    assert (
        job["job_id"] in Queue(api.ctx.store.queue_name("train"), connection=api.ctx.redis).job_ids
    )

    status = api.client.get(f"/v1/jobs/{job['job_id']}", headers=alice.headers).json()
    assert status["kind"] == "training" and status["status"] == "queued"
    assert status["queue_position"] == 1 and status["total_steps"] == 30
    busy = api.client.post(f"/v1/subjects/{subject['id']}/train", headers=alice.headers)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "training_in_progress"

    cancelled = api.client.post(f"/v1/jobs/{job['job_id']}/cancel", headers=alice.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    subject_now = api.client.get(f"/v1/subjects/{subject['id']}", headers=alice.headers).json()
    assert subject_now["status"] == "new" and subject_now["training_job_id"] == job["job_id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"steps": 10**6}, "invalid_training_options"),
        ({"steps": 0}, "invalid_training_options"),
        ({"rank": 64}, "invalid_request"),
        ({"learning_rate": 1.0}, "invalid_training_options"),
    ],
)
def test_train_overrides_are_checked(api, alice, body, code):
    subject = trainable(api, alice)
    response = api.client.post(
        f"/v1/subjects/{subject['id']}/train", headers=alice.headers, json=body
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == code


def test_training_needs_enough_photos(api, alice):
    subject = api.subject(alice)
    response = api.client.post(f"/v1/subjects/{subject['id']}/train", headers=alice.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_enough_photos"


def test_idempotency_key_replays_the_first_answer(api, alice):
    subject = trainable(api, alice)
    path = f"/v1/subjects/{subject['id']}/train"
    headers = alice.headers | {"Idempotency-Key": "train-rex-1"}
    first = api.client.post(path, headers=headers, json={"steps": 20})
    again = api.client.post(path, headers=headers, json={"steps": 20})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    runs = api.ctx.store.list_training_runs(alice.scope, subject["id"])
    assert [r.id for r in runs] == [first.json()["job_id"]]

    other_body = api.client.post(path, headers=headers, json={"steps": 21})
    assert other_body.status_code == 422
    assert other_body.json()["error"]["code"] == "idempotency_key_reused"
    # Keys belong to their user: bob's same key is a different request.
    bobs = trainable(api, alice.as_user("bob"), seed=300)
    bob = api.client.post(
        f"/v1/subjects/{bobs['id']}/train",
        headers=alice.as_user("bob").headers | {"Idempotency-Key": "train-rex-1"},
    )
    assert bob.status_code == 202


def test_idempotency_key_in_flight_is_a_409(api, alice):
    subject = trainable(api, alice)
    request = {"subject_id": subject["id"], "overrides": {}}
    api.ctx.store.claim_idempotency_key(
        alice.scope,
        operation="subject.train",
        key="k-1",
        fingerprint=Idempotency.fingerprint(request),
        ttl_seconds=60,
    )
    response = api.client.post(
        f"/v1/subjects/{subject['id']}/train", headers=alice.headers | {"Idempotency-Key": "k-1"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"


def test_a_failed_request_does_not_use_up_its_key(api, alice):
    subject = api.subject(alice)
    path = f"/v1/subjects/{subject['id']}/train"
    headers = alice.headers | {"Idempotency-Key": "k-2"}
    assert api.client.post(path, headers=headers).status_code == 409  # no photos yet
    uploads = [api.upload_ok(alice, 400 + i) for i in range(3)]
    api.client.post(
        f"/v1/subjects/{subject['id']}/photos", headers=alice.headers, json={"upload_ids": uploads}
    )
    assert api.client.post(path, headers=headers).status_code == 202


def test_delete_removes_everything_and_tells_the_webhooks(make_api):
    api = make_api(webhook_allow_hosts=["127.0.0.1"])
    alice = api.caller()
    hook = api.client.post(
        "/v1/webhooks",
        headers=alice.admin,
        json={"url": "http://127.0.0.1:9/hook", "events": ["subject.deleted"]},
    )
    assert hook.status_code == 201
    subject = trainable(api, alice)
    job = api.client.post(f"/v1/subjects/{subject['id']}/train", headers=alice.headers).json()

    deleted = api.client.delete(f"/v1/subjects/{subject['id']}", headers=alice.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {
        "id": subject["id"],
        "deleted": True,
        "training_ids": [job["job_id"]],
        "generation_ids": [],
    }
    assert api.client.get(f"/v1/subjects/{subject['id']}", headers=alice.headers).status_code == 404
    assert not [k for k in api.blob_keys() if "/subjects/" in k]
    queued = Queue(api.ctx.store.queue_name("webhooks"), connection=api.ctx.redis).jobs
    assert any("subject.deleted" in (j.description or "") for j in queued)
