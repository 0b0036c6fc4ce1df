"""Running one generation on a worker: adapters from the blob store, images back into it."""

from __future__ import annotations

import io
import logging
import os

from core.blob_keys import image_key
from core.domain import EventType, Generation, JobStatus, Scope
from core.errors import DreamchatError, InvalidInput, NotFound
from core.ids import IMAGE, new_id
from trainer import ADAPTER_FILE, TrainerError
from trainer.generate import AdapterRef, GenerationRequest

from .context import Context
from .events import emit_event
from .progress import publish
from .runtime import WorkerRuntime

__all__ = ["adapter_refs", "finish_lost", "run_generation"]

log = logging.getLogger(__name__)


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


def _finish(
    ctx: Context, scope: Scope, generation: Generation, status: JobStatus, **changes
) -> Generation | None:
    def update(g: Generation) -> None:
        g.status = status
        g.finished_at = ctx.store.now()
        for name, value in changes.items():
            setattr(g, name, value)

    try:
        done = ctx.store.update_generation(scope, generation.id, update)
    except NotFound:  # its subject was deleted meanwhile: so are the images we just made
        for image_id in changes.get("images", []):
            ctx.blobs.delete(image_key(scope, image_id))
        return None
    data = {
        "generation_id": done.id,
        "user_id": scope.user_id,
        "subject_ids": done.subject_ids,
        "prompt": done.prompt,
        "images": done.images,
        "error": done.error,
        "error_code": done.error_code,
    }
    succeeded = status is JobStatus.SUCCEEDED
    event = EventType.GENERATION_SUCCEEDED if succeeded else EventType.GENERATION_FAILED
    emit_event(ctx, tenant_id=scope.tenant_id, event_type=event, data=data)
    publish(ctx, scope.tenant_id, scope.user_id, event, data)
    return done


def finish_lost(ctx: Context, scope: Scope, generation_id: str, message: str) -> None:
    """A generation whose worker died: failed, so the chat and the webhook say so."""
    generation = ctx.store.get_generation(scope, generation_id)
    if not generation.status.is_terminal:
        _finish(ctx, scope, generation, JobStatus.FAILED, error=message, error_code="worker_lost")


def run_generation(
    ctx: Context, runtime: WorkerRuntime, *, scope: Scope, generation_id: str
) -> str:
    generation = ctx.store.get_generation(scope, generation_id)
    if generation.status.is_terminal:
        return str(generation.status)
    ctx.store.update_generation(
        scope, generation_id, lambda g: setattr(g, "status", JobStatus.STARTED)
    )
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
        images = runtime.generation.generate(request)
        image_ids = []
        for image in images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            image_id = new_id(IMAGE)
            ctx.blobs.put(image_key(scope, image_id), buffer.getvalue())
            image_ids.append(image_id)
    except (TrainerError, DreamchatError) as exc:
        _finish(ctx, scope, generation, JobStatus.FAILED, error=exc.message, error_code=exc.code)
        return "failed"
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
    _finish(ctx, scope, generation, JobStatus.SUCCEEDED, images=image_ids)
    return "succeeded"
