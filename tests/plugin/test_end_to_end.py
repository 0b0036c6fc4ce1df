"""The whole path over real sockets: uvicorn serving the app, a real ``dreamchat worker``
process training and generating with the tiny model, and an HTTP client that only knows the
documented API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from core.tenants import create_tenant
from plugin.app import create_app

from ..net import uvicorn_thread
from ..worker.harness import ServiceEnv, WorkerProcess
from . import photos

pytestmark = pytest.mark.slow


@pytest.fixture
def service(redis_url, tiny_sd, tmp_path) -> Iterator[ServiceEnv]:
    env = ServiceEnv(redis_url, tmp_path / "data", tiny_sd)
    yield env
    env.close()


@pytest.fixture
def server(service) -> Iterator[str]:
    """The app on a loopback port, as ``dreamchat serve`` runs it."""
    with uvicorn_thread(create_app(service.ctx), lifespan="off") as url:
        yield url


def poll(fetch: Callable[[], dict], done: Callable[[dict], bool], worker: WorkerProcess) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = fetch()
        if done(body):
            return body
        assert worker.process.poll() is None, worker.output()[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"timed out; last answer {body}\n{worker.output()[-3000:]}")


def test_upload_train_generate_and_fetch_the_image(service, server):
    worker = service.start_worker()
    tenant, api_key = create_tenant(service.ctx.store, name="e2e")
    auth = {"Authorization": f"Bearer {api_key}", "X-User-Id": "alice"}
    with httpx.Client(base_url=server, headers=auth, timeout=30) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["worker"] is True
        assert ready.headers["x-request-id"]

        upload_ids = []
        for seed in range(4):
            files = {"file": (f"photo-{seed}.jpg", photos.photo(seed), "image/jpeg")}
            response = http.post("/v1/uploads", files=files)
            assert response.status_code == 201, response.text
            assert all(check["ok"] for check in response.json()["checks"])
            upload_ids.append(response.json()["upload_id"])

        subject = http.post("/v1/subjects", json={"name": "Blocky", "class_noun": "toy"}).json()
        attached = http.post(
            f"/v1/subjects/{subject['id']}/photos", json={"upload_ids": upload_ids}
        )
        assert len(attached.json()["photos"]) == 4

        train = http.post(
            f"/v1/subjects/{subject['id']}/train",
            json={"steps": 4},
            headers={"Idempotency-Key": "e2e-train"},
        )
        assert train.status_code == 202, train.text
        job_id = train.json()["job_id"]
        job = poll(
            lambda: http.get(f"/v1/jobs/{job_id}").json(),
            lambda body: body["status"] in ("succeeded", "failed", "cancelled"),
            worker,
        )
        assert job["status"] == "succeeded" and job["progress"] == 1.0, job
        assert http.get(f"/v1/subjects/{subject['id']}").json()["status"] == "ready"

        prompt = f"a photo of {subject['token']} toy on the beach"
        created = http.post(
            "/v1/generations", json={"subject_ids": [subject["id"]], "prompt": prompt, "seed": 7}
        )
        assert created.status_code == 202, created.text
        generation = poll(
            lambda: http.get(f"/v1/generations/{created.json()['id']}").json(),
            lambda body: body["status"] in ("succeeded", "failed"),
            worker,
        )
        assert generation["status"] == "succeeded", generation
        assert generation["prompt"] == prompt and generation["seed"] == 7
        metrics = http.get("/metrics").text
        assert 'dreamchat_recent_job_seconds{queue="train",stat="count"} 1.0' in metrics
        assert 'dreamchat_recent_job_seconds{queue="generate",stat="max"}' in metrics

    (image,) = generation["images"]
    assert image["url"].startswith(f"{server}/v1/images/{image['id']}?")
    fetched = httpx.get(image["url"])  # a browser's <img>: no credentials at all
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    assert fetched.content.startswith(b"\x89PNG")
    assert tenant.id in image["url"]
