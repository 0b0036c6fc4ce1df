"""Training and generation as service functions: what routes, agent tools and the CLI call.

Keyword-only and scoped by the authenticated (tenant, user); a body or a model can't name
another scope. Each validates, records, enqueues — the work itself happens in ``jobs``.

The rules every door shares live here and in ``core``: consent before a person is trained,
the content policy on every training and generation (``core.policy``), the limits.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Sequence
from typing import Any

from rq import Callback, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from core.domain import (
    Consent,
    EventType,
    Generation,
    JobStatus,
    Scope,
    Subject,
    SubjectDeletion,
    SubjectStatus,
    TrainingRun,
)
from core.errors import InvalidInput, NotFound, Unavailable
from core.ids import GENERATION, SUBJECT, TRAINING, check_id, new_id
from core.limits import (
    GENERATION_STEPS,
    IMAGE_SIDE,
    IMAGES_PER_GENERATION,
    SEED,
    TRAINING_STEPS,
    require,
)
from core.policy import enforce, policy_config
from core.subjects import delete_subject as delete_subject_records
from core.subjects import ensure_trainable

from .context import GENERATE, TRAIN, Context
from .events import emit_event
from .job_refs import GENERATE_IMAGES, JOB_LOST, TRAIN_SUBJECT
from .progress import publish

__all__ = [
    "cancel_generation",
    "cancel_job",
    "cancel_training",
    "delete_subject",
    "generate",
    "generation_status",
    "get_generation",
    "job_status",
    "pending_generations",
    "start_training",
    "training_status",
]

_TRAIN_OVERRIDES = {"steps", "learning_rate", "seed"}
_ABANDONED_RETRIES = 3
"""How often a training whose worker died is handed to another worker."""


def _validate_overrides(ctx: Context, overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = set(overrides) - _TRAIN_OVERRIDES
    if unknown:
        raise InvalidInput(
            f"Unknown training option(s): {', '.join(sorted(unknown))}. "
            f"Allowed: {', '.join(sorted(_TRAIN_OVERRIDES))}.",
            code="invalid_training_options",
        )
    clean = dict(overrides)
    steps = clean.get("steps")
    if steps is None:
        steps = ctx.recipe.steps
    allowed = TRAINING_STEPS.narrowed(ctx.settings.max_training_steps)
    require(steps, allowed, field="steps", code="invalid_training_options")
    clean["steps"] = steps
    lr = clean.get("learning_rate")
    if lr is not None and not (isinstance(lr, int | float) and 0 < lr <= 1e-2):
        raise InvalidInput(
            "learning_rate must be above 0 and at most 0.01.", code="invalid_training_options"
        )
    if clean.get("seed") is not None:
        require(clean["seed"], SEED, field="seed", code="invalid_training_options")
    return clean


def _ensure_consent(ctx: Context, scope: Scope, subject: Subject, *, consent: bool) -> None:
    """A person is trained only with their consent, confirmed once and kept on the subject
    (when, and by which user); other subjects need none."""
    if not policy_config(ctx.settings).is_person(subject.class_noun) or subject.consent:
        return
    if not consent:
        raise InvalidInput(
            f"{subject.name!r} is a person ({subject.class_noun}): confirm that this is you or "
            "that they agreed to AI images of them, then ask again with consent.",
            code="consent_required",
            details={"subject_id": subject.id},
        )

    def record(current: Subject) -> None:
        if current.consent is None:
            current.consent = Consent(given_at=ctx.store.now(), user_id=scope.user_id)

    ctx.store.update_subject(scope, subject.id, record)


def start_training(
    ctx: Context,
    *,
    scope: Scope,
    subject_id: str,
    overrides: dict[str, Any] | None = None,
    consent: bool = False,
    conversation_id: str | None = None,
) -> TrainingRun:
    """Queue a training for a subject with enough photos. A person subject needs ``consent``
    once (422 ``consent_required`` without it); its class noun, which goes into the training
    prompts, passes the content policy (422 ``content_policy``). A subject that is already
    training gets ``Conflict("training_in_progress")`` naming the running training, so a
    double click starts one job (HTTP callers add an ``Idempotency-Key`` to get the first
    answer back)."""
    check_id(subject_id, SUBJECT, what="subject")
    options = _validate_overrides(ctx, overrides or {})
    subject = ctx.store.get_subject(scope, subject_id)
    ensure_trainable(subject, settings=ctx.settings)
    enforce([subject.class_noun], [subject], config=policy_config(ctx.settings))
    _ensure_consent(ctx, scope, subject, consent=consent)
    run = TrainingRun(
        id=new_id(TRAINING),
        tenant_id=scope.tenant_id,
        user_id=scope.user_id,
        subject_id=subject_id,
        total_steps=options["steps"],
        overrides=options,
        conversation_id=conversation_id,
    )
    ctx.store.begin_training(scope, run, max_active=ctx.settings.max_concurrent_trainings)
    try:
        ctx.queue(TRAIN).enqueue(
            TRAIN_SUBJECT,
            scope.tenant_id,
            scope.user_id,
            run.id,
            job_id=run.id,
            job_timeout=ctx.settings.train_job_timeout_seconds,
            retry=Retry(max=_ABANDONED_RETRIES),
            on_failure=Callback(JOB_LOST),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"train {subject_id}",
        )
    except Exception:
        ctx.store.finish_training(
            scope,
            run.id,
            status=JobStatus.FAILED,
            error="could not queue the training",
            error_code="queue_unavailable",
        )
        raise
    return run


def _queue_position(ctx: Context, queue_name: str, job_id: str) -> int | None:
    position = ctx.queue(queue_name).get_job_position(job_id)
    return None if position is None else position + 1


def training_status(ctx: Context, *, scope: Scope, training_id: str) -> dict[str, Any]:
    """``GET /v1/jobs/{id}`` for a training: status, progress 0..1, ETA, place in the queue."""
    run = ctx.store.get_training_run(scope, check_id(training_id, TRAINING, what="training"))
    position = _queue_position(ctx, TRAIN, run.id) if run.status is JobStatus.QUEUED else None
    eta = run.eta_seconds
    if run.status is JobStatus.QUEUED:
        ahead = (position or 1) - 1
        eta = (ahead + 1) * ctx.recipe.eta_seconds(run.total_steps)
    return {
        "id": run.id,
        "kind": "training",
        "status": str(run.status),
        "progress": run.progress,
        "step": run.step,
        "total_steps": run.total_steps,
        "eta_seconds": eta,
        "phase": run.phase,
        "class_images": (
            {"done": run.class_images_done, "total": run.class_images_total}
            if run.phase == "class_images"
            else None
        ),
        "queue_position": position,
        "quality": run.quality,
        "attempt": run.attempt,
        "subject_id": run.subject_id,
        "error": None if run.error is None else {"code": run.error_code, "message": run.error},
    }


def cancel_training(ctx: Context, *, scope: Scope, training_id: str) -> dict[str, Any]:
    """A queued training is removed from the queue; a running one stops at its next step."""
    run = ctx.store.get_training_run(scope, check_id(training_id, TRAINING, what="training"))
    if run.status.is_terminal:
        return training_status(ctx, scope=scope, training_id=run.id)
    ctx.store.update_training_run(scope, run.id, lambda r: setattr(r, "cancel_requested", True))
    if run.status is JobStatus.QUEUED:
        _drop_queued_job(ctx, TRAIN, run.id)
        cancelled, _ = ctx.store.finish_training(
            scope, run.id, status=JobStatus.CANCELLED, only_if=JobStatus.QUEUED
        )
        if cancelled.status is not JobStatus.CANCELLED:  # a worker took it meanwhile: it stops
            return training_status(ctx, scope=scope, training_id=run.id)  # at its next step
        # A run requeued by a worker shutdown left its checkpoints (and a copy of the photos)
        # in the shared work dir; no worker will come back for them.
        shutil.rmtree(ctx.settings.work_dir / "trainings" / run.id, ignore_errors=True)
        publish(
            ctx,
            scope.tenant_id,
            scope.user_id,
            EventType.TRAINING_CANCELLED,
            {"training_id": run.id, "subject_id": run.subject_id},
        )
    return training_status(ctx, scope=scope, training_id=run.id)


def generate(
    ctx: Context,
    *,
    scope: Scope,
    subject_ids: Sequence[str],
    prompt: str,
    negative_prompt: str = "",
    count: int = 1,
    width: int | None = None,
    height: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    guidance_scale: float | None = None,
    request_text: str | None = None,
) -> Generation:
    """Queue images of one or more ready subjects. The exact prompt and seed are recorded so a
    result can be reproduced. The content policy sees the prompt, the negative prompt and,
    when the prompt was compiled from someone's words (the chat), ``request_text`` too: a
    compiler drops words, and "without clothes" becomes a negative prompt."""
    settings = ctx.settings
    recipe = ctx.recipe
    width = recipe.image_size if width is None else width
    height = recipe.image_size if height is None else height
    steps = recipe.generation_steps if steps is None else steps
    guidance_scale = recipe.guidance_scale if guidance_scale is None else guidance_scale
    seed = random.randrange(2**31) if seed is None else seed
    require(
        count,
        IMAGES_PER_GENERATION.narrowed(settings.max_images_per_generation),
        field="count",
        code="invalid_generation",
    )
    side = IMAGE_SIDE.narrowed(settings.max_image_size)
    require(width, side, field="width", code="invalid_generation")
    require(height, side, field="height", code="invalid_generation")
    require(steps, GENERATION_STEPS, field="steps", code="invalid_generation")
    require(seed, SEED, field="seed", code="invalid_generation")
    subjects = [
        ctx.store.get_subject(scope, check_id(subject_id, SUBJECT, what="subject"))
        for subject_id in subject_ids
    ]
    enforce(
        [prompt, *([request_text] if request_text else [])],
        subjects,
        negative_prompt=negative_prompt,
        config=policy_config(ctx.settings),
    )
    for subject in subjects:
        if subject.status is not SubjectStatus.READY and not subject.adapter:
            raise InvalidInput(
                f'{subject.name} isn\'t trained yet. Say "train {subject.name}" first.',
                code="subject_not_ready",
                details={"subject_id": subject.id},
            )
    try:
        generation = Generation(
            id=new_id(GENERATION),
            tenant_id=scope.tenant_id,
            user_id=scope.user_id,
            subject_ids=list(subject_ids),
            prompt=prompt.strip(),
            negative_prompt=negative_prompt,
            seed=seed,
            count=count,
            width=width,
            height=height,
            steps=steps,
            guidance_scale=guidance_scale,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InvalidInput(f"Invalid generation request: {exc}", code="invalid_generation") from exc
    ctx.store.insert_generation(scope, generation)
    try:
        ctx.queue(GENERATE).enqueue(
            GENERATE_IMAGES,
            scope.tenant_id,
            scope.user_id,
            generation.id,
            job_id=generation.id,
            job_timeout=ctx.settings.generate_job_timeout_seconds,
            result_ttl=3600,
            failure_ttl=24 * 3600,
            description=f"generate {generation.id}",
            on_failure=Callback(JOB_LOST),
        )
    except Exception as exc:

        def failed(g: Generation) -> None:
            g.status, g.error, g.error_code = (
                JobStatus.FAILED,
                "could not queue the generation",
                "queue_unavailable",
            )

        ctx.store.update_generation(scope, generation.id, failed)
        raise Unavailable(
            "The image queue is unavailable right now; try again in a minute.",
            code="queue_unavailable",
        ) from exc
    return generation


def get_generation(ctx: Context, *, scope: Scope, generation_id: str) -> Generation:
    return ctx.store.get_generation(scope, check_id(generation_id, GENERATION, what="generation"))


def generation_status(ctx: Context, *, scope: Scope, generation_id: str) -> dict[str, Any]:
    """``GET /v1/jobs/{id}`` for a generation: the denoising step reached, ETA, queue place."""
    g = get_generation(ctx, scope=scope, generation_id=generation_id)
    position = _queue_position(ctx, GENERATE, g.id) if g.status is JobStatus.QUEUED else None
    progress = {JobStatus.SUCCEEDED: 1.0, JobStatus.STARTED: g.step / g.steps}.get(g.status, 0.0)
    return {
        "id": g.id,
        "kind": "generation",
        "status": str(g.status),
        "progress": min(progress, 1.0),
        "step": g.step,
        "total_steps": g.steps,
        "eta_seconds": g.eta_seconds if g.status is JobStatus.STARTED else None,
        "queue_position": position,
        "error": None if g.error is None else {"code": g.error_code, "message": g.error},
    }


def pending_generations(ctx: Context, *, scope: Scope) -> list[Generation]:
    """The person's generations that are queued or running, newest first."""
    return [g for g in ctx.store.list_generations(scope) if not g.status.is_terminal]


