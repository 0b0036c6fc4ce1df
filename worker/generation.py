"""Running one generation on a worker: adapters from the blob store, images back into it.

A generation stops at its next denoising step when it is cancelled (``cancel_requested`` on
its record) or when its record is gone (its subject was deleted): the worker looks at the
record at most every ``POLL_SECONDS`` from the pipeline's step callback, in the same
transaction that records the step reached. A generation whose subject was deleted writes
nothing; images it stored just before the deletion are deleted again by ``_finish``.
"""

from __future__ import annotations

import io
import logging
import os
import time

from core.blob_keys import image_key
from core.domain import EventType, Generation, JobStatus, Scope
from core.errors import DreamchatError, InvalidInput, NotFound
from core.ids import IMAGE, new_id
from trainer import ADAPTER_FILE, GenerationCancelled, TrainerError
from trainer.generate import AdapterRef, GenerationRequest

from .context import Context
from .events import emit_event
from .progress import Throttle, publish
from .runtime import WorkerRuntime

__all__ = ["POLL_SECONDS", "adapter_refs", "finish_lost", "run_generation"]

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
"""How often a running generation reads its record: a cancel takes effect within this plus
one denoising step, for one small Redis transaction per poll."""
_EVENTS = {
    JobStatus.SUCCEEDED: EventType.GENERATION_SUCCEEDED,
    JobStatus.FAILED: EventType.GENERATION_FAILED,
    JobStatus.CANCELLED: EventType.GENERATION_CANCELLED,
}


def adapter_refs(ctx: Context, scope: Scope, subject_ids: list[str]) -> tuple[AdapterRef, ...]:
    """One ``AdapterRef`` per subject. The name is the subject id and the path names the
    training run, so a retrained subject is reloaded instead of served from the LRU."""
    refs = []
    for subject_id in subject_ids:
        subject = ctx.store.get_subject(scope, subject_id)
        if not subject.adapter:
            raise InvalidInput(
                f"{subject.name!r} has no trained model yet.", code="subject_not_ready"
            )
        key = f"{subject.adapter}/{ADAPTER_FILE}"
        path = ctx.blobs.local_path(key)
        if path is None:  # a remote blob store: cache the file locally
            path = ctx.settings.work_dir / "adapters" / key
            if not path.is_file():  # written aside and renamed: a reader never sees half a file
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.{os.getpid()}.part")
                partial.write_bytes(ctx.blobs.get(key))
                os.replace(partial, path)
        refs.append(AdapterRef(name=subject.id, path=str(path)))
    return tuple(refs)


class _Watch:
    """The pipeline's ``progress`` and ``should_stop``: steps are counted in memory; the
    throttled poll reads the cancel flag, in the same transaction that records the step
    reached when there is a new one."""

    def __init__(self, ctx: Context, scope: Scope, generation_id: str):
        self.ctx, self.scope, self.generation_id = ctx, scope, generation_id
        self.throttle = Throttle(POLL_SECONDS)
        self.started = time.monotonic()
        self.step = self.total = self.recorded = 0
        self.cancelled = self.deleted = False

    def progress(self, step: int, total: int) -> None:
        self.step, self.total = step, total

    def should_stop(self, *, force: bool = False) -> bool:
        if not (self.cancelled or self.deleted) and self.throttle.ready(force=force):
            self._poll()
        return self.cancelled or self.deleted

    def _poll(self) -> None:
        step = self.step
        elapsed = time.monotonic() - self.started

        def record(g: Generation) -> None:
            if g.status is JobStatus.STARTED and step > g.step:
                g.step, g.eta_seconds = step, (self.total - step) * elapsed / step

        store = self.ctx.store
        try:
            if step > self.recorded:
                generation = store.update_generation(self.scope, self.generation_id, record)
                self.recorded = step
            else:
                generation = store.get_generation(self.scope, self.generation_id)
        except NotFound:
            self.deleted = True
            return
        self.cancelled = generation.cancel_requested


