"""Training and generation through the queues, on real Redis and real worker processes."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from core.blob_keys import image_key
from core.domain import JobStatus, Scope, SubjectStatus
from trainer import ADAPTER_FILE, read_adapter_metadata
from worker import services
from worker.events import create_webhook_endpoint

from .harness import wait_for
from .webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

SCOPE = Scope("ten_flow", "alice")


@pytest.fixture(scope="module")
def worker(service):
    return service.start_worker()


def _finished(service, scope, training_id):
    run = service.ctx.store.get_training_run(scope, training_id)
    return run if run.status.is_terminal else None


def test_train_through_the_queue_then_generate(service, worker, photos_dir):
    ctx = service.ctx
    with WebhookReceiver() as receiver:
        endpoint, secret = create_webhook_endpoint(
            ctx, tenant_id=SCOPE.tenant_id, url=receiver.url, events=[]
        )
        subject = service.trainable_subject(SCOPE, photos_dir)
        run = services.start_training(
            ctx, scope=SCOPE, subject_id=subject.id, overrides={"steps": 8}
        )
        assert services.training_status(ctx, scope=SCOPE, training_id=run.id)["status"] in (
            "queued",
            "started",
        )
        done = wait_for(
            lambda: _finished(service, SCOPE, run.id), 120, "training to finish", worker
        )
        assert done.status is JobStatus.SUCCEEDED, done.error
        assert done.attempt == 1 and done.progress == 1.0

        subject = ctx.store.get_subject(SCOPE, subject.id)
        assert subject.status is SubjectStatus.READY
        assert ctx.blobs.exists(f"{subject.adapter}/{ADAPTER_FILE}")
        report = json.loads(ctx.blobs.get(f"{subject.adapter}/training.json"))
        assert report["steps"] == 8 and report["config"]["resolution"] == 64
        meta = read_adapter_metadata(ctx.blobs.local_path(f"{subject.adapter}/{ADAPTER_FILE}"))
        assert meta["subject_id"] == subject.id and meta["token"] == subject.token

        status = services.job_status(ctx, scope=SCOPE, job_id=run.id)
        assert status == status | {
            "kind": "training",
            "status": "succeeded",
            "progress": 1.0,
            "queue_position": None,
        }

        types = lambda: [json.loads(r.body)["type"] for r in receiver.requests]  # noqa: E731
        wait_for(lambda: "training.succeeded" in types(), 30, "training.succeeded webhook", worker)
        assert types().count("training.started") == 1
        succeeded = next(
            r for r in receiver.requests if json.loads(r.body)["type"] == "training.succeeded"
        )
        payload = Webhook(secret).verify(succeeded.body, succeeded.headers)
        assert (
            payload["data"]["training_id"] == run.id and payload["data"]["subject_id"] == subject.id
        )

        generation = services.generate(
            ctx,
            scope=SCOPE,
            subject_ids=[subject.id],
            prompt=f"a photo of {subject.identifier} in Paris",
            count=2,
        )
        finished = wait_for(
            lambda: (
                (
                    g := services.get_generation(ctx, scope=SCOPE, generation_id=generation.id)
                ).status.is_terminal
                and g
            ),
            60,
            "generation",
            worker,
        )
        assert finished.status is JobStatus.SUCCEEDED, finished.error
        assert len(finished.images) == 2 and finished.prompt.endswith("in Paris")
        for image_id in finished.images:
            assert ctx.blobs.get(image_key(SCOPE, image_id)).startswith(b"\x89PNG")
        wait_for(
            lambda: "generation.succeeded" in types(), 30, "generation.succeeded webhook", worker
        )
        assert endpoint.id


def test_cancel_a_running_training(service, worker, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_flow", "carol")
    subject = service.trainable_subject(scope, photos_dir)
    run = services.start_training(
        ctx, scope=scope, subject_id=subject.id, overrides={"steps": 2000}
    )
    wait_for(
        lambda: ctx.store.get_training_run(scope, run.id).step > 0,
        120,
        "training to make progress",
        worker,
    )
    services.cancel_training(ctx, scope=scope, training_id=run.id)
    done = wait_for(lambda: _finished(service, scope, run.id), 30, "training to stop", worker)
    assert done.status is JobStatus.CANCELLED and done.step < 2000
    assert ctx.store.get_subject(scope, subject.id).status is SubjectStatus.NEW
    assert not (ctx.settings.work_dir / "trainings" / run.id).exists()  # scratch space freed
