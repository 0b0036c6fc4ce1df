"""Chat-box requests (issue 11): pronouns, property changes, art renditions and follow-ups
that edit the last picture."""

from __future__ import annotations

import pytest

from agent.prompts import Clarify, UnknownSubject, compile_prompt
from agent.prompts.edits import Edit, drop_mentions, split_edits

from .subjects import ANNA, MINE, REX, TOM, compiled, prompt


def test_edits_split_into_clauses_but_changes_keep_their_words():
    assert split_edits("a bit bigger and add a bow") == [
        Edit("resize", "bigger"),
        Edit("add", "bow"),
    ]
    assert split_edits("on a table with bread and butter") == [
        Edit("change", "on a table with bread and butter")
    ]
    assert split_edits("replace the hat with a crown") == [Edit("replace", "crown", "hat")]
    assert split_edits("take the sunglasses off") == [Edit("remove", "sunglasses")]


def test_dropping_a_thing_keeps_the_rest_of_the_scene():
    assert drop_mentions("in a santa hat by the fireplace", ["hat"]) == "by the fireplace"
    assert drop_mentions("wearing sunglasses at the pool", ["the sunglasses"]) == "at the pool"
    assert drop_mentions("on the beach", ["hat"]) == "on the beach"


@pytest.fixture
def hat():
    return compiled("Rex in a santa hat by the fireplace").with_seed(7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hmm without the hat", "a photo of sks dog by the fireplace"),
        ("take off the hat", "a photo of sks dog by the fireplace"),
        ("add a scarf", "a photo of sks dog in a santa hat by the fireplace wearing a scarf"),
        ("now with a ball", "a photo of sks dog in a santa hat by the fireplace with a ball"),
        ("replace the hat with a crown", "a photo of sks dog by the fireplace wearing a crown"),
        ("a bit bigger", "a photo of big sks dog in a santa hat by the fireplace"),
        ("make it at night", "a photo of sks dog in a santa hat by the fireplace at night"),
        (
            "make it a watercolor painting",
            "a watercolor painting of sks dog in a santa hat by the fireplace",
        ),
    ],
)
def test_follow_ups_edit_the_last_picture(hat, text, expected):
    assert prompt(text, previous=hat) == expected


@pytest.mark.parametrize(
    ("text", "scene"),
    [
        ("no sofa", "by the window"),
        ("without the window", "on a sofa"),
        ("change the sofa to a bed", "on a bed by the window"),
        ("make him wear a scarf", "on a sofa by the window wearing a scarf"),
        ("put a crown on him", "on a sofa by the window wearing a crown"),
        ("move him to the beach", "at the beach"),
        ("I love it, one more", "on a sofa by the window"),
        ("make him wear party hats", "on a sofa by the window wearing party hats"),
        ("make it more colorful", "on a sofa by the window, more colorful"),
        ("now make it look like a painting", "on a sofa by the window as a painting"),
    ],
)
def test_scene_things_are_removed_swapped_and_added_in_place(text, scene):
    sofa = compiled("Rex on a sofa by the window").with_seed(2)
    assert compiled(text, previous=sofa).scene == scene


def test_follow_ups_said_of_the_subject_keep_the_rest_of_the_picture():
    night = compiled("Rex on a beach at night").with_seed(4)
    assert prompt("actually put him in a forest instead", previous=night) == (
        "a photo of sks dog in a forest at night"
    )
    assert prompt("give him sunglasses", previous=night) == (
        "a photo of sks dog on a beach at night wearing sunglasses"
    )
    swing = compiled("Rex and Tom on a porch swing").with_seed(5)
    assert prompt("same thing but at christmas with a tree behind them", previous=swing) == (
        "a photo of sks dog and zwx cat on a porch swing with a tree behind them at christmas"
    )


def test_removing_a_style_keeps_the_place():
    sketch = compiled("make it a pencil sketch", previous=compiled("Rex on a hiking trail"))
    assert sketch.prompt == "a pencil sketch of sks dog on a hiking trail"
    assert prompt("ok no sketch, make it photorealistic", previous=sketch) == (
        "a photo of sks dog on a hiking trail in photorealistic style"
    )


@pytest.mark.parametrize(
    ("text", "subjects", "scene"),
    [
        ("add Tom too", (REX, TOM), "in a kayak"),
        ("bring the cat in", (REX, TOM), "in a kayak"),
        ("add Anna to the picture", (REX, ANNA), "in a kayak"),
    ],
)
def test_a_subject_can_join_the_last_picture(text, subjects, scene):
    kayak = compiled("Rex in a kayak").with_seed(6)
    again = compiled(text, previous=kayak)
    assert again.subject_ids == tuple(s.id for s in subjects)
    assert (again.scene, again.seed) == (scene, 6)


