"""Subjects of the calling end user: create, list, rename, delete, attach photos, train."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from core import subjects
from worker import services

from ..deps import Ctx, CurrentScope, Idempotent
from ..errors import responses
from ..schemas import (
    AttachPhotos,
    SubjectCreate,
    SubjectDeleted,
    SubjectId,
    SubjectList,
    SubjectOut,
    SubjectRename,
    TrainRequest,
    TrainResponse,
)

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/subjects", tags=["subjects"], responses=responses(401, 403, 422, 429)
)


@router.get("", summary="List the user's subjects")
def list_subjects(ctx: Ctx, scope: CurrentScope) -> SubjectList:
    """Oldest first."""
    return SubjectList(
        data=[SubjectOut.of(s) for s in subjects.list_subjects(ctx.store, scope=scope)]
    )


@router.post("", status_code=201, summary="Create a subject", responses=responses(409))
def create_subject(body: SubjectCreate, ctx: Ctx, scope: CurrentScope) -> SubjectOut:
    """The subject gets a rare token, unique for this user, that stands for it in prompts.
    Names are unique per user (409 ``subject_name_taken``)."""
    return SubjectOut.of(
        subjects.create_subject(ctx.store, scope=scope, name=body.name, class_noun=body.class_noun)
    )


@router.get("/{subject_id}", summary="Get a subject", responses=responses(404))
def get_subject(subject_id: SubjectId, ctx: Ctx, scope: CurrentScope) -> SubjectOut:
    return SubjectOut.of(subjects.get_subject(ctx.store, scope=scope, subject_id=subject_id))


@router.patch("/{subject_id}", summary="Rename a subject", responses=responses(404, 409))
def rename_subject(
    subject_id: SubjectId, body: SubjectRename, ctx: Ctx, scope: CurrentScope
) -> SubjectOut:
    return SubjectOut.of(
        subjects.rename_subject(ctx.store, scope=scope, subject_id=subject_id, name=body.name)
    )


@router.delete(
    "/{subject_id}", summary="Delete a subject and all made from it", responses=responses(404)
)
def delete_subject(subject_id: SubjectId, ctx: Ctx, scope: CurrentScope) -> SubjectDeleted:
    """Removes its photos, adapter, trainings and the images generated with it and sends
    ``subject.deleted`` to the tenant's webhooks. Its jobs stop first: a queued training or
    generation never runs, a running one stops at its next step and stores nothing."""
    return SubjectDeleted.of(services.delete_subject(ctx, scope=scope, subject_id=subject_id))


@router.post(
    "/{subject_id}/photos", summary="Attach uploaded photos", responses=responses(404, 409)
)
def attach_photos(
    subject_id: SubjectId, body: AttachPhotos, ctx: Ctx, scope: CurrentScope
) -> SubjectOut:
    """All of them or none: on any error nothing is attached. Attaching an upload twice is
    harmless. A subject holds at most ``DREAMCHAT_MAX_PHOTOS`` photos (422 ``too_many_photos``)."""
    return SubjectOut.of(
        subjects.attach_photos(
            ctx.store,
            ctx.blobs,
            scope=scope,
            subject_id=subject_id,
            upload_ids=body.upload_ids,
            settings=ctx.settings,
        )
    )


@router.post(
    "/{subject_id}/train",
    status_code=202,
    summary="Start training the subject",
    responses=responses(404, 409),
)
def train_subject(
    subject_id: SubjectId,
    ctx: Ctx,
    scope: CurrentScope,
    idempotency: Idempotent,
    body: Annotated[TrainRequest | None, Body()] = None,
) -> TrainResponse:
    """Queues a training (poll ``GET /v1/jobs/{job_id}`` or listen for webhooks). A person
    subject needs ``"consent": true`` once (422 ``consent_required``); a class noun the content
    policy refuses is 422 ``content_policy``. Send an ``Idempotency-Key`` and a retried request
    returns the first answer instead of a 409 ``training_in_progress``."""
    overrides = body.overrides() if body else {}
    consent = body.consent if body else False

    def start() -> TrainResponse:
        run = services.start_training(
            ctx, scope=scope, subject_id=subject_id, overrides=overrides, consent=consent
        )
        return TrainResponse(job_id=run.id, subject_id=run.subject_id, status=run.status)

    request: dict[str, object] = {"subject_id": subject_id, "overrides": overrides}
    if consent:  # a repeat that adds consent is a different request
        request["consent"] = True
    return idempotency.run("subject.train", request, TrainResponse, start)
