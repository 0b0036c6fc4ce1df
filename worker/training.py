"""Running one training run on a worker: from a queued run record to an adapter in the blobs.

Written to be run again: a worker killed mid-training leaves the run ``started`` with
checkpoints on its disk and in the blob store (``shared_state``); RQ hands the job to another
worker, on any node, which lands here, counts a new attempt, fetches the newest checkpoint and
the class-prior images, and ``train(..., resume=True)`` continues from there. The user sees one
training: same id, same record, one ``training.started`` and one final event.
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

from core.blob_keys import adapter_prefix, checkpoint_prefix, class_prior_prefix
from core.blobs import upload_dir
from core.domain import EventType, JobStatus, Scope, TrainingRun
from core.errors import DreamchatError, NotFound, Unavailable
from core.subjects import purge_photos
from trainer import (
    BaseModel,
    TrainConfig,
    TrainerError,
    TrainingCancelled,
    TrainingInterrupted,
    TrainProgress,
    train,
)
from trainer.setup import class_prior_spec

from .context import WEBHOOKS, Context
from .events import emit_event
from .job_refs import PURGE_SUBJECT_PHOTOS
from .progress import Throttle, publish, set_job_meta
from .runtime import WorkerRuntime
from .shared_state import SharedTrainingState

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
    s, recipe = ctx.settings, ctx.recipe
    return TrainConfig(
        base_model=s.resolved_base_model,
        photos=(str(_fetch_photos(ctx, subject.photos, work / "photos")),),
        token=subject.token,
        class_noun=subject.class_noun,
        output_dir=str(work / "output"),
        **{
            **recipe.train_values(),
            "steps": run.total_steps,
            "lr": float(run.overrides.get("learning_rate", recipe.learning_rate)),
        },
        batch_size=s.train_batch_size,
        class_cache_dir=str(s.class_cache_dir),
        mixed_precision=runtime.mixed_precision,  # type: ignore[arg-type]
        checkpoint_every=s.checkpoint_every,
        resume=True,
        seed=int(run.overrides.get("seed", 0)),
        validation_samples=s.quality_samples,
        quality_model=s.quality_model,
        caption_model=s.caption_model,
        metadata={"subject_id": subject.id, "training_id": run.id},
    )


def _shared_state(
    ctx: Context, scope: Scope, run: TrainingRun, config: TrainConfig, base: BaseModel
) -> SharedTrainingState:
    """The run's checkpoints and its class-prior cache entry, mirrored in the blob store."""
    entry = class_prior_spec(config).key(base.fingerprint) if config.prior else None
    return SharedTrainingState(
        ctx.blobs,
        checkpoints=Path(config.output_dir) / "checkpoints",  # TrainConfig.resume reads there
        checkpoint_prefix=checkpoint_prefix(scope, run.subject_id, run.id),
        class_prior=config.resolved_class_cache_dir / entry if entry else None,
        class_prior_prefix=class_prior_prefix(entry) if entry else None,
    )


def _drop_work(ctx: Context, scope: Scope, run: TrainingRun) -> None:
    """The run is over: free its scratch space and delete its checkpoints from the blob store."""
    shutil.rmtree(ctx.settings.work_dir / "trainings" / run.id, ignore_errors=True)
    try:
        ctx.blobs.delete_prefix(checkpoint_prefix(scope, run.subject_id, run.id))
    except DreamchatError:
        log.warning("could not delete the checkpoints of training %s", run.id, exc_info=True)


class _Reporter:
    """Progress → job meta, run record, SSE channel, and (every 10 %) ``training.progress``."""

    def __init__(self, ctx: Context, scope: Scope, run: TrainingRun, step_seconds: float):
        self.ctx, self.scope, self.run = ctx, scope, run
        self.step_seconds = step_seconds
        self.throttle = Throttle(0.5)
        self.cancel_check = Throttle(0.5)
        self.cancelled = False
        self.last_decile = -1

    def progress(self, p: TrainProgress) -> None:
        sampling = p.phase == "class_images"
        last = p.done == p.count if sampling else p.step == p.total
        if not self.throttle.ready(force=last):
            return
        fraction = p.step / p.total
        eta = max(p.eta_s, 0.0)
        if sampling:  # the steps are still to come: the estimate the service quotes for them
            eta += p.total * self.step_seconds

        def update(run: TrainingRun) -> None:
            run.step, run.progress, run.eta_seconds = p.step, min(fraction, 1.0), eta
            run.phase = p.phase
            if sampling:
                run.class_images_done, run.class_images_total = p.done, p.count

        self.ctx.store.update_training_run(self.scope, self.run.id, update)
        event = {
            "training_id": self.run.id,
            "subject_id": self.run.subject_id,
            "phase": p.phase,
            "step": p.step,
            "total": p.total,
            "progress": round(fraction, 4),
            "eta_seconds": round(eta, 1),
            "loss": None if sampling else p.loss,
        }
        if sampling:
            event["class_images"] = {"done": p.done, "total": p.count}
        set_job_meta(
            progress=event["progress"], step=p.step, eta_seconds=event["eta_seconds"], phase=p.phase
        )
        publish(
            self.ctx, self.scope.tenant_id, self.scope.user_id, EventType.TRAINING_PROGRESS, event
        )
        if sampling:
            return
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
    data: dict[str, Any] = {
        "training_id": run.id,
        "subject_id": run.subject_id,
        "user_id": scope.user_id,
        "status": str(status),
        "error": finished.error,
        "error_code": finished.error_code,
    }
    if status is JobStatus.SUCCEEDED:
        data["quality"] = finished.quality
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
        text = _ready_text(subject, run.quality)
    elif status is JobStatus.FAILED:
        text = (
            f"I'm sorry, training {subject.name} failed: {run.error} "
            'You can try again with "train ' + subject.name + '".'
        )
    else:
        text = f"Training {subject.name} was cancelled."
    notice = {"notice": f"training.{status}", "subject_id": subject.id, "training_id": run.id}
    return {"type": "ai", "data": {"content": text, "additional_kwargs": {"dreamchat": notice}}}


