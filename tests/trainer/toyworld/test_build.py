"""The ToyWorld build: a loadable diffusers pipeline with its recipe, reproducible from a seed,
and a run resumed from its checkpoint ends with the same weights as one never interrupted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from trainer.toyworld.build import RECIPE_FILE, BuildConfig, build
from trainer.toyworld.checksums import ChecksumError, verify_checksums

pytestmark = pytest.mark.slow

TINY = dict(
    images=64, batch_size=4, vae_batch_size=4, minutes_budget=0.2, warmup_steps=2, threads=1
)


def _weights(model: Path) -> dict[str, str]:
    return {
        p.relative_to(model).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(model.rglob("*.safetensors"))
    }


def test_a_tiny_build_is_a_pipeline_with_a_recipe_and_is_reproducible(tmp_path):
    config = BuildConfig(**TINY, checkpoint_every=0)
    assert (config.vae_steps, config.unet_steps) == (3, 6)
    first = build(tmp_path / "a", config)
    second = build(tmp_path / "b", config)
    assert _weights(first.path) == _weights(second.path)
    assert len(_weights(first.path)) == 3  # vae, unet, text encoder
    recipe = json.loads((first.path / RECIPE_FILE).read_text())
    assert recipe["native_resolution"] == 32 and recipe["recipe"]["resolution"] == 32
    assert recipe["build"]["config"]["seed"] == 0
    assert recipe["build"]["threads"] == 1
    # the real architecture whatever the budget: the size limit holds for every build
    assert first.size_bytes <= 10_000_000
    sizes = {p.parent.name: p.stat().st_size for p in first.path.rglob("*.safetensors")}
    assert 7_000_000 < sizes["unet"] < 8_500_000 and 1_000_000 < sizes["vae"] < 1_500_000
    files = [p for p in first.path.rglob("*") if p.is_file() and p.name != "SHA256SUMS"]
    assert verify_checksums(first.path) == len(files) >= 10
    other = build(tmp_path / "c", BuildConfig(**TINY, checkpoint_every=0, seed=1))
    assert _weights(other.path) != _weights(first.path)
    (other.path / "unet" / "config.json").write_text("{}")
    with pytest.raises(ChecksumError, match="changed: unet/config.json"):
        verify_checksums(other.path)

    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(first.path, dtype=torch.float32)
    image = pipe(
        "a photo of a dog on the beach",
        num_inference_steps=2,
        guidance_scale=3.0,
        generator=torch.Generator().manual_seed(0),
    ).images[0]
    assert image.size == (32, 32)


def test_resume_from_a_checkpoint_gives_the_same_weights(tmp_path):
    config = BuildConfig(**TINY, checkpoint_every=3)
    whole = build(tmp_path / "whole", config)
    # stop after the checkpoint at step 3: a second run resumes from it
    partial = tmp_path / "cut-partial"
    steps: list[int] = []

    class Stop(Exception):
        pass

    def stop_after_checkpoint(phase: str, step: int, total: int, loss: float) -> None:
        steps.append(step)
        if phase == "unet" and step == config.vae_steps + 4:
            raise Stop

    with pytest.raises(Stop):
        build(tmp_path / "cut", config, progress=stop_after_checkpoint)
    assert (partial / "build-state.pt").is_file() and (partial / "model_index.json").is_file()
    resumed = build(tmp_path / "cut", config, resume=True)
    assert _weights(resumed.path) == _weights(whole.path)
    with pytest.raises(ValueError, match="other settings"):
        build(tmp_path / "cut", BuildConfig(**{**TINY, "seed": 5}, checkpoint_every=3), resume=True)
