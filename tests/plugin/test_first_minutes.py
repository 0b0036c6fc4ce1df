"""Issue 9's "first five minutes", over real HTTP with a real worker and the service exactly as
shipped: the committed ToyWorld model and the defaults that follow it (no base model, no
training settings). A visitor uploads a held-out subject's sample photos, says "train Rex", and
"show Rex on the beach" answers with a picture at the model's native size. Along the way the
training shows its class-image phase and reports its quality, and the ready notice speaks it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from PIL import Image

from core.domain import Scope
from core.settings import DEFAULT_BASE_MODEL
from core.tenants import create_tenant
from plugin.app import create_app
from trainer.toyworld import world
from trainer.toyworld.scorer import load_scorer

from ..net import uvicorn_thread
from ..worker.harness import ServiceEnv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DEFAULT_BASE_MODEL / "model_index.json").is_file(),
        reason="models/toyworld is not committed yet",
    ),
]


@pytest.fixture
def service(redis_url, tmp_path) -> Iterator[ServiceEnv]:
    env = ServiceEnv(
        redis_url,
        tmp_path / "data",
        None,
        fast=False,
        DREAMCHAT_WORKER_HEARTBEAT_SECONDS="1",
        DREAMCHAT_DEAD_JOB_AFTER_SECONDS="4",
    )
    yield env
    env.close()


def test_sample_photos_to_rex_on_the_beach(service, tmp_path):
    worker = service.start_worker()
    tenant, api_key = create_tenant(service.ctx.store, name="first-minutes")
    auth = {"Authorization": f"Bearer {api_key}", "X-User-Id": "visitor"}
    photos = world.write_subject_photos("pinkdog", tmp_path / "photos")
    with (
        uvicorn_thread(create_app(service.ctx), lifespan="off") as server,
        httpx.Client(base_url=server, headers=auth, timeout=30) as http,
    ):
        upload_ids = []
        for path in photos:
            files = {"file": (path.name, path.read_bytes(), "image/png")}
            response = http.post("/v1/uploads", files=files)
            assert response.status_code == 201, response.text
            upload_ids.append(response.json()["upload_id"])
        said = http.post(
            "/v1/chat", json={"message": "this is my dog Rex", "attachments": upload_ids}
        )
        assert said.status_code == 200, said.text
        conversation = said.json()["conversation_id"]

        started = time.monotonic()
        train = http.post(
            "/v1/chat", json={"message": "train Rex", "conversation_id": conversation}
        )
        training_id = train.json()["training_id"]
        assert training_id, train.json()
        phases, class_etas = set(), []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            polled = http.get(f"/v1/jobs/{training_id}")
            assert polled.status_code == 200, polled.text  # one poll a second stays under
            job = polled.json()  # the per-user rate limit (120 a minute)
            phases.add(job["phase"])
            if job["phase"] == "class_images" and job["class_images"]["done"]:
                class_etas.append(job["eta_seconds"])
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            assert worker.process.poll() is None, worker.output()[-3000:]
            time.sleep(1)
        seconds = time.monotonic() - started
        assert job["status"] == "succeeded", (job, worker.output()[-3000:])
        assert {"class_images", "training"} <= phases, phases
        assert class_etas and all(eta > 0 for eta in class_etas)
        quality = job["quality"]
        assert quality["measured"] and quality["embedding"] == "toyworld-scorer", quality
        assert quality["verdict"] in ("good", "weak"), quality
        assert quality["share_of_training"] < 0.15, quality
        print(f"default training on ToyWorld: {seconds:.1f} s wall, quality {quality}")

        scope = Scope(tenant.id, "visitor")
        _, messages = service.ctx.store.load_conversation(scope, conversation)
        notices = [m["data"]["content"] for m in messages if m.get("type") == "ai"]
        assert any("Rex is ready — the test pictures" in text for text in notices), notices

        def show(message: str) -> dict:
            shown = http.post(
                "/v1/chat",
                json={"message": message, "conversation_id": conversation},
                timeout=120,
            ).json()
            assert shown["generation_id"], shown
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                polled = http.get(f"/v1/generations/{shown['generation_id']}")
                assert polled.status_code == 200, polled.text
                generation = polled.json()
                if generation["status"] in ("succeeded", "failed"):
                    break
                time.sleep(0.5)
            assert generation["status"] == "succeeded", generation
            return generation

        def pictures(generation: dict) -> list:
            fetched = [httpx.get(image["url"]) for image in generation["images"]]
            assert all(f.status_code == 200 for f in fetched)
            return [Image.open(BytesIO(f.content)) for f in fetched]

        generation = show("show Rex on the beach")
        assert "beach" in generation["prompt"]
        # the model's own negative prompt (none): the GPU default's words, unknown to ToyWorld,
        # made guidance steer away from noise and the subject vanished (docs/toybench.md)
        assert generation["negative_prompt"] == ""
        (picture_image,) = pictures(generation)
        assert picture_image.size == (32, 32)  # the model's native size: the default followed it
        scorer = load_scorer()
        score = scorer.score(picture_image)
        print(
            f"'show Rex on the beach': the scorer sees {score.subject} / {score.cls} / {score.scene}"
        )
        # One picture at a random seed is a sample of one; four say whether Rex is recognisable
        # (the whole distribution is ToyBench's to measure: the pink dog on the beach in 13–14 of
        # 16 pictures at the default recipe, docs/toybench.md). The beach is printed, not held.
        four = scorer.score_batch(pictures(show("4 pictures of Rex on the beach")))
        seen = [(s.subject, s.scene) for s in four]
        print(f"'4 pictures of Rex on the beach': {seen}")
        assert sum(s.subject == "pinkdog" for s in four) >= 2, seen
