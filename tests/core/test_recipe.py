"""The service's training and generation defaults follow the base model being served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.recipe import (
    GPU_DEFAULTS,
    GPU_NEGATIVE_PROMPT,
    model_recipe,
    native_resolution,
    service_recipe,
)
from core.settings import load_settings


def _pipeline_dir(root: Path, *, sample_size: int, vae_blocks: int, recipe: dict | None = None):
    (root / "unet").mkdir(parents=True)
    (root / "vae").mkdir()
    (root / "model_index.json").write_text("{}")
    (root / "unet" / "config.json").write_text(json.dumps({"sample_size": sample_size}))
    blocks = [128, 256, 512, 512][:vae_blocks]
    (root / "vae" / "config.json").write_text(json.dumps({"block_out_channels": blocks}))
    if recipe is not None:
        (root / "dreamchat.json").write_text(
            json.dumps({"native_resolution": sample_size * 2 ** (vae_blocks - 1), "recipe": recipe})
        )
    return root


def test_native_resolution_comes_from_the_configs(tmp_path: Path) -> None:
    assert native_resolution(_pipeline_dir(tmp_path / "sd15", sample_size=64, vae_blocks=4)) == 512
    assert native_resolution(_pipeline_dir(tmp_path / "xl", sample_size=128, vae_blocks=4)) == 1024
    assert native_resolution(tmp_path / "missing") is None


def test_tiny_and_toyworld_models(tiny_sd: Path) -> None:
    assert native_resolution(tiny_sd) == 64
    toyworld = Path(__file__).parents[2] / "models" / "toyworld"
    if not (toyworld / "model_index.json").is_file():
        pytest.skip("the ToyWorld model is not committed yet")
    native, recipe, source = model_recipe(toyworld)
    assert native == native_resolution(toyworld) == 32
    assert recipe["image_size"] == 32 and source.endswith("toyworld.json")


def test_a_real_model_without_a_recipe_gets_gpu_defaults(tmp_path: Path) -> None:
    sd15 = _pipeline_dir(tmp_path / "sd15", sample_size=64, vae_blocks=4)
    recipe = service_recipe(load_settings(data_dir=tmp_path, base_model=str(sd15)))
    assert (recipe.resolution, recipe.image_size) == (512, 512)
    assert recipe.steps == GPU_DEFAULTS["steps"]
    assert recipe.num_class_images == GPU_DEFAULTS["num_class_images"]
    assert "GPU defaults" in recipe.source
    hub = service_recipe(
        load_settings(data_dir=tmp_path, base_model="stabilityai/stable-diffusion-xl-base-1.0")
    )
    assert hub.resolution == 1024


def test_the_models_recipe_then_settings_win(tmp_path: Path) -> None:
    small = _pipeline_dir(
        tmp_path / "small",
        sample_size=16,
        vae_blocks=2,
        recipe={"steps": 300, "lr": 1e-3, "rank": 16, "num_class_images": 50, "sampler_steps": 12},
    )
    recipe = service_recipe(load_settings(data_dir=tmp_path, base_model=str(small)))
    assert (recipe.resolution, recipe.steps, recipe.learning_rate) == (32, 300, 1e-3)
    assert (recipe.rank, recipe.num_class_images, recipe.generation_steps) == (16, 50, 12)
    assert recipe.eta_seconds(300) == pytest.approx(
        300 * recipe.step_seconds + 50 * recipe.class_image_seconds
    )
    overridden = service_recipe(
        load_settings(
            data_dir=tmp_path,
            base_model=str(small),
            default_training_steps=40,
            num_class_images=0,
            image_size=64,
        )
    )
    assert (overridden.steps, overridden.num_class_images, overridden.image_size) == (40, 0, 64)
    assert overridden.rank == 16  # not overridden: still the model's
    assert "settings override" in overridden.source


def test_a_recipe_outside_the_limits_is_fitted(tmp_path: Path) -> None:
    model = _pipeline_dir(
        tmp_path / "m", sample_size=16, vae_blocks=2, recipe={"steps": 5000, "image_size": 4096}
    )
    recipe = service_recipe(
        load_settings(data_dir=tmp_path, base_model=str(model), max_training_steps=1000)
    )
    assert recipe.steps == 1000
    assert recipe.image_size <= load_settings().max_image_size


def test_the_negative_prompt_follows_the_model(tmp_path: Path) -> None:
    """A GPU model gets the usual quality negatives; a model whose captions never held such
    words says so in its recipe ("" for ToyWorld); a setting wins over both, "" included."""
    sd15 = _pipeline_dir(tmp_path / "sd15", sample_size=64, vae_blocks=4)
    gpu = service_recipe(load_settings(data_dir=tmp_path, base_model=str(sd15)))
    assert gpu.negative_prompt == GPU_NEGATIVE_PROMPT and "blurry" in gpu.negative_prompt
    toy = _pipeline_dir(
        tmp_path / "toy", sample_size=16, vae_blocks=2, recipe={"negative_prompt": ""}
    )
    assert (
        service_recipe(load_settings(data_dir=tmp_path, base_model=str(toy))).negative_prompt == ""
    )
    told = load_settings(data_dir=tmp_path, base_model=str(toy), negative_prompt="text, frame")
    assert service_recipe(told).negative_prompt == "text, frame"
    cleared = load_settings(data_dir=tmp_path, base_model=str(sd15), negative_prompt="")
    assert service_recipe(cleared).negative_prompt == ""
    committed = Path(__file__).parents[2] / "models" / "toyworld"
    if (committed / "toyworld.json").is_file():
        assert model_recipe(committed)[1]["negative_prompt"] == ""
