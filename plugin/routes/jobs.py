"""Jobs: trainings (``trn_…``) and generations (``gen_…``) under one status shape."""

from __future__ import annotations

from fastapi import APIRouter

from worker import services

from ..deps import Ctx, CurrentScope
from ..errors import responses
from ..schemas import JobId, JobOut

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=responses(401, 403, 404, 422, 429))


@router.get("/{job_id}", summary="Status, progress, ETA and queue position of a job")
def get_job(job_id: JobId, ctx: Ctx, scope: CurrentScope) -> JobOut:
    return JobOut.model_validate(services.job_status(ctx, scope=scope, job_id=job_id))


@router.post("/{job_id}/cancel", summary="Cancel a training or a generation")
def cancel_job(job_id: JobId, ctx: Ctx, scope: CurrentScope) -> JobOut:
    """A queued job leaves the queue at once and never runs (``status: cancelled``); a running
    training stops at its next step and a running generation at its next denoising step,
    storing no images (poll until ``status`` is ``cancelled``). Cancelling a finished job
    changes nothing: the answer is its status."""
    return JobOut.model_validate(services.cancel_job(ctx, scope=scope, job_id=job_id))
