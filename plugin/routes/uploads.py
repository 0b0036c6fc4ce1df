"""Photo uploads: checked, cleaned and stored until attached to a subject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from core import photos
from core.ids import SUBJECT, id_pattern

from ..deps import Api, CurrentScope
from ..errors import responses
from ..schemas import PhotoCheck, UploadResponse

__all__ = ["router"]

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.post(
    "",
    status_code=201,
    summary="Upload one photo",
    responses=responses(401, 403, 404, 409, 413, 415, 422, 429),
)
def upload_photo(
    scope: CurrentScope,
    api: Api,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo.")],
    subject_id: Annotated[
        str | None,
        Form(
            max_length=64,
            json_schema_extra={"pattern": id_pattern(SUBJECT)},
            description="Also check the photo against this subject: duplicates, and a face "
            "for people.",
        ),
    ] = None,
) -> UploadResponse:
    """The photo is checked (see each check's ``code``) and stored without its metadata.
    Rejections (413, 415, 422, 409 for a duplicate) store nothing and list the checks in
    ``error.details.checks``; warnings, such as a blurry photo, store it with ``ok: false``
    (and the chat mentions them when the photo is attached there). Attach it with
    ``POST /v1/subjects/{id}/photos``."""
    stored = photos.accept_upload(
        api.ctx.store,
        api.ctx.blobs,
        scope=scope,
        data=file.file.read(),
        subject_id=subject_id or None,
        settings=api.ctx.settings,
    )
    return UploadResponse(
        upload_id=stored.upload_id,
        width=stored.width,
        height=stored.height,
        checks=[PhotoCheck(code=c.code, ok=c.ok, message=c.message) for c in stored.checks],
    )
