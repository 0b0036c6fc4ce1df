"""Light RQ jobs that need Redis and the blob store only, never torch: they run on the
``webhooks`` queue, whose CPU workers are always up. A job for the model queues would wait
for a GPU worker, and KEDA scales those to zero while nothing is queued for them."""

from __future__ import annotations

from core.domain import Scope
from core.subjects import purge_photos

from .resources import current

__all__ = ["purge_subject_photos"]


def purge_subject_photos(tenant_id: str, user_id: str, subject_id: str, training_id: str) -> None:
    """The retention setting: source photos go, the adapter stays."""
    ctx = current().ctx
    purge_photos(
        ctx.store,
        ctx.blobs,
        scope=Scope(tenant_id, user_id),
        subject_id=subject_id,
        training_id=training_id,
    )
