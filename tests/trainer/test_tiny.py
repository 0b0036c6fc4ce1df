import json

from trainer import build_tiny_pipeline, fingerprint
from trainer.tiny import tiny_tokenizer


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