def _finish(
    ctx: Context, scope: Scope, generation: Generation, status: JobStatus, **changes
) -> Generation | None:
    """End the generation once and tell the user (and, but for a cancel, the tenant's
    webhooks). None if it had ended already or is gone, in which case images it names in
    ``changes`` are deleted: nothing will ever point at them."""
    ended: list[bool] = []

    def update(g: Generation) -> None:
        ended.clear()
        if g.status.is_terminal:
            return
        g.status = status
        g.finished_at = ctx.store.now()
        g.eta_seconds = None
        for name, value in changes.items():
            setattr(g, name, value)
        ended.append(True)

    try:
        done = ctx.store.update_generation(scope, generation.id, update)
    except NotFound:  # its subject was deleted meanwhile
        done = None
    if done is None or not ended:
        for image_id in changes.get("images", []):
            ctx.blobs.delete(image_key(scope, image_id))
        return None
    event = _EVENTS[status]
    if event.is_webhook:
        emit_event(ctx, tenant_id=scope.tenant_id, event_type=event, data=done.event_data())
    publish(ctx, scope.tenant_id, scope.user_id, event, done.event_data())
    return done


def finish_lost(ctx: Context, scope: Scope, generation_id: str, message: str) -> None:
    """A generation whose worker died: failed, so the chat and the webhook say so."""
    generation = ctx.store.get_generation(scope, generation_id)
    if not generation.status.is_terminal:
        _finish(ctx, scope, generation, JobStatus.FAILED, error=message, error_code="worker_lost")


def _begin(ctx: Context, scope: Scope, generation_id: str) -> Generation | None:
    """Mark it started unless it ended or was cancelled first; None if it is gone."""

    def start(g: Generation) -> None:
        if not g.status.is_terminal and not g.cancel_requested:
            g.status = JobStatus.STARTED

    try:
        return ctx.store.update_generation(scope, generation_id, start)
    except NotFound:
        return None


def run_generation(
    ctx: Context, runtime: WorkerRuntime, *, scope: Scope, generation_id: str
) -> str:
    """Make the images and store them; returns the final status, or ``deleted`` when the
    generation's subject was deleted before or while it ran."""
    generation = _begin(ctx, scope, generation_id)
    if generation is None:
        return "deleted"
    if generation.status.is_terminal:
        return str(generation.status)  # cancelled while queued, or a duplicate delivery
    if generation.cancel_requested:
        _finish(ctx, scope, generation, JobStatus.CANCELLED)
        return "cancelled"
    watch = _Watch(ctx, scope, generation_id)
    try:
        request = GenerationRequest(
            prompt=generation.prompt,
            adapters=adapter_refs(ctx, scope, generation.subject_ids),
            negative_prompt=generation.negative_prompt,
            count=generation.count,
            width=generation.width,
            height=generation.height,
            steps=generation.steps,
            guidance_scale=generation.guidance_scale,
            seed=generation.seed,
        )
        runtime.setup()
        images = runtime.generation.generate(
            request, progress=watch.progress, should_stop=watch.should_stop
        )
        if watch.should_stop(force=True):  # a cancel that came during the last step wins
            raise GenerationCancelled("generation stopped after its last step")
        image_ids = []
        for image in images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            image_id = new_id(IMAGE)
            ctx.blobs.put(image_key(scope, image_id), buffer.getvalue())
            image_ids.append(image_id)
    except GenerationCancelled as stopped:
        log.info("generation %s: %s", generation_id, stopped.message)
        if watch.deleted:
            return "deleted"
        _finish(ctx, scope, generation, JobStatus.CANCELLED, step=watch.step)
        return "cancelled"
    except (TrainerError, DreamchatError) as exc:  # its subject's adapter gone, too
        if watch.deleted:
            return "deleted"
        failed = _finish(
            ctx, scope, generation, JobStatus.FAILED, error=exc.message, error_code=exc.code
        )
        return "failed" if failed else "deleted"
    except Exception:
        log.exception("generation %s failed", generation_id)
        _finish(
            ctx,
            scope,
            generation,
            JobStatus.FAILED,
            error="Generation failed on our side; try again.",
            error_code="generation_error",
        )
        return "failed"
    if _finish(ctx, scope, generation, JobStatus.SUCCEEDED, images=image_ids) is None:
        return "deleted"
    return "succeeded"
