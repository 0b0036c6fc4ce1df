"""Cancelling generations, deleting a subject whose jobs are queued or running, and a worker
stopped in the middle of a generation, on real Redis and real worker processes.

A generation that is slow enough to be caught mid-way on the tiny model: 150 denoising steps
of two 128 px images (about 20 s on an idle core; we cancel after the first step). Each test
starts the workers it needs and stops them, so no test depends on another's queue."""

from __future__ import annotations

import signal

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job

from core.blob_keys import image_key, user_prefix
from core.domain import JobStatus, Scope
from core.errors import NotFound
from worker import services

from .harness import wait_for

pytestmark = pytest.mark.slow

SLOW = {"steps": 150, "width": 128, "height": 128, "count": 2}


@pytest.fixture
def workers(service):
    yield service
    service.stop_workers()


def _generation(ctx, scope, generation_id):
    return services.get_generation(ctx, scope=scope, generation_id=generation_id)


def _ended(ctx, scope, generation_id):
    generation = _generation(ctx, scope, generation_id)
    return generation if generation.status.is_terminal else None


def _rq_job(ctx, job_id) -> Job:
    return Job.fetch(job_id, connection=ctx.redis)


def _rq_done(ctx, job_id) -> bool:
    return _rq_job(ctx, job_id).get_status() in ("finished", "failed")


def _assert_never_ran(ctx, job_id, worker) -> None:
    """The job left the queue before any worker took it, and its worker never mentioned it."""
    with pytest.raises(NoSuchJobError):
        _rq_job(ctx, job_id)
    assert job_id not in worker.output()


def _slow_generation_under_way(ctx, scope, worker):
    """A SLOW generation, and its job status once its first denoising step is done."""
    generation = services.generate(ctx, scope=scope, subject_ids=[], prompt="a dog", **SLOW)
    status = wait_for(
        lambda: (
            (s := services.job_status(ctx, scope=scope, job_id=generation.id))["step"] > 0 and s
        ),
        120,
        "the first denoising step",
        worker,
    )
    return generation, status


def test_a_queued_generation_never_runs(workers):
    ctx = workers.ctx
    scope = Scope("ten_cancel", "queued")
    queued = services.generate(ctx, scope=scope, subject_ids=[], prompt="a photo of a dog")
    assert services.cancel_job(ctx, scope=scope, job_id=queued.id)["status"] == "cancelled"

    worker = workers.start_worker("generate")
    after = services.generate(
        ctx, scope=scope, subject_ids=[], prompt="a photo of a cat", steps=2, width=64, height=64
    )
    done = wait_for(lambda: _ended(ctx, scope, after.id), 120, "the next generation", worker)
    assert done.status is JobStatus.SUCCEEDED, done.error  # the worker went past the first

    cancelled = _generation(ctx, scope, queued.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.step == 0
    assert cancelled.images == []
    _assert_never_ran(ctx, queued.id, worker)


def test_a_running_generation_stops_between_denoising_steps(workers):
    ctx = workers.ctx
    scope = Scope("ten_cancel", "running")
    worker = workers.start_worker("generate")
    generation, status = _slow_generation_under_way(ctx, scope, worker)
    assert status["status"] == "started" and 0 < status["progress"] < 1  # visible while it runs

    services.cancel_job(ctx, scope=scope, job_id=generation.id)
    stopped = wait_for(lambda: _ended(ctx, scope, generation.id), 120, "the stop", worker)
    assert stopped.status is JobStatus.CANCELLED
    assert 0 < stopped.step < SLOW["steps"] and stopped.images == []
    assert ctx.blobs.list_prefix(user_prefix(scope)) == []
    assert _rq_job(ctx, generation.id).return_value() == "cancelled"
    events = [e for _, e in ctx.store.read_events(scope)]
    assert [e["type"] for e in events] == ["generation.cancelled"]
    assert f"generation {generation.id}: generation stopped after step" in worker.output()

    again = services.generate(
        ctx, scope=scope, subject_ids=[], prompt="a dog", steps=2, width=64, height=64
    )
    done = wait_for(lambda: _ended(ctx, scope, again.id), 120, "a generation after it", worker)
    assert done.status is JobStatus.SUCCEEDED and len(done.images) == 1  # the runtime is fine


def test_a_generation_running_at_sigterm_is_finished_before_the_worker_exits(workers):
    """Kubernetes stops a generate worker with SIGTERM (its grace period covers the largest
    request): the picture in progress is finished, stored and announced, then the worker goes."""
    ctx = workers.ctx
    scope = Scope("ten_cancel", "shutdown")
    worker = workers.start_worker("generate")
    generation, status = _slow_generation_under_way(ctx, scope, worker)
    assert status["status"] == "started" and status["step"] < SLOW["steps"]
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=300) == 0, worker.output()[-3000:]
    done = _generation(ctx, scope, generation.id)
    assert done.status is JobStatus.SUCCEEDED, (done.status, done.error)
    assert len(done.images) == SLOW["count"] and done.step == SLOW["steps"]
    assert all(ctx.blobs.exists(image_key(scope, image_id)) for image_id in done.images)
    assert [e["type"] for _, e in ctx.store.read_events(scope)] == ["generation.succeeded"]


