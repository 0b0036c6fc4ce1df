"""Settings words: count, aspect and size, seed, negatives."""

from __future__ import annotations

import pytest

from agent.prompts import (
    DEFAULT_NEGATIVE_PROMPT,
    MAX_IMAGES,
    Aspect,
    size_for,
)

from .subjects import compiled


@pytest.mark.parametrize(
    ("request_text", "count"),
    [
        ("Rex in Paris", 1),
        ("one picture of Rex in Paris", 1),
        ("2 pictures of Rex in Paris", 2),
        ("two photos of Rex in Paris", 2),
        ("three images of Rex in Paris", 3),
        ("4 versions of Rex in Paris", 4),
        ("a couple of pictures of Rex in Paris", 2),
        ("a couple pics of Rex in Paris", 2),
        ("a few shots of Rex in Paris", 3),
        ("Rex in Paris, 3 variations", 3),
        ("Rex in Paris x4", 4),
        ("give me 2 of Rex in Paris", 1),  # "2 of <name>" is not a count we know
    ],
)
def test_count_words(request_text, count):
    assert compiled(request_text).count == count


@pytest.mark.parametrize("request_text", ["10 pictures of Rex", "give me five photos of Rex"])
def test_counts_above_four_are_capped_with_a_note(request_text):
    result = compiled(request_text)
    assert result.count == MAX_IMAGES
    assert len(result.notes) == 1 and str(MAX_IMAGES) in result.notes[0]
    assert result.prompt == "a photo of sks dog"


@pytest.mark.parametrize(
    ("request_text", "aspect", "size"),
    [
        ("Rex in Paris", Aspect.SQUARE, (512, 512)),
        ("Rex in Paris, square", Aspect.SQUARE, (512, 512)),
        ("Rex in Paris in portrait format", Aspect.PORTRAIT, (512, 768)),
        ("a portrait of Rex", Aspect.PORTRAIT, (512, 768)),
        ("Rex in Paris, vertical", Aspect.PORTRAIT, (512, 768)),
        ("Rex on the beach in landscape", Aspect.LANDSCAPE, (768, 512)),
        ("Rex on the beach, landscape orientation", Aspect.LANDSCAPE, (768, 512)),
        ("Rex on the beach in widescreen", Aspect.WIDE, (912, 512)),
        ("Rex on the beach, 16:9", Aspect.WIDE, (912, 512)),
        ("a wide shot of Rex on the beach", Aspect.WIDE, (912, 512)),
        ("Rex as a phone wallpaper", Aspect.TALL, (512, 912)),
        ("Rex, tall format", Aspect.TALL, (512, 912)),
    ],
)
def test_aspect_words_pick_the_size(request_text, aspect, size):
    result = compiled(request_text)
    assert (result.aspect, (result.width, result.height)) == (aspect, size)
    assert "portrait" not in result.prompt and "landscape" not in result.prompt


@pytest.mark.parametrize(
    "request_text",
    [
        "Rex in tall grass",
        "Rex on a town square",
        "Rex in a wide river",
        "Rex in a mountain landscape",
    ],
)
def test_aspect_words_inside_a_scene_stay_in_the_scene(request_text):
    result = compiled(request_text)
    assert result.aspect is Aspect.SQUARE
    assert result.scene == request_text.removeprefix("Rex ")


@pytest.mark.parametrize("base", [256, 512, 640, 768, 1024])
def test_sizes_scale_with_the_base_and_are_multiples_of_8(base):
    for aspect in Aspect:
        width, height = size_for(aspect, base)
        assert width % 8 == 0 and height % 8 == 0
        assert min(width, height) == base
    assert size_for(Aspect.PORTRAIT, base) == (base, base * 3 // 2)
    assert size_for(Aspect.LANDSCAPE, base) == (base * 3 // 2, base)
    assert compiled("Rex, landscape", base_size=base).width == base * 3 // 2


def test_size_rejects_a_tiny_base():
    with pytest.raises(ValueError):
        size_for(Aspect.SQUARE, 24)


def test_an_explicit_seed_is_used():
    assert compiled("Rex at night, seed 42").seed == 42
    assert compiled("Rex at night with seed=7").seed == 7
    assert compiled("Rex at night").seed is None


@pytest.mark.parametrize(
    ("request_text", "extra", "scene"),
    [
        ("Rex in a park without people", ["people"], "in a park"),
        ("Rex in a park with no people in the background", ["people"], "in a park"),
        ("Rex without a leash in the park", ["leash"], "in the park"),
        ("Rex in a park, no people and no cars", ["people", "cars"], "in a park"),
        ("Rex in a field, without people and cars", ["people", "cars"], "in a field"),
        ("Rex in a field, don't include any people", ["people"], "in a field"),
        ("Rex on a poster, no text", [], "on a poster"),
    ],
)
def test_no_and_without_move_to_the_negative_prompt(request_text, extra, scene):
    result = compiled(request_text)
    assert result.negative_prompt == ", ".join([DEFAULT_NEGATIVE_PROMPT, *extra])
    assert result.scene == scene


def test_a_bare_no_is_not_a_negative():
    result = compiled("no, Rex on the beach")
    assert result.negative_prompt == DEFAULT_NEGATIVE_PROMPT
