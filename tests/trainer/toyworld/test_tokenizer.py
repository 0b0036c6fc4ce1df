"""The ToyWorld tokenizer: every world word one token; the tiny model's tokenizer unchanged."""

from __future__ import annotations

from trainer.tiny import tiny_tokenizer
from trainer.toyworld import world
from trainer.toyworld.tokenizer import MAX_LENGTH, WORDS, toyworld_tokenizer


def test_every_world_word_is_one_token():
    tokenizer = toyworld_tokenizer()
    words = [*world.CLASSES, *world.SCENES, *world.PALETTE, "photo", "paris", "beach", "the"]
    for word in words:
        assert len(tokenizer(word).input_ids) == 3, word  # start, word, end
    assert set(words) <= set(WORDS)


def test_captions_fit_and_rare_tokens_fall_back_to_bytes():
    tokenizer = toyworld_tokenizer()
    assert tokenizer.model_max_length == MAX_LENGTH
    ids = tokenizer("a photo of a brown dog in the city at night").input_ids
    assert len(ids) == 13  # 11 words and the two markers
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("sks dog").input_ids)
    assert tokens[-2] == "dog</w>" and len(tokens) == 5  # sk, s</w>


def test_the_tiny_models_tokenizer_is_unchanged():
    tiny = tiny_tokenizer()
    assert len(tiny) == 798 and tiny.model_max_length == 77
    assert len(tiny("a photo of a dog on the beach").input_ids) == 10
