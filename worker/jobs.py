"""RQ job functions: top-level, ids and primitives in, one service call each.

Each takes what its worker process created once — the ``Context`` and the warm
``WorkerRuntime`` — from :func:`worker.resources.current`; nothing is built from the environment
inside a job.
"""

from __future__ import annotations

from core.domain import Scope
from core.errors import NotFound

from .generation import finish_lost as finish_lost_generation
from .generation import run_generation

# Purges that an earlier version scheduled on the `train` queue still resolve here.
from .housekeeping import purge_subject_photos  # noqa: F401
from .resources import current
from .training import finish_lost, run_training

__all__ = ["generate_images", "job_lost", "train_subject"]


def train_subject(tenant_id: str, user_id: str, training_id: str) -> str:
    lent = current()
    return run_training(
        lent.ctx,
        lent.runtime,
        scope=Scope(tenant_id, user_id),
        training_id=training_id,
        stopping=lent.stopping,
    )


def generate_images(tenant_id: str, user_id: str, generation_id: str) -> str:
    lent = current()
    return run_generation(
        lent.ctx, lent.runtime, scope=Scope(tenant_id, user_id), generation_id=generation_id
    )


def job_lost(job, connection, exc_type, exc_value, tb) -> None:
    """RQ's failure callback, also run for jobs whose worker died. The job functions settle
    their own records on every error they can see, so reaching here means the process was
    lost: once no retry is left, end the run (and free the tenant's training slot) instead of
    leaving it "started" for good."""
    if job.retries_left:  # RQ hands it to another worker next
        return
    tenant_id, user_id, record_id = job.args[:3]
    ctx, scope = current().ctx, Scope(tenant_id, user_id)
    message = "The worker running this stopped unexpectedly; please try again."
    try:
        if record_id.startswith("trn_"):
            finish_lost(ctx, scope, record_id, message)
        elif record_id.startswith("gen_"):
            finish_lost_generation(ctx, scope, record_id, message)
    except NotFound:
        pass
