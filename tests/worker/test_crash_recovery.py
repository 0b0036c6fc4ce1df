"""A worker SIGKILLed mid-training: another worker notices, resumes from the checkpoint, and
the user sees one training that succeeds."""

from __future__ import annotations

import json

import pytest

from core.domain import JobStatus, Scope
from worker import services
from worker.events import create_webhook_endpoint

from .harness import wait_for
from .webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow


def test_sigkilled_training_resumes_on_another_worker(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_crash", "erin")
    first = service.start_worker("train,webhooks")
    with WebhookReceiver() as receiver:
        create_webhook_endpoint(ctx, tenant_id=scope.tenant_id, url=receiver.url, events=[])
        subject = service.trainable_subject(scope, photos_dir)
        run = services.start_training(
            ctx, scope=scope, subject_id=subject.id, overrides={"steps": 60}
        )
        checkpoints = ctx.settings.work_dir / "trainings" / run.id / "output" / "checkpoints"
        wait_for(
            lambda: (
                checkpoints.is_dir()
                and any(p.name.startswith("step-") for p in checkpoints.iterdir())
            ),
            120,
            "a checkpoint",
            first,
        )
        first.kill()
        killed_at = ctx.store.get_training_run(scope, run.id)
        assert killed_at.status is JobStatus.STARTED and killed_at.step < 60

        second = service.start_worker("train,webhooks")
        done = wait_for(
            lambda: (r := ctx.store.get_training_run(scope, run.id)).status.is_terminal and r,
            90,
            "the training to be recovered",
            second,
        )
        assert done.status is JobStatus.SUCCEEDED, done.error
        assert done.attempt == 2
        report = json.loads(
            ctx.blobs.get(f"{ctx.store.get_subject(scope, subject.id).adapter}/training.json")
        )
        assert report["resumed_from"] >= 5 and len(report["loss"]) == 60
        assert [r.id for r in ctx.store.list_training_runs(scope, subject.id)] == [run.id]

        def types():
            return [json.loads(r.body)["type"] for r in receiver.requests]

        wait_for(lambda: "training.succeeded" in types(), 30, "training.succeeded webhook", second)
        assert types().count("training.started") == 1
        assert types().count("training.succeeded") == 1 and "training.failed" not in types()
