"""The quality report every training writes: real sampling, a real (tiny, random) vision model."""

from __future__ import annotations

import json

import pytest
import torch

from trainer import train
from trainer.quality import affordable_samples, load_embedder, verdict

from .conftest import TINY_CLIP_VISION, tiny_clip_image_processor, tiny_config


@pytest.fixture(scope="module")
def tiny_vision_model(tmp_path_factory):
    """A CLIP vision tower with random weights, saved like a downloaded one (nothing fetched)."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    path = tmp_path_factory.mktemp("vision") / "tiny-clip-vision"
    torch.manual_seed(0)
    config = CLIPVisionConfig(**TINY_CLIP_VISION, projection_dim=16)
    CLIPVisionModelWithProjection(config).save_pretrained(path)
    tiny_clip_image_processor().save_pretrained(path)
    return path


def test_a_training_reports_its_quality(
    tiny_sd, photos_dir, class_cache, tmp_path, tiny_vision_model
):
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=6,
        class_cache_dir=str(class_cache),
        validation_samples=2,
        validation_budget=0,  # six steps: the default 15 % would not buy one picture
        quality_model=str(tiny_vision_model),
    )
    result = train(config)
    quality = json.loads((tmp_path / "out" / "training.json").read_text())["quality"]
    assert quality == result.report["quality"]
    assert quality["measured"] is True
    assert quality["embedding"] == "tiny-clip-vision"
    assert quality["samples"] == 2
    for key in ("subject_fidelity", "class_drift"):
        assert 0.0 <= quality[key] <= 1.0
    assert quality["class_change"] >= 0.0
    assert quality["verdict"] in ("good", "weak", "untrained", "drifted")
    assert quality["seconds"] > 0 and quality["share_of_training"] > 0
    assert result.timings["quality"] >= quality["seconds"] * 0.9


def test_a_check_that_would_outweigh_the_training_is_skipped(
    tiny_sd, photos_dir, class_cache, tmp_path, tiny_vision_model
):
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=2,
        class_cache_dir=str(class_cache),
        validation_samples=4,
        validation_budget=0.01,  # 1 % of two steps: less than one picture
        quality_model=str(tiny_vision_model),
    )
    result = train(config)
    quality = result.report["quality"]
    assert quality["measured"] is False and "too short" in quality["reason"], quality
    assert "share_of_training" not in quality


def test_the_budget_sets_how_many_pictures():
    plan = dict(seconds_per_image=0.5, sets=2)
    assert affordable_samples(4, budget_seconds=None, **plan) == 4  # no limit
    assert affordable_samples(4, budget_seconds=100.0, **plan) == 4  # never more than wanted
    assert affordable_samples(4, budget_seconds=2.0, **plan) == 2  # 2 × (2 sets × 0.5 s)
    assert affordable_samples(4, budget_seconds=0.9, **plan) == 0
    assert affordable_samples(4, budget_seconds=2.9, seconds_per_image=0.5, sets=3) == 1


def test_no_embedding_no_report(tiny_sd, photos_dir, class_cache, tmp_path):
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=2,
        class_cache_dir=str(class_cache),
        validation_samples=2,
    )
    assert train(config).report["quality"] == {
        "measured": False,
        "reason": "no image embedding for this base model",
    }
    off = config.replace(validation_samples=0, output_dir=str(tmp_path / "off"))
    assert train(off).report["quality"] is None


def test_embedders(tiny_sd, tmp_path, tiny_vision_model):
    assert load_embedder(None, str(tiny_sd)) is None  # a random base: nothing to judge with
    assert load_embedder("off", str(tiny_sd)) is None
    toy = load_embedder("toyworld", str(tiny_sd))
    from PIL import Image

    images = [Image.new("RGB", (32, 32), c) for c in ("red", "blue", "red")]
    vectors = toy.embed(images)
    assert vectors.shape[0] == 3
    assert torch.allclose(vectors.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(vectors[0], vectors[2])
    clip = load_embedder(str(tiny_vision_model), str(tiny_sd))
    assert clip.embed(images).shape == (3, 16)


def test_verdicts():
    assert verdict(0.1, 0.0).code == "untrained" and not verdict(0.1, 0.0).learned
    assert verdict(0.9, 0.0).code == "good"
    assert verdict(0.35, 0.0).code == "weak"
    assert verdict(0.9, 0.6).code == "drifted"