def _ready_text(subject, quality: dict[str, Any] | None) -> str:
    """The ready notice, in the words of the quality report when there is one."""
    example = f'"show {subject.name} on the beach"'
    if not quality or not quality.get("measured"):
        return f"Good news: {subject.name} is ready! Ask me for a picture, for example {example}."
    everyday = f"the everyday '{subject.class_noun}'"
    if quality["verdict"] == "untrained":
        return (
            f"{subject.name}'s training finished, but my test pictures don't look like your "
            "photos yet, so it learned too little to be useful. Try training again with more "
            "steps, or with more photos that show it clearly from different sides."
        )
    if quality["verdict"] == "drifted":
        return (
            f"{subject.name} is ready — the test pictures match your photos, but {everyday} "
            f"now looks a lot like {subject.name} too, so pictures of other "
            f"{subject.class_noun}s may come out like {subject.name}. Try it: {example}."
        )
    match = (
        "match your photos well" if quality["verdict"] == "good" else "look partly like your photos"
    )
    unchanged = "is unchanged" if quality["class_drift"] < 0.1 else "changed only a little"
    return (
        f"{subject.name} is ready — the test pictures {match}; {everyday} {unchanged}. "
        f"Ask me for a picture, for example {example}."
    )


def finish_lost(ctx: Context, scope: Scope, training_id: str, message: str) -> None:
    """A run whose worker died with no retry left: failed, its scratch space and checkpoints
    freed."""
    run = ctx.store.get_training_run(scope, training_id)
    _finish(ctx, scope, run, JobStatus.FAILED, error=message, error_code="worker_lost")
    _drop_work(ctx, scope, run)


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
    reporter = _Reporter(ctx, scope, run, ctx.recipe.step_seconds)
    started = time.monotonic()
    try:
        subject = ctx.store.get_subject(scope, run.subject_id)
        config = _config(ctx, runtime, run, subject, work)
        base = runtime.base_for_training()
        shared = _shared_state(ctx, scope, run, config, base)
        shared.restore()
        result = train(
            config,
            progress=reporter.progress,
            should_stop=reporter.should_stop,
            should_pause=stopping.is_set if stopping is not None else None,
            on_checkpoint=shared.checkpointed,
            base=base,
        )
        shared.save_class_prior()
        prefix = f"{adapter_prefix(scope, subject.id)}/{run.id}"
        upload_dir(ctx.blobs, prefix, result.output_dir)
    except TrainingInterrupted as paused:  # keep the checkpoints, here and in the blob store
        raise _requeue(ctx, scope, run, paused.step) from None
    except TrainingCancelled:
        _finish(ctx, scope, run, JobStatus.CANCELLED)
        _drop_work(ctx, scope, run)
        return "cancelled"
    except (redis.RedisError, Unavailable) as exc:
        # Redis or the blob store went away mid-run (an outage, or `dreamchat run` killed
        # together with its embedded Redis): keep the work dir and the checkpoints and let the
        # job fail; RQ's retry, or its abandoned-job handling once Redis is back, hands it to a
        # worker that resumes from the last checkpoint.
        log.warning("training %s lost %s; its checkpoints are kept for the retry", training_id, exc)
        raise
    except (TrainerError, DreamchatError) as exc:
        _finish(ctx, scope, run, JobStatus.FAILED, error=exc.message, error_code=exc.code)
        _drop_work(ctx, scope, run)
        return "failed"
    except Exception:
        log.exception("training %s failed", training_id)
        _drop_work(ctx, scope, run)
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
    recorded = _finish(
        ctx, scope, run, JobStatus.SUCCEEDED, adapter=prefix, quality=result.report["quality"]
    )
    _drop_work(ctx, scope, run)
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
        ctx.queue(WEBHOOKS).enqueue_in(  # CPU workers, always up (worker/housekeeping.py)
            timedelta(seconds=seconds), PURGE_SUBJECT_PHOTOS, *args, job_timeout=60
        )
