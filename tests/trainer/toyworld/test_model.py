"""The committed ToyWorld model (``models/toyworld``): the files that were built, within size.

CI never rebuilds it (an hour on 2 cores); ``docs/toyworld.md`` has the command that did.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.toyworld.checksums import verify_checksums

MODEL = Path(__file__).resolve().parents[3] / "models" / "toyworld"

pytestmark = pytest.mark.skipif(
    not (MODEL / "model_index.json").is_file(), reason="models/toyworld is not committed yet"
)


def test_files_match_their_checksums():
    assert verify_checksums(MODEL) >= 10


def test_the_model_stays_small():
    files = [p for p in MODEL.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 10_000_000
    weights = {p.parent.name: p.stat().st_size for p in MODEL.rglob("*.safetensors")}
    assert set(weights) == {"unet", "vae", "text_encoder"}
    # fp16 files of the build's shapes: a different architecture or dtype shows here
    assert 7_000_000 < weights["unet"] < 8_500_000
    assert 1_000_000 < weights["vae"] < 1_500_000
    assert 200_000 < weights["text_encoder"] < 400_000


def test_the_recipe_is_beside_the_pipeline():
    recipe = json.loads((MODEL / "toyworld.json").read_text())
    assert recipe["native_resolution"] == 32
    assert {"steps", "lr", "rank", "num_class_images", "sampler_steps", "image_size"} <= set(
        recipe["recipe"]
    )


@pytest.mark.timeout(1200)  # 40 pictures: ~75 s on a slow 2-core machine, more when busy
def test_it_draws_what_it_is_told():
    """The committed model draws the world's classes and scenes well above chance (a third and a
    fifth): the ten check prompts, 4 pictures each (``dreamchat toyworld check`` samples 8).
    At the commit, with 8: class 0.99, scene 0.96 (docs/toyworld.md has the per-prompt table)."""
    from trainer.toyworld.check import check_model

    _, table = check_model(MODEL, count=4)
    classes = [row["class"] for row in table]
    scenes = [row["scene"] for row in table if row["scene"] is not None]
    assert sum(classes) / len(classes) >= 0.8, table
    assert sum(scenes) / len(scenes) >= 0.8, table


def test_the_committed_recipe_is_the_one_a_build_writes():
    """Tuning the recipe means changing both (docs/toybench.md): the build's and the model's."""
    from trainer.toyworld.build import BuildConfig, recipe

    committed = json.loads((MODEL / "toyworld.json").read_text())["recipe"]
    assert committed == recipe(BuildConfig(), minutes=0, vae_loss=0, unet_loss=0)["recipe"]
