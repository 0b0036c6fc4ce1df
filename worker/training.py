"""Running one training run on a worker: from a queued run record to an adapter in the blobs.

Written to be run again: a worker killed mid-training leaves the run ``started`` with
checkpoints in the shared work directory; RQ hands the job to another worker, which lands here,
counts a new attempt, and ``train(..., resume=True)`` continues from the newest checkpoint. The
user sees one training: same id, same record, one ``training.started`` and one final event.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from rq import get_current_job

from core.blob_keys import adapter_prefix
from core.blobs import upload_dir
from core.domain import EventType, JobStatus, Scope, TrainingRun
from core.errors import DreamchatError, NotFound
from core.subjects import purge_photos
from trainer import (
    TrainConfig,
    TrainerError,
    TrainingCancelled,
    TrainingInterrupted,
    TrainProgress,
    train,
)

from .context import TRAIN, Context
from .events import emit_event
from .job_refs import PURGE_SUBJECT_PHOTOS
from .progress import Throttle, publish, set_job_meta
from .runtime import WorkerRuntime

__all__ = ["finish_lost", "run_training"]

log = logging.getLogger(__name__)


def _fetch_photos(ctx: Context, photo_keys: list[str], target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for key in photo_keys:
        (target / Path(key).name).write_bytes(ctx.blobs.get(key))
    return target


def _config(
    ctx: Context, runtime: WorkerRuntime, run: TrainingRun, subject, work: Path
) -> TrainConfig:
    s = ctx.settings
    return TrainConfig(
        base_model=s.resolved_base_model,
        photos=(str(_fetch_photos(ctx, subject.photos, work / "photos")),),
        token=subject.token,
        class_noun=subject.class_noun,
        output_dir=str(work / "output"),
        steps=run.total_steps,
        lr=float(run.overrides.get("learning_rate", s.train_learning_rate)),
        resolution=s.train_resolution,
        batch_size=s.train_batch_size,
        prior=s.num_class_images > 0,
        num_class_images=max(s.num_class_images, 1),
        class_sampler_steps=s.class_sampler_steps,
        class_cache_dir=str(s.class_cache_dir),
        mixed_precision=runtime.mixed_precision,  # type: ignore[arg-type]
        checkpoint_every=s.checkpoint_every,
        resume=True,
        seed=int(run.overrides.get("seed", 0)),
        metadata={"subject_id": subject.id, "training_id": run.id},
    )


class _Reporter:
    """Progress → job meta, run record, SSE channel, and (every 10 %) ``training.progress``."""

    def __init__(self, ctx: Context, scope: Scope, run: TrainingRun):
        self.ctx, self.scope, self.run = ctx, scope, run
        self.throttle = Throttle(0.5)
        self.cancel_check = Throttle(0.5)
        self.cancelled = False
        self.last_decile = -1

    def progress(self, p: TrainProgress) -> None:
        if not self.throttle.ready(force=p.step == p.total):
            return
        fraction = p.step / p.total

        def update(run: TrainingRun) -> None:
            run.step, run.progress, run.eta_seconds = p.step, min(fraction, 1.0), max(p.eta_s, 0.0)

        self.ctx.store.update_training_run(self.scope, self.run.id, update)
        event = {
            "training_id": self.run.id,
            "subject_id": self.run.subject_id,
            "step": p.step,
            "total": p.total,
            "progress": round(fraction, 4),
            "eta_seconds": round(p.eta_s, 1),
            "loss": p.loss,
        }
        set_job_meta(progress=event["progress"], step=p.step, eta_seconds=event["eta_seconds"])
        publish(
            self.ctx, self.scope.tenant_id, self.scope.user_id, EventType.TRAINING_PROGRESS, event
        )
        decile = int(fraction * 10)
        if decile > self.last_decile and p.step < p.total:
            self.last_decile = decile
            emit_event(
                self.ctx,
                tenant_id=self.scope.tenant_id,
                event_type=EventType.TRAINING_PROGRESS,
                data=event | {"user_id": self.scope.user_id},
            )

    def should_stop(self) -> bool:
        if not self.cancelled and self.cancel_check.ready():
            self.cancelled = self.ctx.store.get_training_run(
                self.scope, self.run.id
            ).cancel_requested
        return self.cancelled


def _start_attempt(ctx: Context, scope: Scope, training_id: str) -> TrainingRun:
    def start(run: TrainingRun) -> None:
        run.attempt += 1
        run.status = JobStatus.STARTED
        run.started_at = run.started_at or ctx.store.now()

    return ctx.store.update_training_run(scope, training_id, start)


def _finish(ctx: Context, scope: Scope, run: TrainingRun, status: JobStatus, **kwargs: Any) -> bool:
    """False when the run is gone: its subject was deleted while it trained."""
    try:
        finished, subject = ctx.store.finish_training(scope, run.id, status=status, **kwargs)
    except NotFound:  # the subject (and its runs) were deleted while we trained
        if kwargs.get("adapter"):  # don't leave its new adapter behind
            ctx.blobs.delete_prefix(kwargs["adapter"])
        return False
    data = {
        "training_id": run.id,
        "subject_id": run.subject_id,
        "user_id": scope.user_id,
        "status": str(status),
        "error": finished.error,
        "error_code": finished.error_code,
    }
    event_type = {
        JobStatus.SUCCEEDED: EventType.TRAINING_SUCCEEDED,
        JobStatus.FAILED: EventType.TRAINING_FAILED,
    }.get(status, EventType.TRAINING_CANCELLED)
    if event_type.is_webhook:
        emit_event(ctx, tenant_id=scope.tenant_id, event_type=event_type, data=data)
    if run.conversation_id and subject is not None:
        ctx.store.append_conversation_message(
            scope, run.conversation_id, _notice(subject, finished, status)
        )
    publish(
        ctx,
        scope.tenant_id,
        scope.user_id,
        event_type,
        {**data, "subject_name": subject.name if subject else None},
    )
    set_job_meta(status=str(status))
    return True


def _notice(subject, run: TrainingRun, status: JobStatus) -> dict[str, Any]:
    """The assistant's own words in the chat that started the training (LangChain's message
    dict format, so the agent reads it back like any other message)."""
    if status is JobStatus.SUCCEEDED:
        text = (
            f"Good news: {subject.name} is ready! Ask me for a picture, for example "
            f'"show {subject.name} on the beach at sunset".'
        )
    elif status is JobStatus.FAILED:
        text = (
            f"I'm sorry, training {subject.name} failed: {run.error} "
            'You can try again with "train ' + subject.name + '".'
        )
    else:
        text = f"Training {subject.name} was cancelled."
    notice = {"notice": f"training.{status}", "subject_id": subject.id, "training_id": run.id}
    return {"type": "ai", "data": {"content": text, "additional_kwargs": {"dreamchat": notice}}}


def finish_lost(ctx: Context, scope: Scope, training_id: str, message: str) -> None:
    """A run whose worker died with no retry left: failed, and its scratch space freed."""
    run = ctx.store.get_training_run(scope, training_id)
    _finish(ctx, scope, run, JobStatus.FAILED, error=message, error_code="worker_lost")
    shutil.rmtree(ctx.settings.work_dir / "trainings" / training_id, ignore_errors=True)


class TrainingRequeued(Exception):
    """Raised out of the job when the worker is stopping: the run was checkpointed at the step
    it reached and goes back to the queue through rq's ``Retry``, whose budget is given back
    first (a shutdown is not a failure). Another worker resumes from the checkpoint."""


def _requeue(ctx: Context, scope: Scope, run: TrainingRun, step: int) -> TrainingRequeued:
    def back(r: TrainingRun) -> None:
        r.status = JobStatus.QUEUED

    ctx.store.update_training_run(scope, run.id, back)
    job = get_current_job()
    if job is not None:  # run in process by a test: nothing to hand back
        job.retries_left = (job.retries_left or 0) + 1
    log.info("training %s paused at step %d for a worker shutdown; requeued", run.id, step)
    return TrainingRequeued(f"worker stopping; training {run.id} requeued at step {step}")


def run_training(
    ctx: Context,
    runtime: WorkerRuntime,
    *,
    scope: Scope,
    training_id: str,
    stopping: threading.Event | None = None,
) -> str:
    """Train one queued (or interrupted) run to its end; returns the final status. When
    ``stopping`` is set (the worker got SIGTERM) the run pauses at its next step and is
    requeued (``TrainingRequeued``)."""
    try:
        run = ctx.store.get_training_run(scope, training_id)
    except NotFound:  # its subject was deleted before a worker got to it: nothing to do
        return "deleted"
    if run.status.is_terminal:
        return str(run.status)  # a duplicate delivery of a finished job
    if run.cancel_requested:
        _finish(ctx, scope, run, JobStatus.CANCELLED)
        return "cancelled"
    run = _start_attempt(ctx, scope, training_id)
    if run.attempt == 1:
        emit_event(
            ctx,
            tenant_id=scope.tenant_id,
            event_type=EventType.TRAINING_STARTED,
            data={"training_id": run.id, "subject_id": run.subject_id, "user_id": scope.user_id},
        )
    publish(
        ctx,
        scope.tenant_id,
        scope.user_id,
        EventType.TRAINING_STARTED,
        {
            "training_id": run.id,
            "subject_id": run.subject_id,
            "attempt": run.attempt,
        },
    )
    work = ctx.settings.work_dir / "trainings" / training_id
    reporter = _Reporter(ctx, scope, run)
    started = time.monotonic()
    try:
        subject = ctx.store.get_subject(scope, run.subject_id)
        config = _config(ctx, runtime, run, subject, work)
        result = train(
            config,
            progress=reporter.progress,
            should_stop=reporter.should_stop,
            should_pause=stopping.is_set if stopping is not None else None,
            base=runtime.base_for_training(),
        )
        prefix = f"{adapter_prefix(scope, subject.id)}/{run.id}"
        upload_dir(ctx.blobs, prefix, result.output_dir)
    except TrainingInterrupted as paused:  # keep the work dir: the checkpoint is in it
        raise _requeue(ctx, scope, run, paused.step) from None
    except TrainingCancelled:
        _finish(ctx, scope, run, JobStatus.CANCELLED)
        shutil.rmtree(work, ignore_errors=True)
        return "cancelled"
    except (TrainerError, DreamchatError) as exc:
        _finish(ctx, scope, run, JobStatus.FAILED, error=exc.message, error_code=exc.code)
        shutil.rmtree(work, ignore_errors=True)
        return "failed"
    except redis.RedisError:
        # Redis went away mid-run (an outage, or `dreamchat run` killed together with its
        # embedded Redis): nothing can be recorded now, so keep the work dir and its
        # checkpoints and let the job fail; RQ's retry, or its abandoned-job handling once Redis
        # is back, hands it to a worker that resumes from the last checkpoint.
        log.warning("training %s lost Redis; its checkpoints are kept for the retry", training_id)
        raise
    except Exception:
        log.exception("training %s failed", training_id)
        shutil.rmtree(work, ignore_errors=True)
        _finish(
            ctx,
            scope,
            run,
            JobStatus.FAILED,
            error="The training failed on our side; try again.",
            error_code="training_error",
        )
        return "failed"
    finally:
        runtime.after_training()
    recorded = _finish(ctx, scope, run, JobStatus.SUCCEEDED, adapter=prefix)
    shutil.rmtree(work, ignore_errors=True)
    if not recorded:  # deleted while it trained; the adapter went with it
        return "deleted"
    _schedule_retention(ctx, scope, run)
    log.info(
        "training %s succeeded in %.1f s (attempt %d)",
        training_id,
        time.monotonic() - started,
        run.attempt,
    )
    return "succeeded"


def _schedule_retention(ctx: Context, scope: Scope, run: TrainingRun) -> None:
    seconds = ctx.settings.photo_retention_seconds
    if seconds is None:
        return
    if seconds == 0:
        purge_photos(
            ctx.store, ctx.blobs, scope=scope, subject_id=run.subject_id, training_id=run.id
        )
    else:
        args = (scope.tenant_id, scope.user_id, run.subject_id, run.id)
        ctx.queue(TRAIN).enqueue_in(
            timedelta(seconds=seconds), PURGE_SUBJECT_PHOTOS, *args, job_timeout=60
        )
