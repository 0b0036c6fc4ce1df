"""Round five of issue 11's grammar: one test per construction, on sentences of our own
(``docs/agent.md``, "Round 5")."""

from __future__ import annotations

import pytest

from agent.intents import parse_intent
from agent.prompts import Clarify, SubjectRef, compile_prompt
from agent.prompts.spelling import correct

from .subjects import ANNA, REX, TOM, compiled, prompt

SAM = SubjectRef("sub-sam", "Sam", "man", "smq")
MOM = SubjectRef("sub-mom", "Mom", "woman", "mmq")
ME = SubjectRef("sub-me", "me", "man", "mez")
HARP = SubjectRef("sub-harp", "Harpo", "harp", "hrp")


def follow(first: str, text: str, subjects) -> str:
    last = compiled(first, subjects=subjects).with_seed(3)
    result = compile_prompt(text, subjects, previous=last)
    assert not isinstance(result, Clarify), result
    return result.prompt


# --- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subjects", "expected"),
    [
        ("my hubby and me at a bar", [ANNA, SAM], "a photo of smq man and vpk woman at a bar"),
        ("my wife in a kayak", [SAM, ANNA], "a photo of vpk woman in a kayak"),
        ("my granny in a garden", [SAM, ANNA], "a photo of vpk woman in a garden"),
        ("my auntie at a cafe", [SAM, ANNA], "a photo of vpk woman at a cafe"),
    ],
)
def test_family_words_find_a_person_of_the_gender_they_say(text, subjects, expected):
    """ "my hubby" is the man, "my granny" the woman: a kind word that says a gender narrows
    the person family to it; the everyday family words ("nan", "hubby", "auntie") are kinds."""
    assert prompt(text, subjects=subjects) == expected


def test_a_relative_named_by_the_word_is_that_one():
    """ "my mom" with a subject called Mom and another woman: Mom; "my nan" is not Mom."""
    assert prompt("my mom on a swing", subjects=[ANNA, MOM]) == "a photo of mmq woman on a swing"
    assert prompt("my nan on a swing", subjects=[ANNA, MOM]) == "a photo of vpk woman on a swing"


@pytest.mark.parametrize(
    "text", ["me and my friend on a rollercoaster", "my friend and me on a rollercoaster"]
)
def test_references_in_one_list_are_different_subjects(text):
    """ "me and my friend" with two men: "my friend" is the one who is not me."""
    result = compiled(text, subjects=[ME, SAM])
    assert set(result.subject_ids) == {ME.id, SAM.id}


def test_it_is_not_a_person():
    """ "it" with Anna and her harp is the harp, in the last picture or none."""
    assert follow("Anna playing Harpo in a garden", "now just it in a church", [ANNA, HARP]) == (
        "a photo of hrp harp in a church"
    )
    assert compile_prompt("it on a stage", [ANNA, HARP]).subject_ids == (HARP.id,)


def test_a_pronoun_means_the_one_in_the_last_picture_it_fits():
    """ "her" after a picture of Anna and Sam is Anna, even with a dog who could be a she."""
    assert follow("Anna and Sam at a cafe", "now just her on a bike", [ANNA, SAM, REX]) == (
        "a photo of vpk woman on a bike"
    )


# --- who alone is in the picture -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("just Tom on a sofa", "a photo of zwx cat on a sofa at sunset"),
        ("only Rex this time", "a photo of sks dog on a pier at sunset"),
        ("now only the cat", "a photo of zwx cat on a pier at sunset"),
        ("Tom by himself in a garden", "a photo of zwx cat in a garden at sunset"),
        ("Rex on his own", "a photo of sks dog on a pier at sunset"),
    ],
)
def test_just_or_alone_narrows_the_last_picture_to_who_is_named(text, expected):
    """ "just X …" / "X on his own" after a picture of two: X alone, with any new scene."""
    assert follow("Rex and Tom on a pier at sunset", text, [REX, TOM]) == expected


def test_just_said_of_everyone_or_as_a_filler_changes_nobody():
    assert follow("Rex and Tom on a pier", "just like that but at night", [REX, TOM]) == (
        "a photo of sks dog and zwx cat on a pier at night"
    )


# --- adding someone next to someone -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["add Tom next to him", "put Tom beside him", "now add Tom behind Rex", "Tom next to him"],
)
def test_adding_a_subject_next_to_someone_adds_them(text):
    assert follow("Rex on a pier", text, [REX, TOM]) == "a photo of sks dog and zwx cat on a pier"


def test_adding_next_to_someone_not_yet_there_adds_both():
    result = compile_prompt(
        "add Anna next to Tom", [REX, TOM, ANNA], previous=compiled("Rex on a pier").with_seed(3)
    )
    assert set(result.subject_ids) == {REX.id, TOM.id, ANNA.id}


@pytest.mark.parametrize(
    ("text", "after_picture", "tool"),
    [
        ("haha now add my cat next to me", True, "generate_images"),
        ("lol give him a crown", True, "generate_images"),
        ("omg add a top hat", False, "generate_images"),
        ("that's great, now add my dog too", True, "generate_images"),
        ("add my cat Luna", True, "create_subject"),
    ],
)
def test_chat_before_an_edit_keeps_it_an_edit(text, after_picture, tool):
    """Laughter and praise before "add …" do not make a new subject of the thing added."""
    assert parse_intent(text, after_picture=after_picture).tool == tool


