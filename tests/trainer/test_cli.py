"""The console script, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def dreamchat(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dreamchat.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_tiny_model_train_generate(tmp_path, photos_dir, class_cache):
    model = tmp_path / "tiny"
    made = dreamchat("tiny-model", model)
    assert made.returncode == 0, made.stderr
    assert (model / "model_index.json").is_file() and (
        model / "tokenizer" / "tokenizer.json"
    ).is_file()

    out = tmp_path / "adapter"
    trained = dreamchat(
        "train",
        "--base-model",
        model,
        "--photos",
        photos_dir,
        "--token",
        "sks",
        "--class-noun",
        "dog",
        "--output",
        out,
        "--steps",
        3,
        "--resolution",
        64,
        "--batch-size",
        1,
        "--num-class-images",
        2,
        "--class-sampler-steps",
        2,
        "--class-cache",
        class_cache,
    )
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["steps"] == 3 and summary["adapter"].endswith("pytorch_lora_weights.safetensors")
    photos = sorted(p.name for p in photos_dir.iterdir() if p.suffix == ".png")
    assert summary["captions"] == [[p, "a photo of sks dog"] for p in photos]  # no captioner
    assert "training" in trained.stderr and "3/3" in trained.stderr  # the progress bar
    report = json.loads((out / "training.json").read_text())
    assert report["config"]["batch_size"] == 1 and report["config"]["class_cache_dir"] == str(
        class_cache
    )

    image = tmp_path / "img.png"
    gen = dreamchat(
        "generate",
        "--base-model",
        model,
        "--adapter",
        out,
        "--prompt",
        "a photo of sks dog in paris",
        "--out",
        image,
        "--steps",
        2,
        "--width",
        64,
        "--height",
        64,
        "--count",
        2,
    )
    assert gen.returncode == 0, gen.stderr
    files = sorted(tmp_path.glob("img-*.png"))
    assert [f.name for f in files] == ["img-0.png", "img-1.png"]
    assert Image.open(files[0]).size == (64, 64)


def test_bad_photos_give_a_clear_error_and_exit_code(tmp_path, tiny_sd):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "one.png").write_bytes(b"nope")
    result = dreamchat(
        "train",
        "--base-model",
        tiny_sd,
        "--photos",
        tmp_path / "photos",
        "--token",
        "sks",
        "--class-noun",
        "dog",
        "--output",
        tmp_path / "out",
    )
    assert result.returncode == 2
    assert "error [too_few_photos]" in result.stderr and "at least 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_value(tmp_path, tiny_sd, photos_dir):
    result = dreamchat(
        "train",
        "--base-model",
        tiny_sd,
        "--photos",
        photos_dir,
        "--token",
        "sks",
        "--class-noun",
        "dog",
        "--output",
        tmp_path,
        "--resolution",
        100,
    )
    assert result.returncode == 2 and "resolution must be a multiple of 8" in result.stderr


def test_missing_base_model(tmp_path, photos_dir):
    result = dreamchat(
        "train",
        "--base-model",
        tmp_path / "nowhere",
        "--photos",
        photos_dir,
        "--token",
        "sks",
        "--class-noun",
        "dog",
        "--output",
        tmp_path / "o",
    )
    assert result.returncode == 2 and "base_model_not_found" in result.stderr


def test_train_and_generate_start_from_the_models_recipe(
    tmp_path, tiny_sd, photos_dir, class_cache
):
    """A model that carries a recipe (dreamchat.json) trains and draws with it when no flag says
    otherwise, as the service does: a ToyWorld user typing `dreamchat train` must not get
    Stable Diffusion's 512 px and 100 class images. A flag still wins."""
    model = tmp_path / "model"
    shutil.copytree(tiny_sd, model)
    recipe = {
        "native_resolution": 32,
        "recipe": {
            "steps": 2,
            "lr": 3e-3,
            "rank": 2,
            "resolution": 32,
            "num_class_images": 2,
            "class_sampler_steps": 2,
            "image_size": 32,
            "sampler_steps": 2,
            "guidance_scale": 3.0,
            "negative_prompt": "",
        },
    }
    (model / "dreamchat.json").write_text(json.dumps(recipe))
    out = tmp_path / "adapter"
    trained = dreamchat(
        "train", "--base-model", model, "--photos", photos_dir, "--token", "sks",
        "--class-noun", "dog", "--output", out, "--class-cache", class_cache, "--rank", 4,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert f"defaults from {model / 'dreamchat.json'}" in trained.stderr
    config = json.loads((out / "training.json").read_text())["config"]
    assert (config["steps"], config["resolution"], config["lr"]) == (2, 32, 3e-3)
    assert (config["num_class_images"], config["class_sampler_steps"]) == (2, 2)
    assert config["rank"] == 4  # the flag

    image = tmp_path / "img.png"
    gen = dreamchat(
        "generate", "--base-model", model, "--adapter", out, "--prompt", "a photo of sks dog",
        "--out", image,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    assert Image.open(image).size == (32, 32)
    assert "defaults from" in gen.stderr
