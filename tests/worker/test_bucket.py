"""Training and generation with the S3 blob store (moto's server on loopback), in process:
photos, the class-prior cache, checkpoints, adapters and images all live in the bucket, and a
node with an empty data dir finds there what another left."""

from __future__ import annotations

import json

import pytest

from core.blob_keys import (
    adapter_prefix,
    checkpoint_prefix,
    image_key,
    subject_prefix,
    user_prefix,
)
from core.domain import JobStatus, Scope
from core.subjects import delete_subject
from trainer import ADAPTER_FILE
from worker import services
from worker.context import context_from_settings
from worker.generation import run_generation
from worker.runtime import WorkerRuntime
from worker.shared_state import SharedTrainingState
from worker.training import run_training

from .harness import ServiceEnv

pytestmark = pytest.mark.slow


@pytest.fixture
def bucket_service(redis_url, tiny_sd, s3_server, tmp_path):
    env = ServiceEnv(
        redis_url, tmp_path / "node-a", tiny_sd, **s3_server.env(s3_server.create_bucket())
    )
    yield env
    env.close()


def test_train_and_generate_with_everything_in_the_bucket(
    bucket_service, photos_dir, tmp_path, monkeypatch
):
    ctx = bucket_service.ctx
    scope = Scope("ten_s3", "ivy")
    subject = bucket_service.trainable_subject(scope, photos_dir)
    assert len(subject.photos) == 4
    assert ctx.blobs.list_prefix(f"{subject_prefix(scope, subject.id)}/photos") == sorted(
        subject.photos
    )
    run = services.start_training(ctx, scope=scope, subject_id=subject.id, overrides={"steps": 8})
    stored = checkpoint_prefix(scope, subject.id, run.id)
    seen: list[list[str]] = []  # what the bucket holds right after each checkpoint
    real = SharedTrainingState.checkpointed

    def checkpointed(self, path):
        real(self, path)
        seen.append(ctx.blobs.list_prefix(stored))

    monkeypatch.setattr(SharedTrainingState, "checkpointed", checkpointed)
    runtime = WorkerRuntime(ctx.settings)
    assert run_training(ctx, runtime, scope=scope, training_id=run.id) == "succeeded"
    assert len(seen) == 1 and f"{stored}/step-000005.json" in seen[0]
    assert f"{stored}/step-000005/unet_lora.safetensors" in seen[0]
    assert ctx.blobs.list_prefix(stored) == []  # ...and once it ended, nothing
    assert not (ctx.settings.work_dir / "trainings" / run.id).exists()

    subject = ctx.store.get_subject(scope, subject.id)
    assert subject.adapter and subject.adapter.startswith(adapter_prefix(scope, subject.id))
    report = json.loads(ctx.blobs.get(f"{subject.adapter}/training.json"))
    assert report["class_images"]["generated"] == 2
    entries = ctx.blobs.list_prefix("_shared/class-prior")
    assert [key.rsplit("/", 1)[1] for key in entries] == [
        "00000.png",
        "00001.png",
        "latents.safetensors",
        "prior.json",
    ]

    # Another node, its data dir empty: the class images come from the bucket, and the
    # adapter too (into its local adapter cache) when it generates.
    other = context_from_settings(ctx.settings.model_copy(update={"data_dir": tmp_path / "node-b"}))
    second = bucket_service.trainable_subject(scope, photos_dir, name="Tom", class_noun="dog")
    again = services.start_training(
        other, scope=scope, subject_id=second.id, overrides={"steps": 6}
    )
    other_runtime = WorkerRuntime(other.settings)
    assert run_training(other, other_runtime, scope=scope, training_id=again.id) == "succeeded"
    second = other.store.get_subject(scope, second.id)
    report = json.loads(other.blobs.get(f"{second.adapter}/training.json"))
    assert report["class_images"] == report["class_images"] | {"generated": 0, "count": 2}

    generation = services.generate(
        other,
        scope=scope,
        subject_ids=[subject.id],
        prompt=f"a photo of {subject.identifier}",
        count=2,
    )
    assert run_generation(other, other_runtime, scope=scope, generation_id=generation.id) == (
        "succeeded"
    )
    done = other.store.get_generation(scope, generation.id)
    assert done.status is JobStatus.SUCCEEDED and len(done.images) == 2
    for image_id in done.images:
        assert ctx.blobs.get(image_key(scope, image_id)).startswith(b"\x89PNG")
    cached = other.settings.work_dir / "adapters" / subject.adapter / ADAPTER_FILE
    assert cached.read_bytes() == ctx.blobs.get(f"{subject.adapter}/{ADAPTER_FILE}")
    assert not (tmp_path / "node-b" / "blobs").exists()  # nothing went to a local store

    deletion = delete_subject(ctx.store, ctx.blobs, scope=scope, subject_id=subject.id)
    assert deletion.blobs_deleted >= 4 + 2 + 2  # photos, adapter files, images
    remaining = ctx.blobs.list_prefix(user_prefix(scope))
    assert remaining and all(k.startswith(subject_prefix(scope, second.id)) for k in remaining)
