"""The API process never loads the ML stack: ``dreamchat serve`` in a subprocess takes a
training, a generation and a chat turn, and then reports (``/debug/process``) that torch,
diffusers and transformers are still not imported. Its RSS before and after is printed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from core.domain import Scope, SubjectStatus
from core.tenants import create_tenant

from ..net import free_port, wait_until_up
from . import photos
from .conftest import purge_rq

pytestmark = pytest.mark.slow


@pytest.fixture
def serve(redis_url, key_prefix, redis_client, tmp_path) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "REDIS_URL": redis_url,
        "DREAMCHAT_KEY_PREFIX": key_prefix,
        "DREAMCHAT_DATA_DIR": str(tmp_path),
        "DREAMCHAT_DEBUG_ROUTES": "1",
        "DREAMCHAT_CHAT_WAIT_SECONDS": "0",
        "DREAMCHAT_SECRET_KEY": "api-process-test-" + "k" * 40,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dreamchat.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", proc, timeout=60)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        purge_rq(redis_client, key_prefix)


def test_api_process_takes_jobs_without_loading_torch(serve, store):
    before = httpx.get(f"{serve}/debug/process").json()
    assert before["heavy_modules_loaded"] == []

    tenant, api_key = create_tenant(store, name="no-torch")
    headers = {"Authorization": f"Bearer {api_key}", "X-User-Id": "u1"}
    with httpx.Client(base_url=serve, headers=headers, timeout=30) as http:
        subject = http.post("/v1/subjects", json={"name": "Rex", "class_noun": "dog"}).json()
        uploads = [
            http.post("/v1/uploads", files={"file": (f"{i}.jpg", photos.photo(i), "image/jpeg")})
            for i in range(3)
        ]
        upload_ids = [r.json()["upload_id"] for r in uploads]
        attached = http.post(
            f"/v1/subjects/{subject['id']}/photos", json={"upload_ids": upload_ids}
        )
        assert attached.status_code == 200, attached.text
        train = http.post(f"/v1/subjects/{subject['id']}/train", json={"steps": 5})
        assert train.status_code == 202, train.text

        # A generation needs a trained subject; the API only checks the record, so mark it
        # ready as a worker would have (no worker runs here: nothing may execute the jobs).
        scope = Scope(tenant.id, "u1")

        def trained(s):
            s.status, s.adapter = SubjectStatus.READY, f"adapters/{s.id}"

        store.update_subject(scope, subject["id"], trained)
        token = subject["token"]
        generation = http.post(
            "/v1/generations",
            json={"subject_ids": [subject["id"]], "prompt": f"a photo of {token} dog"},
        )
        assert generation.status_code == 202, generation.text
        chat = http.post("/v1/chat", json={"message": "show Rex on the beach"})
        assert chat.status_code == 200, chat.text
        assert chat.json().get("generation_id")

    after = httpx.get(f"{serve}/debug/process").json()
    assert after["pid"] == before["pid"]
    assert after["heavy_modules_loaded"] == [], after
    print(
        f"\nAPI process RSS: {before['rss_bytes'] / 2**20:.1f} MiB at start, "
        f"{after['rss_bytes'] / 2**20:.1f} MiB after a training, a generation and a chat turn"
    )


def test_debug_routes_are_off_by_default(api):
    assert api.client.get("/debug/process").status_code == 404
