"""Generated images behind signed, expiring URLs, so ``<img src>`` works without headers."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse

from core.blob_keys import image_key
from core.blobs import BlobNotFound
from core.errors import NotFound

from ..deps import Api
from ..errors import responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/images", tags=["images"])

_MAX_CACHE_SECONDS = 24 * 3600


@router.get(
    "/{image_id}",
    summary="A generated image (signed URL)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        **responses(403, 404),
    },
)
def get_image(
    image_id: str,
    api: Api,
    t: Annotated[str | None, Query(description="Tenant")] = None,
    u: Annotated[str | None, Query(description="End user")] = None,
    exp: Annotated[str | None, Query(description="Expiry, Unix time")] = None,
    sig: Annotated[str | None, Query(description="Signature")] = None,
) -> Response:
    """Use the URLs from ``GET /v1/generations/{id}`` as they are: a changed, missing or
    expired signature gets 403. The image never changes, so it may be cached until the URL
    expires."""
    now = api.ctx.store.now().timestamp()
    scope = api.signer.verify_image(image_id, tenant_id=t, user_id=u, expires=exp, sig=sig, now=now)
    key = image_key(scope, image_id)  # well-formed: we signed it
    max_age = max(0, min(_MAX_CACHE_SECONDS, math.floor(int(exp or 0) - now)))
    headers = {
        "Cache-Control": f"private, max-age={max_age}, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    path = api.ctx.blobs.local_path(key)
    if path is not None and path.is_file():
        return FileResponse(path, media_type="image/png", headers=headers)
    try:
        return Response(api.ctx.blobs.get(key), media_type="image/png", headers=headers)
    except BlobNotFound:
        raise NotFound("The image no longer exists.", code="image_not_found") from None
