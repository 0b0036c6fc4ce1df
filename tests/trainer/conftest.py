"""Trainer fixtures: the tiny pipelines, synthetic photos, and one adapter shared by the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dreamchat.demo import synthetic_photos
from dreamchat.trainer import TrainConfig, build_tiny_pipeline, train
from dreamchat.trainer.quiet import quiet_libraries

quiet_libraries()


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sdxl", xl=True)


@pytest.fixture(scope="session")
def photos_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("photos")
    synthetic_photos(out, count=4)
    return out


@pytest.fixture(scope="session")
def class_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("class-cache")


def tiny_config(base: Path, photos: Path, output: Path, **overrides) -> TrainConfig:
    """The smallest meaningful run: 64 px, batch 1 + prior, a handful of class images."""
    values = dict(
        base_model=str(base),
        photos=(str(photos),),
        token="sks",
        class_noun="dog",
        output_dir=str(output),
        steps=8,
        resolution=64,
        batch_size=1,
        num_class_images=4,
        class_sampler_steps=3,
    )
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture(scope="session")
def trained_adapter(tiny_sd, photos_dir, class_cache, tmp_path_factory):
    """One adapter for every test that only needs *an* adapter."""
    out = tmp_path_factory.mktemp("adapter")
    return train(
        tiny_config(tiny_sd, photos_dir, out, steps=12, lr=5e-3, class_cache_dir=str(class_cache))
    )