# --- keeping one thing while removing another ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "take off the scarf but keep the hat",
            "a photo of sks dog wearing a santa hat by the fire",
        ),
        ("remove the scarf, keep the hat on", "a photo of sks dog wearing a santa hat by the fire"),
        ("lose the hat and leave the scarf on", "a photo of sks dog wearing a scarf by the fire"),
    ],
)
def test_a_thing_kept_stays_when_another_goes(text, expected):
    first = "Rex wearing a scarf and a santa hat by the fire"
    assert follow(first, text, [REX]) == expected


# --- back to a photo ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "back to a normal photo",
        "as a regular photo, not a sketch",
        "can we go back to normal colors",
        "not a drawing",
        "same but a real photo",
    ],
)
def test_back_to_a_photo_drops_every_style(text):
    first = "Rex on a hill as a pencil sketch at sunset"
    assert follow(first, text, [REX]) == "a photo of sks dog on a hill at sunset"


def test_in_colour_again_drops_only_black_and_white():
    first = "Rex on a hill in black and white"
    assert follow(first, "in colour again", [REX]) == "a photo of sks dog on a hill"
    painted = "Rex on a hill as a watercolor painting"
    assert follow(painted, "in colour again", [REX]) == "a watercolor painting of sks dog on a hill"


# --- verdicts, states and degrees ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ugh too much, remove the flames", "a photo of sks dog on a stage"),
        ("hmm a bit much, take the flames away", "a photo of sks dog on a stage"),
        ("not quite, make it at night", "a photo of sks dog on a stage in flames at night"),
    ],
)
def test_a_verdict_on_the_picture_is_not_part_of_the_request(text, expected):
    """ "too much" is what the person thinks, and its "too" is not "as well"."""
    assert follow("Rex on a stage in flames", text, [REX]) == expected


def test_a_state_said_like_a_place_is_added_to_the_place():
    """ "look like it's on fire": the state, added to the stage, not in its place."""
    assert follow("Rex on a stage", "make it look like it's on fire", [REX]) == (
        "a photo of sks dog on a stage on fire"
    )


def test_a_degree_word_is_not_a_thing():
    """ "a little more dreamy": dreamy, not "in a little more dreamy"."""
    assert follow("Rex on a stage", "make it a little more dreamy", [REX]) == (
        "a photo of sks dog on a stage, dreamy"
    )


# --- what the picture is for --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tom and Rex for our christmas card", "a photo of zwx cat and sks dog"),
        ("Anna at the beach for her profile pic", "a photo of vpk woman at the beach"),
        ("Rex holding a birthday card", "a photo of sks dog holding a birthday card"),
    ],
)
def test_what_a_picture_is_for_is_not_in_it(text, expected):
    assert prompt(text) == expected


# --- styles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a watercolor of Rex", "a watercolor painting of sks dog"),
        ("an oil of Tom by a window", "an oil painting of zwx cat by a window"),
        ("a charcoal of Tom", "a charcoal drawing of zwx cat"),
    ],
)
def test_a_medium_said_alone_where_a_work_goes_is_that_work(text, expected):
    assert prompt(text) == expected


@pytest.mark.parametrize(
    "text",
    ["could u drwa Rex in a forest", "pls mkae Rex in a forest", "can you sohw Rex in a forest"],
)
def test_a_slipped_verb_of_making_still_asks_for_a_picture(text):
    assert parse_intent(text).tool == "generate_images"
    assert prompt(text) == "a photo of sks dog in a forest"


# --- spelling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex in a tophat", "Rex in a top hat"),
        ("Tom wearing a wizardhat and cowboyboots", "Tom wearing a wizard hat and cowboy boots"),
        ("Rex with a snowball", "Rex with a snowball"),  # a word of its own
        ("Tom on the cupboard", "Tom on the cupboard"),
        ("Rex in a spacesuit", "Rex in a spacesuit"),
    ],
)
def test_a_worn_thing_typed_together_with_its_kind_is_two_words(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex in a meadow of daisys", "Rex in a meadow of daisies"),
        ("Tom among the poppys", "Tom among the poppies"),
        ("Rex with the pupys", "Rex with the puppies"),  # a slipped plural of a "-y" word
        ("Rex opening a present", "Rex opening a present"),  # the lexicon's plural, singular
    ],
)
def test_plurals_of_y_words_and_singulars_of_plurals(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Tom on a yaht", "Tom on a yacht"),
        ("Rex at the musuem", "Rex at the museum"),
        ("Rex on a cruise lyner", "Rex on a cruise lyner"),  # not where a place goes
        ("Rex at the grand canyon", "Rex at the grand canyon"),  # an everyday word stays
    ],
)
def test_a_word_nobody_knows_where_a_place_goes_may_be_one_wrong_letter_off(typed, meant):
    assert correct(typed) == meant


def test_kin_words_do_not_swallow_everyday_words():
    assert correct("a hobby on a grand piano") == "a hobby on a grand piano"
