"""Training on the tiny model: outputs, LoRA keys, and a diffusers round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline
from safetensors import safe_open

from trainer import ADAPTER_FILE, fingerprint, read_adapter_metadata

pytestmark = pytest.mark.slow


def test_training_writes_adapter_and_report(trained_adapter, tiny_sd):
    out = trained_adapter.output_dir
    assert (out / ADAPTER_FILE).is_file()
    report = json.loads((out / "training.json").read_text())
    assert report["steps"] == 12
    assert len(report["loss"]) == 12 and all(math.isfinite(x) for x in report["loss"])
    assert report["step_ms_median"] > 0
    assert report["class_images"]["count"] == 4
    assert set(report["class_images"]) >= {"count", "cached", "seconds"}
    assert report["seconds_total"] >= report["timings"]["train_steps"]
    assert report["config"]["rank"] == 4 and report["config"]["prior"] is True
    assert report["config"]["instance_prompt"] == "a photo of sks dog"
    # No caption files, and a base model without a captioner: every photo as in the paper.
    assert [c["source"] for c in report["captions"]] == ["none"] * 4
    assert {c["prompt"] for c in report["captions"]} == {"a photo of sks dog"}
    assert not (out / "checkpoints").exists()
    meta = read_adapter_metadata(out)
    assert meta["token"] == "sks" and meta["class_noun"] == "dog"
    assert meta["base_fingerprint"] == fingerprint(tiny_sd)


def test_adapter_holds_only_unet_attention_lora_keys_in_diffusers_format(trained_adapter):
    with safe_open(trained_adapter.adapter_path, framework="pt") as f:
        keys = list(f.keys())
        header = f.metadata()
    assert keys and all(k.startswith("unet.") for k in keys)
    assert all(k.endswith((".lora.down.weight", ".lora.up.weight")) for k in keys)
    projections = {k.split(".lora.")[0].split(".attn")[1].split(".", 1)[1] for k in keys}
    assert projections == {"to_q", "to_k", "to_v", "to_out.0"}
    assert "lora_adapter_metadata" in header  # diffusers' own adapter config stays readable


def test_lora_weights_moved_from_their_initialisation(trained_adapter):
    with safe_open(trained_adapter.adapter_path, framework="pt") as f:
        ups = [f.get_tensor(k) for k in f.keys() if k.endswith(".lora.up.weight")]
    assert ups and max(t.abs().max().item() for t in ups) > 0  # B starts at zero


def _image(pipe, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = pipe(
        "a photo of sks dog",
        num_inference_steps=3,
        height=64,
        width=64,
        generator=gen,
        output_type="np",
    )
    return out.images[0]


def test_diffusers_loads_the_adapter_as_is_and_it_changes_the_output(trained_adapter, tiny_sd):
    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd, safety_checker=None)
    pipe.set_progress_bar_config(disable=True)
    before = _image(pipe)
    pipe.load_lora_weights(str(trained_adapter.output_dir))
    after = _image(pipe)
    assert np.abs(before - after).mean() > 1e-3
    pipe.unload_lora_weights()
    assert np.allclose(_image(pipe), before, atol=1e-5)


def test_text_encoder_lora_is_saved_when_trained(tiny_sd, photos_dir, class_cache, tmp_path):
    from trainer import train

    from .conftest import tiny_config

    result = train(
        tiny_config(
            tiny_sd,
            photos_dir,
            tmp_path,
            steps=3,
            train_text_encoder=True,
            class_cache_dir=str(class_cache),
        )
    )
    with safe_open(result.adapter_path, framework="pt") as f:
        prefixes = {k.split(".")[0] for k in f.keys()}
    assert prefixes == {"unet", "text_encoder"}
    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd, safety_checker=None)
    pipe.load_lora_weights(str(tmp_path))  # both parts load


def test_training_without_prior_needs_no_class_images(tiny_sd, photos_dir, tmp_path):
    from trainer import train

    from .conftest import tiny_config

    result = train(tiny_config(tiny_sd, photos_dir, tmp_path / "out", steps=2, prior=False))
    assert result.class_images["count"] == 0
    assert not (tmp_path / "out" / "class-cache").exists()


def test_borrowed_base_is_returned_without_lora(tiny_sd, photos_dir, class_cache, tmp_path):
    from trainer import load_base_model, train

    from .conftest import tiny_config

    base = load_base_model(tiny_sd, device="cpu", dtype=torch.float32)
    before = {k: v.clone() for k, v in base.unet.state_dict().items()}
    train(
        tiny_config(tiny_sd, photos_dir, tmp_path, steps=2, class_cache_dir=str(class_cache)),
        base=base,
    )
    after = base.unet.state_dict()
    assert set(after) == set(before)  # no lora_A / lora_B left behind
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in base.unet.parameters())


def test_gradient_checkpointing_and_v_prediction_models_train(
    tiny_sd, photos_dir, class_cache, tmp_path
):
    """The memory-saving path and a v-prediction base (SD 2.x style) run end to end."""
    import shutil

    from trainer import train

    from .conftest import tiny_config

    v_model = tmp_path / "v-model"
    shutil.copytree(tiny_sd, v_model)
    config_file = v_model / "scheduler" / "scheduler_config.json"
    scheduler = json.loads(config_file.read_text())
    config_file.write_text(json.dumps(scheduler | {"prediction_type": "v_prediction"}))
    result = train(
        tiny_config(
            v_model,
            photos_dir,
            tmp_path / "out",
            steps=3,
            gradient_checkpointing=True,
            class_cache_dir=str(class_cache),
        )
    )
    assert len(result.losses) == 3 and all(math.isfinite(x) for x in result.losses)
    assert result.report["config"]["gradient_checkpointing"] is True
