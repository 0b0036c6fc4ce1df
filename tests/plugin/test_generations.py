"""Generations, job status and signed image URLs (no worker: the test plays its part by
writing what a worker would write)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from core.blob_keys import image_key
from core.domain import JobStatus, SubjectStatus
from core.ids import IMAGE, new_id


@pytest.fixture
def api(request, make_api):
    """The API on a local blob store, or (``indirect`` parameter ``s3``) on a bucket of moto's
    S3 server: the signed image URLs must not care."""
    if getattr(request, "param", "local") == "s3":
        server = request.getfixturevalue("s3_server")
        return make_api(**server.settings(server.create_bucket()))
    return make_api()


BOTH_STORES = pytest.mark.parametrize("api", ["local", "s3"], indirect=True)


def ready_subject(api, caller, name="Rex"):
    """A subject as a finished training leaves it."""
    subject = api.subject(caller, name)

    def trained(s):
        s.status, s.adapter = SubjectStatus.READY, "somewhere/adapter"

    api.ctx.store.update_subject(caller.scope, subject["id"], trained)
    return subject


def finished_generation(api, caller, generation_id, count=1):
    """What the worker does: store PNGs and mark the generation succeeded."""
    image_ids = []
    for i in range(count):
        out = io.BytesIO()
        Image.new("RGB", (64, 64), (i * 50, 100, 200)).save(out, format="PNG")
        image_id = new_id(IMAGE)
        api.ctx.blobs.put(image_key(caller.scope, image_id), out.getvalue())
        image_ids.append(image_id)

    def done(g):
        g.status, g.images = JobStatus.SUCCEEDED, image_ids

    api.ctx.store.update_generation(caller.scope, generation_id, done)
    return image_ids


def generate(api, caller, subject_ids, **body):
    payload = {"subject_ids": subject_ids, "prompt": "a photo of sks dog in Paris", **body}
    return api.client.post("/v1/generations", headers=caller.headers, json=payload)


@BOTH_STORES
def test_generate_then_fetch_the_images(api, alice):
    subject = ready_subject(api, alice)
    response = generate(api, alice, [subject["id"]], seed=42, negative_prompt="blurry", count=2)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued == queued | {
        "status": "queued",
        "prompt": "a photo of sks dog in Paris",
        "negative_prompt": "blurry",
        "seed": 42,
        "subject_ids": [subject["id"]],
        "images": [],
        "count": 2,
    }
    assert (
        queued["id"]
        in Queue(api.ctx.store.queue_name("generate"), connection=api.ctx.redis).job_ids
    )
    job = api.client.get(f"/v1/jobs/{queued['id']}", headers=alice.headers).json()
    assert job["kind"] == "generation" and job["status"] == "queued"
    assert job["queue_position"] == 1

    image_ids = finished_generation(api, alice, queued["id"], count=2)
    done = api.client.get(f"/v1/generations/{queued['id']}", headers=alice.headers).json()
    assert done["status"] == "succeeded" and [i["id"] for i in done["images"]] == image_ids
    url = done["images"][0]["url"]
    assert url.startswith(f"http://testserver/v1/images/{image_ids[0]}?")
    image = api.client.get(url)  # no credentials: the URL is the capability
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert "max-age=" in image.headers["cache-control"]
    assert Image.open(io.BytesIO(image.content)).size == (64, 64)
    again = api.client.get(f"/v1/generations/{queued['id']}", headers=alice.headers).json()
    assert again["images"][0]["url"] == url  # stable, so browsers can cache


@BOTH_STORES
def test_image_urls_are_refused_when_changed_or_expired(api, alice):
    subject = ready_subject(api, alice)
    generation = generate(api, alice, [subject["id"]]).json()
    first, second = finished_generation(api, alice, generation["id"], count=2)
    url = api.client.get(f"/v1/generations/{generation['id']}", headers=alice.headers).json()[
        "images"
    ][0]["url"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def fetch(image_id=first, **changes):
        params = {k: v for k, v in (query | changes).items() if v is not None}
        return api.client.get(f"/v1/images/{image_id}?{urlencode(params)}")

    for response in (
        fetch(second),  # another image with this signature
        fetch(u="bob"),  # another user
        fetch(exp=str(int(query["exp"]) + 3600)),  # a longer life
        fetch(sig="A" * 22),
        fetch(sig=None),
        fetch(exp="soon"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "invalid_image_signature"
    assert fetch().status_code == 200

    api.clock.advance(int(query["exp"]) - api.clock.now().timestamp() + 1)
    expired = fetch()
    assert expired.status_code == 403
    assert expired.json()["error"]["code"] == "image_url_expired"


@BOTH_STORES
def test_an_image_of_a_deleted_subject_is_gone(api, alice):
    subject = ready_subject(api, alice)
    generation = generate(api, alice, [subject["id"]]).json()
    finished_generation(api, alice, generation["id"])
    url = api.client.get(f"/v1/generations/{generation['id']}", headers=alice.headers).json()[
        "images"
    ][0]["url"]
    assert (
        api.client.delete(f"/v1/subjects/{subject['id']}", headers=alice.headers).status_code == 200
    )
    gone = api.client.get(url)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "image_not_found"
    lost = api.client.get(f"/v1/generations/{generation['id']}", headers=alice.headers)
    assert lost.status_code == 404


def test_generation_input_is_checked(api, alice):
    new = api.subject(alice, "Untrained")
    ready = ready_subject(api, alice, "Rex")
    cases = [
        ([new["id"]], {}, 422, "subject_not_ready"),
        (["sub_" + "d" * 24], {}, 404, "subject_not_found"),
        ([], {}, 422, "invalid_request"),
        ([ready["id"]], {"prompt": "   "}, 422, "invalid_request"),
        # Limits are the service's, with its code at every door (tests/plugin/test_limits.py).
        ([ready["id"]], {"count": 5}, 422, "invalid_generation"),
        ([ready["id"]], {"width": 500}, 422, "invalid_generation"),
        ([ready["id"]], {"seed": -1}, 422, "invalid_generation"),
    ]
    for subject_ids, body, status, code in cases:
        response = generate(api, alice, subject_ids, **body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code
    assert api.ctx.store.list_generations(alice.scope) == []


def test_generations_accept_an_idempotency_key(api, alice):
    subject = ready_subject(api, alice)
    headers = alice.headers | {"Idempotency-Key": "gen-1"}
    body = {"subject_ids": [subject["id"]], "prompt": "a photo of sks dog"}
    first = api.client.post("/v1/generations", headers=headers, json=body)
    second = api.client.post("/v1/generations", headers=headers, json=body)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert len(api.ctx.store.list_generations(alice.scope)) == 1


def test_jobs(api, alice):
    assert api.client.get("/v1/jobs/job_nope", headers=alice.headers).status_code == 404
    assert api.client.get("/v1/jobs/trn_" + "e" * 24, headers=alice.headers).status_code == 404
    cancel = api.client.post("/v1/jobs/gen_" + "e" * 24 + "/cancel", headers=alice.headers)
    assert cancel.status_code == 404 and cancel.json()["error"]["code"] == "generation_not_found"


def test_a_queued_generation_is_cancelled_at_once_and_leaves_the_queue(api, alice):
    subject = ready_subject(api, alice)
    generation = generate(api, alice, [subject["id"]]).json()
    queue = Queue(api.ctx.store.queue_name("generate"), connection=api.ctx.redis)
    assert generation["id"] in queue.job_ids
    url = f"/v1/jobs/{generation['id']}/cancel"

    other = api.client.post(url, headers=alice.as_user("bob").headers)
    assert other.status_code == 404 and other.json()["error"]["code"] == "generation_not_found"
    assert generation["id"] in queue.job_ids  # someone else's cancel changed nothing

    cancel = api.client.post(url, headers=alice.headers)
    assert cancel.status_code == 200, cancel.text
    assert cancel.json() == cancel.json() | {
        "id": generation["id"],
        "kind": "generation",
        "status": "cancelled",
        "queue_position": None,
        "error": None,
    }
    assert generation["id"] not in queue.job_ids
    with pytest.raises(NoSuchJobError):  # gone, so no worker can take it
        Job.fetch(generation["id"], connection=api.ctx.redis)
    shown = api.client.get(f"/v1/generations/{generation['id']}", headers=alice.headers).json()
    assert shown["status"] == "cancelled" and shown["images"] == []

    again = api.client.post(url, headers=alice.headers)  # a finished job: nothing changes
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    events = [e for _, e in api.ctx.store.read_events(alice.scope)]
    assert [e["type"] for e in events] == ["generation.cancelled"]
    assert events[0]["generation_id"] == generation["id"] and events[0]["images"] == []


def test_a_running_generation_is_asked_to_stop(api, alice):
    """The worker's side (it stops at the next denoising step) is in tests/worker."""
    subject = ready_subject(api, alice)
    generation = generate(api, alice, [subject["id"]]).json()

    def started(g):  # what the worker writes when it has done one step
        g.status, g.step = JobStatus.STARTED, 1

    running = api.ctx.store.update_generation(alice.scope, generation["id"], started)
    cancel = api.client.post(f"/v1/jobs/{generation['id']}/cancel", headers=alice.headers)
    assert cancel.status_code == 200
    assert cancel.json() == cancel.json() | {
        "status": "started",
        "step": 1,
        "total_steps": running.steps,
        "progress": 1 / running.steps,
    }
    assert api.ctx.store.get_generation(alice.scope, generation["id"]).cancel_requested
    assert api.ctx.store.read_events(alice.scope) == []  # the worker announces the end


def test_finished_generations_are_left_as_they_are(api, alice):
    subject = ready_subject(api, alice)
    generation = generate(api, alice, [subject["id"]]).json()
    image_ids = finished_generation(api, alice, generation["id"])
    cancel = api.client.post(f"/v1/jobs/{generation['id']}/cancel", headers=alice.headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "succeeded"
    kept = api.ctx.store.get_generation(alice.scope, generation["id"])
    assert kept.images == image_ids and not kept.cancel_requested