def cancel_generation(ctx: Context, *, scope: Scope, generation_id: str) -> dict[str, Any]:
    """A queued generation is cancelled at once and never runs; a running one stops at its
    next denoising step (poll until ``status`` is ``cancelled``), storing no images. A
    finished one is left as it is."""
    generation = get_generation(ctx, scope=scope, generation_id=generation_id)
    if not generation.status.is_terminal:
        was: list[JobStatus] = []

        def cancel(g: Generation) -> None:
            was[:] = [g.status]
            if g.status.is_terminal:
                return
            g.cancel_requested = True
            if g.status is JobStatus.QUEUED:
                g.status, g.finished_at = JobStatus.CANCELLED, ctx.store.now()

        generation = ctx.store.update_generation(scope, generation.id, cancel)
        if was == [JobStatus.QUEUED]:
            # The record decides: a worker that took the job meanwhile finds it cancelled
            # and stops before it starts. Leaving the queue keeps the others' positions true.
            _drop_queued_job(ctx, GENERATE, generation.id)
            publish(
                ctx,
                scope.tenant_id,
                scope.user_id,
                EventType.GENERATION_CANCELLED,
                generation.event_data(),
            )
    return generation_status(ctx, scope=scope, generation_id=generation.id)


def _drop_queued_job(ctx: Context, queue_name: str, job_id: str) -> None:
    """Take a job off its queue and forget it, unless a worker took it already: the removal
    and a worker's dequeue are each one Redis command, so only one of them gets the job. A
    worker that got it finds the record cancelled and returns. (rq's ``Job.cancel()`` keeps
    the job's hash for good in a registry nothing cleans.)"""
    if ctx.queue(queue_name).remove(job_id):
        try:
            Job.fetch(job_id, connection=ctx.redis).delete(remove_from_queue=False)
        except NoSuchJobError:
            pass


