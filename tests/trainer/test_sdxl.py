"""The SDXL path: two text encoders, pooled embeddings, time ids — train and generate."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors import safe_open

from trainer import read_adapter_metadata, train
from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime

from .conftest import tiny_config

pytestmark = pytest.mark.slow


def test_sdxl_train_and_generate(tiny_sdxl, photos_dir, tmp_path):
    result = train(
        tiny_config(
            tiny_sdxl, photos_dir, tmp_path / "xl", steps=3, lr=5e-3, train_text_encoder=True
        )
    )
    assert len(result.losses) == 3 and all(np.isfinite(result.losses))
    assert read_adapter_metadata(result.output_dir)["xl"] == "true"
    with safe_open(result.adapter_path, framework="pt") as f:
        prefixes = {k.split(".")[0] for k in f.keys()}
    assert prefixes == {"unet", "text_encoder", "text_encoder_2"}

    runtime = GenerationRuntime(tiny_sdxl)
    request = dict(prompt="a photo of sks dog", width=64, height=64, steps=2)
    base = runtime.generate(GenerationRequest(**request))[0]
    tuned = runtime.generate(
        GenerationRequest(**request, adapters=(AdapterRef("xl", str(result.output_dir)),))
    )[0]
    assert np.abs(np.asarray(base, float) - np.asarray(tuned, float)).mean() > 0.1
