"""A worker SIGKILLed mid-training: another worker notices, resumes from the checkpoint, and
the user sees one training that succeeds — on the same data dir, or on another node that shares
only Redis and the bucket."""

from __future__ import annotations

import json
import signal
import time

import pytest

from core.blob_keys import checkpoint_prefix
from core.domain import JobStatus, Scope
from worker import services
from worker.events import create_webhook_endpoint

from .harness import ServiceEnv, wait_for
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
        done, report = _succeeded_on(second, ctx, scope, run.id, timeout=180)
        assert done.attempt == 2
        assert report["resumed_from"] >= 5 and len(report["loss"]) == 60
        assert [r.id for r in ctx.store.list_training_runs(scope, subject.id)] == [run.id]

        types = _webhook_types(receiver, second)
        assert types.count("training.started") == 1
        assert types.count("training.succeeded") == 1 and "training.failed" not in types


def test_sigterm_checkpoints_requeues_and_another_worker_resumes(service, photos_dir):
    """What Kubernetes or Ctrl-C does: SIGTERM mid-training. The worker pauses the run at its
    next step (writing a checkpoint there), puts it back on the queue and exits within
    seconds; the next worker resumes from that step, and the user still sees one training."""
    ctx = service.ctx
    scope = Scope("ten_term", "fay")
    service.stop_workers()  # the module's other workers would take the job
    first = service.start_worker("train,webhooks")
    with WebhookReceiver() as receiver:
        create_webhook_endpoint(ctx, tenant_id=scope.tenant_id, url=receiver.url, events=[])
        subject = service.trainable_subject(scope, photos_dir)
        run = services.start_training(
            ctx, scope=scope, subject_id=subject.id, overrides={"steps": 40}
        )
        wait_for(
            lambda: ctx.store.get_training_run(scope, run.id).step >= 3,
            120,
            "the training to take steps",
            first,
        )
        first.process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        first.process.wait(30)
        exit_seconds = time.monotonic() - asked
        assert exit_seconds < 10, first.output()
        paused = ctx.store.get_training_run(scope, run.id)
        assert paused.status is JobStatus.QUEUED, first.output()
        checkpoints = ctx.settings.work_dir / "trainings" / run.id / "output" / "checkpoints"
        paused_at = max(int(p.name.removeprefix("step-")) for p in checkpoints.iterdir())
        assert 3 <= paused_at < 40

        second = service.start_worker("train,webhooks")
        _, report = _succeeded_on(second, ctx, scope, run.id, timeout=240)
        assert report["resumed_from"] == paused_at and len(report["loss"]) == 40

        types = _webhook_types(receiver, second)
        assert types.count("training.started") == 1 and "training.failed" not in types
        print(f"\nworker exited {exit_seconds:.1f} s after SIGTERM; paused at step {paused_at}")


def test_a_node_with_an_empty_disk_resumes_from_the_bucket(
    redis_url, tiny_sd, s3_server, tmp_path, photos_dir
):
    """Two workers that share only Redis and a bucket (moto's S3 server), each with its own
    data dir: the first samples the class images, checkpoints and is SIGKILLed; the second
    resumes from the first one's checkpoint and samples no class image."""
    nodes = {name: tmp_path / name for name in ("api", "node-a", "node-b")}
    service = ServiceEnv(
        redis_url, nodes["api"], tiny_sd, **s3_server.env(s3_server.create_bucket())
    )
    try:
        ctx = service.ctx
        scope = Scope("ten_nodes", "hal")
        first = service.start_worker("train", DREAMCHAT_DATA_DIR=str(nodes["node-a"]))
        subject = service.trainable_subject(scope, photos_dir)
        run = services.start_training(
            ctx, scope=scope, subject_id=subject.id, overrides={"steps": 20}
        )
        stored = checkpoint_prefix(scope, subject.id, run.id)
        wait_for(
            lambda: any(key.endswith(".json") for key in ctx.blobs.list_prefix(stored)),
            120,
            "a checkpoint in the bucket",
            first,
        )
        first.kill()
        assert ctx.store.get_training_run(scope, run.id).step < 20
        sampled = sorted(p.name for p in nodes["node-a"].glob("class-cache/*/*.png"))
        assert sampled == ["00000.png", "00001.png"]  # by the first node, which is gone now

        second = service.start_worker("train", DREAMCHAT_DATA_DIR=str(nodes["node-b"]))
        done, report = _succeeded_on(second, ctx, scope, run.id, timeout=240)
        assert done.attempt == 2
        assert report["resumed_from"] >= 5 and len(report["loss"]) == 20
        assert report["class_images"] == report["class_images"] | {"count": 2, "generated": 0}
        assert ctx.blobs.list_prefix(stored) == []  # the run is over: its checkpoints go
        for node in nodes.values():
            assert not (node / "blobs").exists()  # nothing but scratch space on the nodes
        print(f"\nresumed on an empty node at step {report['resumed_from']} of 20")
    finally:
        service.close()


def _succeeded_on(worker, ctx, scope, training_id, *, timeout):
    """The run, once it ended on ``worker`` (it must succeed), and its adapter's report."""
    done = wait_for(
        lambda: (r := ctx.store.get_training_run(scope, training_id)).status.is_terminal and r,
        timeout,
        "the training to finish on the next worker",
        worker,
    )
    assert done.status is JobStatus.SUCCEEDED, done.error
    subject = ctx.store.get_subject(scope, done.subject_id)
    return done, json.loads(ctx.blobs.get(f"{subject.adapter}/training.json"))


def _webhook_types(receiver, worker) -> list[str]:
    """The event types the receiver got, once ``training.succeeded`` is among them."""

    def types():
        return [json.loads(r.body)["type"] for r in receiver.requests]

    wait_for(lambda: "training.succeeded" in types(), 30, "training.succeeded webhook", worker)
    return types()
