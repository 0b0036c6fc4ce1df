"""Where each kind of blob lives. The whole layout, in one place:

    {tenant}/{user}/uploads/{upload_id}{.ext}              an upload not yet attached
    {tenant}/{user}/subjects/{subject_id}/photos/{name}    a subject's instance photos
    {tenant}/{user}/subjects/{subject_id}/adapter/…        its trained adapter
    {tenant}/{user}/subjects/{subject_id}/checkpoints/{training_id}/step-…/
                                                           a running training's newest checkpoint
    {tenant}/{user}/images/{image_id}.png                  generated images
    _shared/class-prior/{cache_key}/…                      the class-prior cache (no user data:
                                                           images of the bare class prompt)

Everything of one user is under ``user_prefix(scope)`` and everything of one subject under
``subject_prefix``, so deleting either is one ``delete_prefix``. Tenant ids start with a letter
or digit, so ``_shared`` is no tenant's.
"""

from __future__ import annotations

from .blobs import BlobStore, check_key
from .domain import Scope
from .errors import InvalidInput

__all__ = [
    "PHOTO_SUFFIXES",
    "adapter_prefix",
    "checkpoint_prefix",
    "class_prior_prefix",
    "find_upload",
    "image_key",
    "photo_key",
    "subject_prefix",
    "upload_key",
    "user_prefix",
]

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
"""Suffixes an upload may carry; the trainer picks photos out of a directory by suffix."""


def user_prefix(scope: Scope) -> str:
    return f"{scope.tenant_id}/{scope.user_id}"


def upload_key(scope: Scope, upload_id: str, suffix: str = "") -> str:
    if suffix.lower() not in ("", *PHOTO_SUFFIXES):
        raise InvalidInput(
            f"Photos must be one of {', '.join(PHOTO_SUFFIXES)}; got {suffix!r}.",
            code="invalid_photo_type",
        )
    return check_key(f"{user_prefix(scope)}/uploads/{upload_id}{suffix.lower()}")


def find_upload(blobs: BlobStore, scope: Scope, upload_id: str) -> str | None:
    """The key ``upload_id`` was stored under, whatever its suffix; None if it is not there."""
    for suffix in ("", *PHOTO_SUFFIXES):
        key = upload_key(scope, upload_id, suffix)
        if blobs.exists(key):
            return key
    return None


def subject_prefix(scope: Scope, subject_id: str) -> str:
    return check_key(f"{user_prefix(scope)}/subjects/{subject_id}")


def photo_key(scope: Scope, subject_id: str, name: str) -> str:
    return check_key(f"{subject_prefix(scope, subject_id)}/photos/{name}")


def adapter_prefix(scope: Scope, subject_id: str) -> str:
    return f"{subject_prefix(scope, subject_id)}/adapter"


def image_key(scope: Scope, image_id: str) -> str:
    return check_key(f"{user_prefix(scope)}/images/{image_id}.png")


def checkpoint_prefix(scope: Scope, subject_id: str, training_id: str) -> str:
    return check_key(f"{subject_prefix(scope, subject_id)}/checkpoints/{training_id}")


def class_prior_prefix(cache_key: str) -> str:
    """One class-prior cache entry (``trainer.prior.ClassPriorSpec.key``), shared by all."""
    return check_key(f"_shared/class-prior/{cache_key}")