@pytest.mark.parametrize(
    "text", ["remove the cat", "without Tom", "take the cat out of the picture", "no cat"]
)
def test_a_subject_can_leave_the_last_picture(text):
    couch = compiled("Rex and Tom watching tv on the couch").with_seed(8)
    assert prompt(text, previous=couch) == "a photo of sks dog watching tv on the couch"


def test_a_subject_that_leaves_takes_its_part_of_the_scene():
    play = compiled("Rex playing with Tom in the park").with_seed(9)
    assert prompt("remove Tom", previous=play) == "a photo of sks dog playing in the park"


def test_removing_everyone_asks_instead_of_drawing_nobody():
    kayak = compiled("Rex in a kayak").with_seed(6)
    asked = compile_prompt("remove Rex", MINE, previous=kayak)
    assert isinstance(asked, Clarify) and 'say "delete Rex"' in asked.question


def test_someone_added_whom_the_person_does_not_have_is_named():
    kayak = compiled("Rex in a kayak").with_seed(6)
    unknown = compile_prompt("add Bella too", MINE, previous=kayak)
    assert isinstance(unknown, UnknownSubject) and unknown.reference == "Bella"
    assert compile_prompt("add my horse", MINE, previous=kayak) == UnknownSubject(
        "my horse", "horse"
    )


def test_one_more_like_that_is_the_same_prompt_with_a_new_seed(hat):
    again = compiled("one more like that", previous=hat)
    assert (again.prompt, again.seed) == (hat.prompt, None)


def test_a_new_place_replaces_the_old_one_and_keeps_its_modifiers():
    beach = compiled("Rex on a beach at sunset").with_seed(3)
    assert compiled("same one but in snow please", previous=beach).scene == "in snow at sunset"
    assert compiled("change the background to a forest", previous=beach).scene == (
        "in a forest at sunset"
    )
    assert "raining" in compiled("same thing but raining outside", previous=beach).scene


def test_pronouns_and_plain_references_find_the_only_subject():
    assert prompt("put him on a surfboard", [REX]) == "a photo of sks dog on a surfboard"
    assert prompt("my boy at the beach 🏖️", [REX]) == "a photo of sks dog at the beach"
    assert prompt("put them on a couch", [REX, TOM]) == "a photo of sks dog and zwx cat on a couch"
    asked = compile_prompt("show him at the lake", [REX, TOM])
    assert isinstance(asked, Clarify) and "Rex" in asked.question and "Tom" in asked.question
    focused = compiled("show him at the lake", [REX, TOM], focus=TOM.id)
    assert focused.subject_ids == (TOM.id,)
    assert prompt("him on a boat", [ANNA, REX]) == "a photo of sks dog on a boat"  # not Anna
    assert isinstance(compile_prompt("her on a bike", [ANNA, REX]), Clarify)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a red Rex", "a photo of red sks dog"),
        ("rex but make him purple 💜", "a photo of purple sks dog"),
        ("Rex built out of lego bricks", "a photo of sks dog made of lego bricks"),
        ("a golden statue of Rex", "a golden statue of sks dog"),
        ("Rex as a marble statue", "a marble statue of sks dog"),
        ("a watercolor painting of Rex", "a watercolor painting of sks dog"),
        ("Rex painted the way Monet would have", "a painting of sks dog in the style of Monet"),
        ("van gogh style rex plz", "a painting of sks dog in the style of Van Gogh"),
        ("pixel art Rex", "a photo of sks dog in pixel art style"),
        ("Rex like an anime character", "a photo of sks dog as an anime character"),
        ("Rex wearing a santa hat 🎅", "a photo of sks dog wearing a santa hat"),
        ("Could you make a renaissance portrait of Rex?", "a renaissance portrait of sks dog"),
        (
            "Rex as a comic book hero, pop art style",  # a hero, not a comic
            "a photo of sks dog as a comic book hero, pop art style",
        ),
        ("Rex as a comic book", "a comic book of sks dog"),
    ],
)
def test_properties_and_renditions_have_dreambenchs_shape(text, expected):
    assert prompt(text, MINE) == expected


def test_an_artist_who_is_a_subject_stays_the_subject():
    monet = type(REX)("sub-monet", "Monet", "cat", "mnt")
    assert prompt("Monet on the sofa", [REX, monet]) == "a photo of mnt cat on the sofa"
