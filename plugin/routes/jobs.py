"""Jobs: trainings (``trn_…``) and generations (``gen_…``) under one status shape."""

from __future__ import annotations

from fastapi import APIRouter

from core.errors import Conflict
from core.ids import GENERATION
from worker import services

from ..deps import Ctx, CurrentScope
from ..errors import responses
from ..schemas import JobId, JobOut

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=responses(401, 403, 404, 422, 429))


@router.get("/{job_id}", summary="Status, progress, ETA and queue position of a job")
def get_job(job_id: JobId, ctx: Ctx, scope: CurrentScope) -> JobOut:
    return JobOut.model_validate(services.job_status(ctx, scope=scope, job_id=job_id))


@router.post("/{job_id}/cancel", summary="Cancel a training", responses=responses(409))
def cancel_job(job_id: JobId, ctx: Ctx, scope: CurrentScope) -> JobOut:
    """A queued training leaves the queue at once; a running one stops at its next step
    (poll until ``status`` is ``cancelled``). Cancelling a finished job changes nothing.
    Generations take seconds and can't be cancelled (409)."""
    if job_id.startswith(GENERATION + "_"):
        services.get_generation(ctx, scope=scope, generation_id=job_id)  # 404 if not theirs
        raise Conflict("Generations can't be cancelled.", code="not_cancellable")
    return JobOut.model_validate(services.cancel_training(ctx, scope=scope, training_id=job_id))