def job_status(ctx: Context, *, scope: Scope, job_id: str) -> dict[str, Any]:
    """One status shape for both kinds of job (``trn_…`` and ``gen_…`` ids)."""
    if job_id.startswith(TRAINING + "_"):
        return training_status(ctx, scope=scope, training_id=job_id)
    if job_id.startswith(GENERATION + "_"):
        return generation_status(ctx, scope=scope, generation_id=job_id)
    raise NotFound(f"No job {job_id!r}.", code="job_not_found")


def cancel_job(ctx: Context, *, scope: Scope, job_id: str) -> dict[str, Any]:
    """Cancel a training or a generation by its job id; answers its status."""
    if job_id.startswith(TRAINING + "_"):
        return cancel_training(ctx, scope=scope, training_id=job_id)
    if job_id.startswith(GENERATION + "_"):
        return cancel_generation(ctx, scope=scope, generation_id=job_id)
    raise NotFound(f"No job {job_id!r}.", code="job_not_found")


def delete_subject(ctx: Context, *, scope: Scope, subject_id: str) -> SubjectDeletion:
    """Delete a subject with everything made from it, and tell the tenant (``subject.deleted``).

    Its jobs stop. Queued ones are cancelled first, so they leave the queue and never run: its
    training and every generation that uses it. Running ones are not told: a running training
    stops at its next step and a running generation at its next denoising step when their
    workers find the records gone, and they write nothing more (a cancel would have them
    announce it, possibly after the deletion). What a job stored just before, an adapter or
    images, it deletes again when it can't record it (``worker.training``, ``worker.generation``).
    """
    subject = ctx.store.get_subject(scope, check_id(subject_id, SUBJECT, what="subject"))
    _cancel_queued_jobs(ctx, scope, subject)
    deletion = delete_subject_records(
        ctx.store, ctx.blobs, scope=scope, subject_id=subject_id, force=True
    )
    emit_event(
        ctx,
        tenant_id=scope.tenant_id,
        event_type=EventType.SUBJECT_DELETED,
        data=deletion.event_data(),
    )
    return deletion


def _cancel_queued_jobs(ctx: Context, scope: Scope, subject: Subject) -> None:
    generations = ctx.store.list_subject_generations(scope, subject.id)
    queued = [g.id for g in generations if g.status is JobStatus.QUEUED]
    if subject.status is SubjectStatus.TRAINING and subject.training_job_id:
        queued.append(subject.training_job_id)  # queued or running: job_status tells
    for job_id in queued:
        try:
            if job_status(ctx, scope=scope, job_id=job_id)["status"] == JobStatus.QUEUED:
                cancel_job(ctx, scope=scope, job_id=job_id)
        except NotFound:  # gone with another subject of the same generation just now
            pass
