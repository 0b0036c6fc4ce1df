"""Redis vanishing mid-training (an outage, or ``dreamchat run`` killed together with its
embedded Redis) must not cost the run its checkpoints: the job fails with the connection
error and the retry resumes from the last checkpoint."""

from __future__ import annotations

import pytest
import redis

from core.domain import Scope
from worker import services
from worker.runtime import WorkerRuntime
from worker.training import run_training

pytestmark = pytest.mark.slow


def test_losing_redis_mid_training_keeps_the_checkpoints(service, photos_dir, monkeypatch):
    ctx = service.ctx
    scope = Scope("ten_loss", "gil")
    subject = service.trainable_subject(scope, photos_dir)
    run = services.start_training(ctx, scope=scope, subject_id=subject.id, overrides={"steps": 12})
    real = ctx.store.update_training_run

    def failing_after_step_six(scope_, run_id, change):
        record = real(scope_, run_id, change)
        if record.step > 6:
            raise redis.ConnectionError("Connection refused")  # what a dead server gives
        return record

    monkeypatch.setattr(ctx.store, "update_training_run", failing_after_step_six)
    with pytest.raises(redis.ConnectionError):
        run_training(ctx, WorkerRuntime(ctx.settings), scope=scope, training_id=run.id)
    checkpoints = ctx.settings.work_dir / "trainings" / run.id / "output" / "checkpoints"
    assert [p.name for p in checkpoints.iterdir() if p.name.startswith("step-")], "deleted"
