import json
import shutil
from pathlib import Path

import pytest
import torch

from trainer import build_tiny_pipeline, fingerprint
from trainer.tiny import _BIG_G, _VIT_L, _text_encoder, _unet, _vae, tiny_tokenizer


def test_tokenizer_is_offline_and_has_word_tokens():
    tok = tiny_tokenizer()
    ids = tok("a photo of sks dog").input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert len(ids) == 2 + 3 + 3  # a, photo, of as words; s k s as bytes; dog as a word
    assert len(tok("💥 unusual bytes").input_ids) > 2  # byte fallback, never <unk> only


def test_pipeline_is_deterministic(tmp_path, tiny_sd):
    again = build_tiny_pipeline(tmp_path / "again")
    assert fingerprint(again) == fingerprint(tiny_sd)
    index = json.loads((again / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    other_seed = build_tiny_pipeline(tmp_path / "seed1", seed=1)
    assert fingerprint(other_seed) != fingerprint(tiny_sd)


def test_a_recipe_or_checksum_file_is_not_part_of_the_fingerprint(tmp_path, tiny_sd):
    """Retuning the served recipe keeps every adapter trained on the model loadable; a change
    to what the model computes does not."""
    copy = Path(shutil.copytree(tiny_sd, tmp_path / "copy"))
    (copy / "dreamchat.json").write_text(json.dumps({"recipe": {"steps": 900}}))
    (copy / "SHA256SUMS").write_text("0" * 64 + "  unet/config.json\n")
    assert fingerprint(copy) == fingerprint(tiny_sd)
    config = json.loads((copy / "unet" / "config.json").read_text())
    (copy / "unet" / "config.json").write_text(json.dumps({**config, "note": "changed"}))
    assert fingerprint(copy) != fingerprint(tiny_sd)


def test_benchmark_sizes_have_the_real_checkpoints_shapes():
    """bench/gpu.py's SD-1.5- and SDXL-sized pipelines: built on the meta device (no memory),
    every component has the parameter count of the published checkpoint (at CLIP's vocabulary
    of 49408; the offline tokenizer's is smaller)."""

    def params(module) -> int:
        return sum(p.numel() for p in module.parameters())

    with torch.device("meta"):
        assert params(_unet(xl=False, size="sd15")) == 859_520_964
        assert params(_unet(xl=True, size="sdxl")) == 2_567_463_684
        assert params(_vae("sdxl")) == params(_vae("sd15")) == 83_653_863
        assert params(_text_encoder(49408, projection=False, **_VIT_L)) == 123_060_480
        assert params(_text_encoder(49408, projection=True, **_BIG_G)) == 694_659_840
    with pytest.raises(ValueError, match="sdxl with xl"):
        build_tiny_pipeline("unused", size="sdxl")  # an SDXL-sized pipeline is an XL one
