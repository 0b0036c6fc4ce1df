"""Follow-ups against the previous generation, and speed."""

from __future__ import annotations

import json

import pytest

from agent.prompts import (
    DEFAULT_NEGATIVE_PROMPT,
    Aspect,
    Clarify,
    CompiledPrompt,
    compile_prompt,
)

from .subjects import ANNA, MINE, REX, TOM, compiled


@pytest.fixture
def sunset() -> CompiledPrompt:
    """The last generation, as the agent stores it: with the seed that was used."""
    return compiled("Rex on the beach at sunset").with_seed(1234)


def test_another_one_repeats_with_a_new_seed(sunset):
    for text in ("another one", "one more", "again", "another one please", "a different one"):
        result = compiled(text, previous=sunset, focus=REX.id)
        assert result.prompt == sunset.prompt, text
        assert result.seed is None and result.count == 1


def test_make_it_at_night_replaces_the_time_of_day(sunset):
    result = compiled("make it at night", previous=sunset)
    assert result.prompt == "a photo of sks dog on the beach at night"
    assert result.seed == 1234
    assert result.subject_ids == (REX.id,)
    assert compiled("at night", previous=sunset).prompt == result.prompt
    assert compiled("make it night", previous=sunset).prompt == result.prompt


def test_a_count_reuses_the_prompt_with_new_seeds(sunset):
    for text in ("4 of them", "make 4", "four more", "x4"):
        result = compiled(text, previous=sunset)
        assert (result.prompt, result.count, result.seed) == (sunset.prompt, 4, None), text


def test_same_but_square_keeps_the_seed(sunset):
    wide = compiled("Rex on the beach at sunset, 16:9").with_seed(99)
    result = compiled("same but square", previous=wide)
    assert (result.aspect, result.width, result.height) == (Aspect.SQUARE, 512, 512)
    assert (result.prompt, result.seed) == (wide.prompt, 99)
    assert compiled("make it landscape", previous=sunset).aspect is Aspect.LANDSCAPE


@pytest.mark.parametrize(
    ("text", "scene"),
    [
        ("make it at night", "on the beach at night"),
        ("in the rain", "on the beach at sunset in the rain"),
        ("make it rainy", "on the beach at sunset on a rainy day"),
        ("make it winter", "on the beach at sunset in winter"),
        ("as a watercolor painting", "on the beach at sunset as a watercolor painting"),
        ("make it a watercolor", "on the beach at sunset as a watercolor"),
        ("make it anime", "on the beach at sunset in anime style"),
        ("black and white", "on the beach at sunset in black and white"),
        ("same but in London", "in London at sunset"),
        ("now in a forest", "in a forest at sunset"),
        ("instead on a boat at dawn", "on a boat at dawn"),
    ],
)
def test_modifications_change_only_what_they_name(sunset, text, scene):
    assert compiled(text, previous=sunset).scene == scene


def test_modifiers_of_the_same_kind_replace_each_other():
    styled = compiled("Rex in Paris as an oil painting at night").with_seed(5)
    result = compiled("make it a pencil sketch", previous=styled)
    assert result.scene == "in Paris at night as a pencil sketch"
    result = compiled("at sunrise", previous=styled)
    assert result.scene == "in Paris as an oil painting at sunrise"


def test_a_new_place_replaces_a_scene_that_was_only_weather():
    snow = compiled("my dog in the snow").with_seed(5)
    assert compiled("now on the beach", previous=snow).scene == "on the beach"


def test_a_new_scene_without_a_cue_is_a_new_picture(sunset):
    result = compiled("on a mountain", previous=sunset)
    assert result.prompt == "a photo of sks dog on a mountain"
    assert result.seed is None


def test_attribute_follow_ups_replace_attributes_of_the_same_kind(sunset):
    purple = compiled("make it purple", previous=sunset)
    assert purple.prompt == "a photo of purple sks dog on the beach at sunset"
    red = compiled("make it red", previous=purple.with_seed(1))
    assert red.attributes == ("red",)
    shiny_red = compiled("shiny", previous=red.with_seed(1))
    assert shiny_red.attributes == ("red", "shiny")


def test_settings_only_follow_ups(sunset):
    assert compiled("without people", previous=sunset).negative_prompt.endswith(", people")
    assert compiled("seed 7", previous=sunset).seed == 7
    assert compiled("the same one", previous=sunset).seed == 1234
    assert compiled("same again", previous=sunset).seed is None  # another of the same
    assert compiled("another one with the same seed", previous=sunset).seed == 1234


def test_swapping_or_adding_subjects_keeps_the_scene(sunset):
    swapped = compiled("now my cat", previous=sunset)
    assert swapped.prompt == "a photo of zwx cat on the beach at sunset"
    assert swapped.subject_ids == (TOM.id,)
    added = compiled("Tom too", previous=sunset)
    assert added.prompt == "a photo of sks dog and zwx cat on the beach at sunset"
    same_with = compiled("same but with Anna", previous=sunset)
    assert same_with.subject_ids == (ANNA.id,) and same_with.seed == 1234


def test_follow_ups_keep_count_aspect_and_negatives(sunset):
    previous = compiled("3 pictures of Rex in Paris, portrait, without people").with_seed(8)
    result = compiled("make it at night", previous=previous)
    assert (result.count, result.aspect, result.seed) == (3, Aspect.PORTRAIT, 8)
    assert result.negative_prompt.endswith(", people")
    assert compiled("another one", previous=previous).count == 1
    assert compiled("again", previous=previous).count == 3


def test_nothing_to_repeat_without_a_previous_picture():
    result = compile_prompt("another one", MINE)
    assert isinstance(result, Clarify) and result.reason == "nothing_to_repeat"


def test_a_deleted_subject_is_not_brought_back(sunset):
    result = compile_prompt("another one", [TOM, ANNA], previous=sunset)
    assert isinstance(result, Clarify)


def test_compiled_prompts_round_trip_through_json(sunset):
    result = compiled("2 pictures of a red Rex on the beach, 16:9, without people").with_seed(11)
    restored = CompiledPrompt.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result
    assert compiled("make it at night", previous=restored).attributes == ("red",)


# --- speed ---------------------------------------------------------------------------------------


def test_the_negative_prompt_starts_from_the_models():
    """The served model's default negative prompt (``core/recipe.py``) heads the list; a model
    with none gets only what the request itself rules out."""
    assert compiled("Rex in Paris", base_negative="").negative_prompt == ""
    assert compiled("Rex in Paris without people", base_negative="").negative_prompt == "people"
    assert compiled("Rex in Paris").negative_prompt == DEFAULT_NEGATIVE_PROMPT
