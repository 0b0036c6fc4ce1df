"""RQ job functions: top-level, ids and primitives in, one service call each.

Each worker process builds its ``Context`` and ``WorkerRuntime`` once (from the environment,
like every process) and every job borrows them.
"""

from __future__ import annotations

from functools import lru_cache

from core.domain import Scope
from core.errors import NotFound
from core.settings import get_settings
from core.subjects import purge_photos

from .context import Context, context_from_settings
from .generation import finish_lost as finish_lost_generation
from .generation import run_generation
from .runtime import get_runtime
from .training import finish_lost, run_training

__all__ = ["generate_images", "job_context", "job_lost", "purge_subject_photos", "train_subject"]


@lru_cache(maxsize=1)
def job_context() -> Context:
    return context_from_settings(get_settings())


def train_subject(tenant_id: str, user_id: str, training_id: str) -> str:
    ctx = job_context()
    return run_training(
        ctx, get_runtime(ctx.settings), scope=Scope(tenant_id, user_id), training_id=training_id
    )


def generate_images(tenant_id: str, user_id: str, generation_id: str) -> str:
    ctx = job_context()
    return run_generation(
        ctx, get_runtime(ctx.settings), scope=Scope(tenant_id, user_id), generation_id=generation_id
    )


def job_lost(job, connection, exc_type, exc_value, tb) -> None:
    """RQ's failure callback, also run for jobs whose worker died. The job functions settle
    their own records on every error they can see, so reaching here means the process was
    lost: once no retry is left, end the run (and free the tenant's training slot) instead of
    leaving it "started" for good."""
    if job.retries_left:  # RQ hands it to another worker next
        return
    tenant_id, user_id, record_id = job.args[:3]
    ctx, scope = job_context(), Scope(tenant_id, user_id)
    message = "The worker running this stopped unexpectedly; please try again."
    try:
        if record_id.startswith("trn_"):
            finish_lost(ctx, scope, record_id, message)
        elif record_id.startswith("gen_"):
            finish_lost_generation(ctx, scope, record_id, message)
    except NotFound:
        pass


def purge_subject_photos(tenant_id: str, user_id: str, subject_id: str, training_id: str) -> None:
    """The retention setting: source photos go, the adapter stays."""
    ctx = job_context()
    purge_photos(
        ctx.store,
        ctx.blobs,
        scope=Scope(tenant_id, user_id),
        subject_id=subject_id,
        training_id=training_id,
    )
