"""Housekeeping jobs run on the always-up CPU workers of the ``webhooks`` queue: a deployment
whose GPU workers are scaled to zero (KEDA, manifests/) still deletes photos on time."""

from __future__ import annotations

import types

import pytest

from core.domain import Scope
from worker.training import _schedule_retention

from .harness import ServiceEnv, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(redis_url, tiny_sd, tmp_path_factory):
    env = ServiceEnv(
        redis_url, tmp_path_factory.mktemp("data"), tiny_sd, DREAMCHAT_PHOTO_RETENTION_SECONDS="2"
    )
    yield env
    env.close()


def test_delayed_photo_retention_needs_no_model_worker(service, photos_dir):
    ctx = service.ctx
    worker = service.start_worker("webhooks")  # the only worker: nobody serves train/generate
    scope = Scope("ten_keep", "hana")
    subject = service.trainable_subject(scope, photos_dir)
    photo_keys = list(subject.photos)
    run = types.SimpleNamespace(id="trn_housekeeping1", subject_id=subject.id)
    ctx.store.update_subject(scope, subject.id, lambda s: setattr(s, "training_job_id", run.id))

    _schedule_retention(ctx, scope, run)  # what a finished training does
    assert all(ctx.blobs.exists(k) for k in photo_keys)  # not before its time

    purged = wait_for(
        lambda: ctx.store.get_subject(scope, subject.id).photos_purged_at, 60, "the purge", worker
    )
    assert purged is not None
    assert ctx.store.get_subject(scope, subject.id).photos == []
    # The record lets go of the photos first, then the blobs go (a crash in between leaves
    # unreferenced blobs, never references to missing ones): the deletion follows shortly.
    wait_for(
        lambda: not any(ctx.blobs.exists(k) for k in photo_keys),
        30,
        "the photo blobs' deletion",
        worker,
    )
