"""A subject's life on a deployment with photo retention 0: progress on the user's channel,
photos gone once trained, adapter kept, and deletion that removes everything and says so."""

from __future__ import annotations

import json

import pytest

from core.blob_keys import user_prefix
from core.domain import JobStatus, Scope
from core.errors import NotFound
from trainer import ADAPTER_FILE
from worker import services
from worker.events import create_webhook_endpoint

from .harness import ServiceEnv, wait_for
from .webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(redis_url, tiny_sd, tmp_path_factory):
    env = ServiceEnv(
        redis_url, tmp_path_factory.mktemp("data"), tiny_sd, DREAMCHAT_PHOTO_RETENTION_SECONDS="0"
    )
    yield env
    env.close()


def test_progress_retention_and_deletion(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_life", "gina")
    worker = service.start_worker()
    with WebhookReceiver() as receiver:
        create_webhook_endpoint(ctx, tenant_id=scope.tenant_id, url=receiver.url, events=[])
        subject = service.trainable_subject(scope, photos_dir)
        photo_keys = list(subject.photos)
        assert all(ctx.blobs.exists(k) for k in photo_keys)
        run = services.start_training(
            ctx, scope=scope, subject_id=subject.id, overrides={"steps": 6}
        )
        wait_for(
            lambda: ctx.store.get_training_run(scope, run.id).status.is_terminal,
            120,
            "training",
            worker,
        )

        def logged() -> list[dict]:  # the user's event log, once "ready" (sent last) is in
            events = [event for _, event in ctx.store.read_events(scope)]
            return events if events and events[-1]["type"] == "training.succeeded" else []

        events = wait_for(logged, 10, "the training.succeeded event", worker)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "training.started" and kinds[-1] == "training.succeeded"
        progress = [e for e in events if e["type"] == "training.progress"]
        assert progress and progress[-1]["step"] == 6 and progress[-1]["progress"] == 1.0
        assert events[-1]["subject_name"] == "Rex"

        trained = ctx.store.get_subject(scope, subject.id)
        assert ctx.store.get_training_run(scope, run.id).status is JobStatus.SUCCEEDED
        assert trained.photos == [] and trained.photos_purged_at is not None  # retention 0
        assert not any(ctx.blobs.exists(k) for k in photo_keys)
        assert ctx.blobs.exists(f"{trained.adapter}/{ADAPTER_FILE}")  # the adapter stays

        generation = services.generate(
            ctx, scope=scope, subject_ids=[subject.id], prompt="a photo of it"
        )
        wait_for(
            lambda: (
                services.get_generation(
                    ctx, scope=scope, generation_id=generation.id
                ).status.is_terminal
            ),
            60,
            "generation",
            worker,
        )

        deletion = services.delete_subject(ctx, scope=scope, subject_id=subject.id)
        assert deletion.blobs_deleted >= 2 and generation.id in deletion.generation_ids
        with pytest.raises(NotFound):
            ctx.store.get_subject(scope, subject.id)
        with pytest.raises(NotFound):
            services.get_generation(ctx, scope=scope, generation_id=generation.id)
        assert ctx.blobs.list_prefix(user_prefix(scope)) == []
        leftover = [
            k
            for k in ctx.redis.scan_iter(
                match=f"{service.prefix}:{scope.tenant_id}:{scope.user_id}:*"
            )
        ]
        assert leftover == []

        def deleted():
            return [
                json.loads(r.body)
                for r in receiver.requests
                if json.loads(r.body)["type"] == "subject.deleted"
            ]

        body = wait_for(deleted, 30, "subject.deleted webhook", worker)[0]
        assert body["data"]["subject_id"] == subject.id and run.id in body["data"]["training_ids"]