def test_deleting_a_subject_stops_its_queued_and_running_jobs(workers, photos_dir):
    ctx = workers.ctx
    scope = Scope("ten_cancel", "deleting")
    trainer = workers.start_worker("train")
    drawer = workers.start_worker("generate")
    rex = workers.trainable_subject(scope, photos_dir, name="Rex")
    first = services.start_training(ctx, scope=scope, subject_id=rex.id, overrides={"steps": 2})
    trained = wait_for(
        lambda: (r := ctx.store.get_training_run(scope, first.id)).status.is_terminal and r,
        180,
        "Rex's first training",
        trainer,
    )
    assert trained.status is JobStatus.SUCCEEDED, trained.error

    # Rex retrains (running, keeping his adapter) and is drawn (one running, one queued);
    # Bea waits for a training behind Rex's.
    retraining = services.start_training(
        ctx, scope=scope, subject_id=rex.id, overrides={"steps": 2000}
    )
    wait_for(
        lambda: ctx.store.get_training_run(scope, retraining.id).step > 0,
        180,
        "Rex's retraining to run",
        trainer,
    )
    drawing = services.generate(ctx, scope=scope, subject_ids=[rex.id], prompt="sks dog", **SLOW)
    wait_for(lambda: _generation(ctx, scope, drawing.id).step > 0, 120, "the drawing", drawer)
    waiting = services.generate(ctx, scope=scope, subject_ids=[rex.id], prompt="sks dog")
    bea = workers.trainable_subject(scope, photos_dir, name="Bea")
    bea_run = services.start_training(ctx, scope=scope, subject_id=bea.id)
    assert _generation(ctx, scope, waiting.id).status is JobStatus.QUEUED
    assert ctx.store.get_training_run(scope, bea_run.id).status is JobStatus.QUEUED

    services.delete_subject(ctx, scope=scope, subject_id=bea.id)
    deletion = services.delete_subject(ctx, scope=scope, subject_id=rex.id)
    assert {drawing.id, waiting.id} <= set(deletion.generation_ids)
    assert {first.id, retraining.id} <= set(deletion.training_ids)

    # The running jobs stop at their next step and write nothing.
    wait_for(lambda: _rq_done(ctx, retraining.id), 120, "the retraining to stop", trainer)
    wait_for(lambda: _rq_done(ctx, drawing.id), 120, "the drawing to stop", drawer)
    assert 0 < _rq_job(ctx, retraining.id).meta["step"] < 2000  # stopped, didn't finish
    assert _rq_job(ctx, drawing.id).return_value() == "deleted"
    assert f"generation {drawing.id}: generation stopped after step" in drawer.output()
    assert ctx.store.active_trainings(scope.tenant_id) == {}
    assert not (ctx.settings.work_dir / "trainings" / retraining.id).exists()
    # The queued ones never start.
    _assert_never_ran(ctx, waiting.id, drawer)
    _assert_never_ran(ctx, bea_run.id, trainer)
    # Nothing of either subject is left, and nothing came back late.
    assert ctx.blobs.list_prefix(user_prefix(scope)) == []
    assert list(ctx.store.iter_keys(scope)) == []
    for missing in (drawing.id, waiting.id):
        with pytest.raises(NotFound):
            _generation(ctx, scope, missing)
