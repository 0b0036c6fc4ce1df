"""Trainer fixtures: a class cache and one adapter shared by the run (models: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer import TrainConfig, train
from trainer.quiet import quiet_libraries

quiet_libraries()


TINY_CLIP_VISION = dict(
    hidden_size=32,
    intermediate_size=64,
    num_attention_heads=2,
    num_hidden_layers=2,
    image_size=32,
    patch_size=8,
)
"""A CLIP vision tower small enough to build in a test (random weights, nothing fetched)."""


def tiny_clip_image_processor():
    from transformers import CLIPImageProcessor

    return CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})


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
