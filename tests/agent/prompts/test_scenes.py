"""Scenes and attributes: command words stripped, the scene kept in the person's words,
attributes next to a subject describe it."""

from __future__ import annotations

import pytest

from agent.prompts import (
    compile_prompt,
)

from .subjects import MINE, REX, compiled


@pytest.mark.parametrize(
    ("request_text", "scene"),
    [
        ("show me my dog on the beach at sunset!!", "on the beach at sunset"),
        ("Can you make a picture of Rex in the snow please?", "in the snow"),
        ("could you please generate an image of Rex in Tokyo, thanks", "in Tokyo"),
        ("hey, draw Rex as a firefighter", "as a firefighter"),
        ("I'd like to see Rex riding a skateboard", "riding a skateboard"),
        ("I want a photo of Rex under a tree", "under a tree"),
        ("let me see Rex in a spaceship", "in a spaceship"),
        ("what would Rex look like in a chef outfit", "in a chef outfit"),
        ("how would Rex look in a tuxedo", "in a tuxedo"),
        ("generate Rex in a field of tulips", "in a field of tulips"),
        ("Rex is sleeping on a couch", "sleeping on a couch"),
        ("Rex is on the beach", "on the beach"),
        ("make Rex wear a yellow shirt", "wearing a yellow shirt"),
        ("Rex with a santa hat on", "wearing a santa hat"),
        ("put a santa hat on Rex", "wearing a santa hat"),
        ("dress Rex in a police outfit", "in a police outfit"),
        ("Rex with the Eiffel Tower in the background", "with the Eiffel Tower in the background"),
        ("a watercolor painting of Rex", "as a watercolor painting"),
        ("pixel art of Rex", "in pixel art style"),
        ("Show Rex", ""),
    ],
)
def test_command_words_are_stripped_and_the_scene_kept(request_text, scene):
    result = compiled(request_text)
    assert result.scene == scene
    assert result.subject_ids == (REX.id,)


@pytest.mark.parametrize(
    ("request_text", "attributes", "expected"),
    [
        ("show me a red Rex", ("red",), "a photo of red sks dog"),
        ("make Rex a cube shaped dog", ("cube shaped",), "a photo of cube shaped sks dog"),
        ("my teapot shaped like a cube", ("cube shaped",), "a photo of cube shaped tpq teapot"),
        ("a cube-shaped Kettle", ("cube shaped",), "a photo of cube shaped tpq teapot"),
        ("a shiny version of my backpack", ("shiny",), "a photo of shiny qrt backpack"),
        ("Rex, but wet, on the beach", ("wet",), "a photo of wet sks dog on the beach"),
        ("my teapot in purple", ("purple",), "a photo of purple tpq teapot"),
        ("a tiny golden Rex", ("tiny", "golden"), "a photo of tiny golden sks dog"),
    ],
)
def test_attributes_next_to_a_subject_describe_it(request_text, attributes, expected):
    result = compiled(request_text)
    assert result.attributes == attributes
    assert result.prompt == expected


@pytest.mark.parametrize(
    "request_text",
    [
        "Rex wearing a red hat",
        "Rex on top of pink fabric",
        "Rex on top of a purple rug in a forest",
        "Rex in a purple wizard outfit",
        "Rex on a red carpet",
    ],
)
def test_colours_in_the_scene_are_not_attributes(request_text):
    assert compiled(request_text).attributes == ()


def test_the_compiler_is_deterministic():
    results = {
        compile_prompt("Can you show me 2 pictures of Rex at night?", MINE) for _ in range(5)
    }
    assert len(results) == 1
