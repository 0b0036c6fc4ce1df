"""Generations: images of one or more trained subjects."""

from __future__ import annotations

from fastapi import APIRouter

from core.domain import Generation, Scope
from worker import services

from ..deps import Ctx, CurrentScope, Idempotent, ImageLinker, ImageLinks
from ..errors import responses
from ..schemas import GenerationCreate, GenerationId, GenerationOut, ImageOut, JobError

__all__ = ["generation_out", "router"]

router = APIRouter(
    prefix="/v1/generations", tags=["generations"], responses=responses(401, 403, 422, 429)
)


def generation_out(generation: Generation, scope: Scope, links: ImageLinker) -> GenerationOut:
    """A generation as the API shows it, with freshly signed image URLs."""
    error = None
    if generation.error is not None:
        error = JobError(code=generation.error_code, message=generation.error)
    return GenerationOut(
        id=generation.id,
        status=generation.status,
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        seed=generation.seed,
        subject_ids=generation.subject_ids,
        count=generation.count,
        width=generation.width,
        height=generation.height,
        images=[ImageOut(id=i, url=links.url(scope, i)) for i in generation.images],
        error=error,
        created_at=generation.created_at,
    )


@router.post("", status_code=202, summary="Generate images", responses=responses(404, 409))
def create_generation(
    body: GenerationCreate,
    ctx: Ctx,
    scope: CurrentScope,
    links: ImageLinks,
    idempotency: Idempotent,
) -> GenerationOut:
    """Queues the generation (``status: queued``); poll ``GET /v1/generations/{id}`` or wait for
    the ``generation.succeeded`` webhook. The prompt is used as given, so name subjects by
    their token (``a photo of sks dog``). Without a ``seed`` one is picked and returned.
    A request the content policy refuses is 422 ``content_policy``, its message saying what
    can be made instead."""

    def start() -> GenerationOut:
        generation = services.generate(ctx, scope=scope, **body.model_dump())
        return generation_out(generation, scope, links)

    return idempotency.run("generation.create", body.model_dump(), GenerationOut, start)


@router.get("/{generation_id}", summary="Get a generation", responses=responses(404))
def get_generation(
    generation_id: GenerationId, ctx: Ctx, scope: CurrentScope, links: ImageLinks
) -> GenerationOut:
    """``images`` carry signed URLs that expire; fetch the generation again for fresh ones."""
    generation = services.get_generation(ctx, scope=scope, generation_id=generation_id)
    return generation_out(generation, scope, links)
