"""A generation submitted while a training runs is served by a second worker at once."""

from __future__ import annotations

import pytest

from core.domain import JobStatus, Scope
from worker import services

from .harness import wait_for

pytestmark = pytest.mark.slow


def test_generation_does_not_wait_for_a_running_training(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_conc", "frank")
    worker = service.start_worker()
    ready = service.trainable_subject(scope, photos_dir, name="Ready")
    run = services.start_training(ctx, scope=scope, subject_id=ready.id, overrides={"steps": 2})
    wait_for(
        lambda: ctx.store.get_training_run(scope, run.id).status is JobStatus.SUCCEEDED,
        120,
        "first training",
        worker,
    )

    busy = service.trainable_subject(scope, photos_dir, name="Busy")
    long_run = services.start_training(
        ctx, scope=scope, subject_id=busy.id, overrides={"steps": 2000}
    )
    wait_for(
        lambda: ctx.store.get_training_run(scope, long_run.id).step > 0,
        120,
        "long training to run",
        worker,
    )
    second = service.start_worker()
    generation = services.generate(
        ctx, scope=scope, subject_ids=[ready.id], prompt="a photo of it on the moon"
    )
    done = wait_for(
        lambda: (
            (
                g := services.get_generation(ctx, scope=scope, generation_id=generation.id)
            ).status.is_terminal
            and g
        ),
        60,
        "the generation",
        second,
    )
    assert done.status is JobStatus.SUCCEEDED, done.error
    training = ctx.store.get_training_run(scope, long_run.id)
    assert training.status is JobStatus.STARTED  # still training: nobody waited for it
    services.cancel_training(ctx, scope=scope, training_id=long_run.id)
    wait_for(
        lambda: ctx.store.get_training_run(scope, long_run.id).status.is_terminal,
        30,
        "cancel",
        worker,
    )
