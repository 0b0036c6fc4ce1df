"""Round three of issue 11's grammar: one test per construction, on sentences of our own
(``docs/agent.md``, "Round 3")."""

from __future__ import annotations

import pytest

from agent.prompts import CompiledPrompt
from agent.prompts.spelling import correct

from .subjects import FIDO, MINE, REX, TOM, compiled, prompt

DOGS = [REX, FIDO, TOM]


@pytest.fixture
def capped() -> CompiledPrompt:
    """The last picture: Rex in a red cap on a pier."""
    return compiled("Rex wearing a red cap on a pier").with_seed(11)


# --- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fido the beagle at the lake", "a photo of fdo dog at the lake"),
        ("my dog Rex on a rowing boat", "a photo of sks dog on a rowing boat"),
        ("Fido, my old pup, by the fire", "a photo of fdo dog by the fire"),
        ("my sweet boy Fido on a sofa", "a photo of fdo dog on a sofa"),
        ("the hound Fido and Tom in a barn", "a photo of fdo dog and zwx cat in a barn"),
    ],
)
def test_a_name_and_a_kind_side_by_side_are_one_reference(text, expected):
    """Apposition: with two dogs, "Fido the beagle" is Fido, not a question."""
    assert prompt(text, subjects=DOGS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rex at the dog park", "a photo of sks dog at the dog park"),
        ("Tom napping on the cat tree", "a photo of zwx cat napping on the cat tree"),
    ],
)
def test_a_kind_word_before_a_noun_is_a_compound_not_a_reference(text, expected):
    assert prompt(text) == expected
    assert compiled(text).subject_ids == compiled(text.split(" ", 1)[0]).subject_ids


@pytest.mark.parametrize(
    "text", ["my old dog on a boat", "my little kitten on a rug", "my best friend Rex on a boat"]
)
def test_fond_words_before_a_kind_are_part_of_the_reference(text):
    result = compiled(text, subjects=MINE)
    assert len(result.subject_ids) == 1 and "old" not in result.prompt


# --- what people type around a request ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Rex in a bucket haha",
        "lmao Rex in a bucket :)",
        "Rex in a bucket lol",
        "omg Rex in a bucket",
    ],
)
def test_laughter_interjections_and_emoticons_are_not_scene(text):
    assert prompt(text) == "a photo of sks dog in a bucket"


def test_chat_contractions_read_as_the_words_they_stand_for():
    assert prompt("lemme see Tom on a windowsill") == "a photo of zwx cat on a windowsill"
    assert prompt("gimme Rex in a canoe") == "a photo of sks dog in a canoe"


def test_turning_someone_into_a_thing_is_drawing_them_as_it():
    assert prompt("turn Tom into a bronze statue") == "a bronze statue of zwx cat"
    assert prompt("transform Rex into a knight") == "a photo of sks dog as a knight"


# --- art media and attributes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rex sketched in charcoal", "a charcoal sketch of sks dog"),
        ("Tom in pastels on a rug", "a pastel drawing of zwx cat on a rug"),
        ("Rex done in acrylics", "an acrylic painting of sks dog"),
        ("Tom in a watercolor painting", "a watercolor painting of zwx cat"),
    ],
)
def test_a_medium_said_as_what_it_is_made_in_is_a_rendition(text, expected):
    assert prompt(text) == expected


def test_attributes_joined_by_and_are_all_attributes():
    assert prompt("Rex but shiny and purple") == "a photo of shiny purple sks dog"
    assert prompt("Rex in black and white") == "a photo of sks dog in black and white"


# --- follow-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("take his cap off", "a photo of sks dog on a pier"),
        ("get the cap off him", "a photo of sks dog on a pier"),
        ("nah take the cap off", "a photo of sks dog on a pier"),
    ],
)
def test_take_a_thing_off_with_the_particle_after_it_removes_it(capped, text, expected):
    assert prompt(text, previous=capped) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lose the cap and put him in a canoe", "a photo of sks dog in a canoe"),
        ("take the cap off, then make it rain", "a photo of sks dog on a pier in the rain"),
        ("no cap and make it snowy", "a photo of sks dog on a pier on a snowy day"),
    ],
)
def test_each_clause_of_a_follow_up_may_have_its_own_verb(capped, text, expected):
    """A later clause's "put him …"/"make it …" is read like the first one's, and a negative
    ends where such a clause starts."""
    assert prompt(text, previous=capped) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("make the cap green", "a photo of sks dog wearing a green cap on a pier"),
        ("change his cap to gold", "a photo of sks dog wearing a gold cap on a pier"),
        ("dye his fur orange", "a photo of sks dog wearing a red cap on a pier with orange fur"),
        ("make the sky pink", "a photo of sks dog wearing a red cap on a pier with a pink sky"),
    ],
)
def test_a_thing_in_the_picture_can_change_its_colour(capped, text, expected):
    assert prompt(text, previous=capped) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a blue cap instead", "a photo of sks dog on a pier wearing a blue cap"),
        ("give him a purple cap", "a photo of sks dog on a pier wearing a purple cap"),
        ("a sombrero instead", "a photo of sks dog on a pier wearing a sombrero"),
        ("now a scarf too", "a photo of sks dog wearing a red cap and a scarf on a pier"),
    ],
)
def test_a_worn_thing_said_alone_is_worn_in_place_of_its_like(capped, text, expected):
    assert prompt(text, previous=capped) == expected


@pytest.mark.parametrize(
    ("text", "attribute"),
    [("make him shinier", "shiny"), ("fluffier", "fluffy"), ("a bit more glittery", "glittery")],
)
def test_an_attribute_said_as_a_comparison_is_that_attribute(capped, text, attribute):
    result = compiled(text, previous=capped)
    assert result.attributes == (attribute,) and result.scene == capped.scene


def test_keep_everything_is_the_same_picture_changed_only_as_said(capped):
    result = compiled("keep everything, just make it foggy", previous=capped)
    assert result.prompt == "a photo of sks dog wearing a red cap on a pier on a foggy day"
    assert result.seed == capped.seed


def test_a_bare_weather_day_is_a_weather_modifier(capped):
    assert prompt("make it a windy morning", previous=capped) == (
        "a photo of sks dog wearing a red cap on a pier on a windy morning"
    )


# --- spelling -----------------------------------------------------------------------------


def test_a_correction_keeps_the_article_agreeing():
    """ "an urn" is an urn: "run" would break the "an" the person typed."""
    assert correct("Rex beside an urn") == "Rex beside an urn"
    assert correct("Rex by a ocen") == "Rex by a ocean"  # the article never agreed


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("in the hamocks", "in the hammocks"),  # only "hammock" is in the lexicon
        ("under the umbrelas", "under the umbrellas"),
        ("chasing butterflys", "chasing butterflies"),  # a plural of "-y" spelled "-ys"
        ("with two puppys", "with two puppies"),
    ],
)
def test_a_slipped_plural_is_corrected_by_its_stem(typed, meant):
    assert correct(typed) == meant
