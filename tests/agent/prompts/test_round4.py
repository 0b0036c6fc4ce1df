"""Round four of issue 11's grammar: one test per construction, on sentences of our own
(``docs/agent.md``, "Round 4")."""

from __future__ import annotations

import pytest

from agent.prompts import SubjectRef, compile_prompt
from agent.prompts.spelling import correct

from .subjects import FIDO, REX, TOM, compiled, prompt

KIWI = SubjectRef("sub-kiwi", "Kiwi", "cockatiel", "kwq")
WHEELS = SubjectRef("sub-wheels", "Zoomer", "bicycle", "bkx")
CLOVER = SubjectRef("sub-clover", "Clover", "bunny", "cvr")
ANNA = SubjectRef("sub-anna", "Anna", "woman", "vpk")
SHELLY = SubjectRef("sub-shelly", "Shelly", "tortoise", "tts")
PETS = [KIWI, WHEELS, CLOVER, REX, ANNA, SHELLY]


# --- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the bird on a windowsill", "a photo of kwq cockatiel on a windowsill"),
        ("my parrot in the rain", "a photo of kwq cockatiel in the rain"),
        ("my bike leaning on a fence", "a photo of bkx bicycle leaning on a fence"),
        ("the rabbit in a meadow", "a photo of cvr bunny in a meadow"),
        ("my turtle on a log", "a photo of tts tortoise on a log"),
    ],
)
def test_a_kind_finds_a_subject_whose_class_is_a_kind_of_it(text, expected):
    """A cockatiel is a bird, a bicycle a bike, a bunny a rabbit: the kind families come from
    the class words as well, so a class noun outside them still has its everyday kinds."""
    assert prompt(text, subjects=PETS) == expected


def test_a_word_one_letter_from_a_name_that_is_a_picture_word_stays_that_word():
    """ "on a perch" with Percy: a perch, not a slipped "Percy"."""
    percy = SubjectRef("sub-percy", "Percy", "parrot", "prc")
    assert prompt("Rex on a perch", subjects=[percy, REX]) == "a photo of sks dog on a perch"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("could you make one of them together at the lake?", 1),
        ("three of them on a sofa", 3),
    ],
)
def test_a_count_of_them_keeps_them_as_the_reference(text, count):
    """ "one of them …": one picture, of them — both subjects, with no picture before."""
    result = compiled(text, subjects=[REX, TOM])
    assert result.count == count and set(result.subject_ids) == {REX.id, TOM.id}


def test_a_count_of_them_alone_is_still_only_a_count():
    last = compiled("Rex and Tom on a pier").with_seed(3)
    result = compile_prompt("4 of them", [REX, TOM], previous=last)
    assert result.count == 4 and "pier" in result.prompt


@pytest.mark.parametrize(
    "text", ["both dogs in the snow", "the two dogs in a car", "all my dogs on a sofa"]
)
def test_a_plural_kind_counted_off_is_all_of_that_kind(text):
    result = compiled(text, subjects=[REX, FIDO, TOM])
    assert set(result.subject_ids) == {REX.id, FIDO.id}


@pytest.mark.parametrize(
    "text", ["everyone at the beach", "all my pets in the snow", "the whole gang at a picnic"]
)
def test_everyone_is_every_subject(text):
    result = compiled(text, subjects=[REX, FIDO, TOM])
    assert set(result.subject_ids) == {REX.id, FIDO.id, TOM.id}


@pytest.mark.parametrize(
    "text", ["those two in a forest", "the same pair on the moon", "now the duo in a canoe"]
)
def test_a_group_said_by_its_number_is_them(text):
    """ "those two" after a picture of Rex and Tom: Rex and Tom, not Fido."""
    last = compiled("Rex and Tom on a pier", subjects=[REX, FIDO, TOM]).with_seed(5)
    result = compile_prompt(text, [REX, FIDO, TOM], previous=last)
    assert set(result.subject_ids) == {REX.id, TOM.id} and "pier" not in result.prompt


def test_a_pair_of_things_is_not_a_group():
    assert prompt("Rex wearing the pair of boots") == "a photo of sks dog wearing the pair of boots"


# --- follow-ups ---------------------------------------------------------------------------


@pytest.fixture
def hatted():
    """The last picture: Rex in a blue hat on a pier."""
    return compiled("Rex wearing a blue hat on a pier").with_seed(7)


@pytest.mark.parametrize("text", ["now along with Tom", "together with Tom", "alongside Tom"])
def test_along_with_a_subject_after_a_picture_adds_them(hatted, text):
    """ "along with Tom" joins; a bare "with Tom" ("same but with Tom") stays a swap."""
    result = compile_prompt(text, [REX, TOM], previous=hatted)
    assert set(result.subject_ids) == {REX.id, TOM.id} and "pier" in result.prompt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the hat should be green", "a photo of sks dog wearing a green hat on a pier"),
        ("his hat needs to be red", "a photo of sks dog wearing a red hat on a pier"),
        ("the hat is purple", "a photo of sks dog wearing a purple hat on a pier"),
        ("the hat should be a crown", "a photo of sks dog on a pier wearing a crown"),
    ],
)
def test_what_a_thing_should_be_is_a_recolor_or_a_replacement(hatted, text, expected):
    assert compile_prompt(text, [REX, TOM], previous=hatted).prompt == expected


# --- art styles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a 3d render of Tom on a rug", "a 3d render of zwx cat on a rug"),
        ("a woodcut of Rex", "a woodcut of sks dog"),
        ("an 80s poster of Tom", "an 80s poster of zwx cat"),
        ("Tom looking like a charcoal sketch", "a charcoal sketch of zwx cat"),
    ],
)
def test_renders_prints_and_dated_media_are_renditions(text, expected):
    """A render or a print heads its phrase like a painting does; a decade may qualify it."""
    assert prompt(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ghibli-style Tom on a hill", "a photo of zwx cat on a hill in ghibli style"),
        ("a pixel-art Rex in space", "a photo of sks dog in space in pixel-art style"),
        ("make Rex look like a lego figure", "a photo of sks dog as a lego figure"),
    ],
)
def test_styles_joined_by_a_hyphen_or_said_as_a_look_are_styles(text, expected):
    assert prompt(text) == expected


# --- spelling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex on a sled at nite", "Rex on a sled at night"),
        ("a bday hat thru the window", "a birthday hat through the window"),
        ("Tom in the snow tonite", "Tom in the snow tonight"),
    ],
)
def test_chat_spellings_are_read_as_the_word(typed, meant):
    assert correct(typed) == meant


def test_a_capitalised_chat_spelling_is_a_name():
    assert correct("my shoe called Air Lite on a shelf") == "my shoe called Air Lite on a shelf"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex with a chocolate cak", "Rex with a chocolate cake"),
        ("sitting under the tre", "sitting under the tree"),
        ("how far is the beach", "how far is the beach"),  # not where a noun goes
        ("my pal on a boat", "my pal on a boat"),  # a word of its own
        ("a bear cub in the snow", "a bear cub in the snow"),
    ],
)
def test_a_three_letter_word_cut_short_is_the_word_where_a_noun_goes(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Tom curled up in her lpa", "Tom curled up in her lap"),
        ("on the captain's sholders", "on the captain's shoulders"),
        ("in a mexcian restaurant", "in a mexican restaurant"),
        ("in a victorain parlor", "in a victorian parlor"),
    ],
)
def test_body_and_origin_words_are_picture_words(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex holding a balon", "Rex holding a balloon"),  # both doubled letters typed once
        ("Tom with a cofee", "Tom with a coffee"),
    ],
)
def test_doubled_letters_typed_once_are_the_cheapest_slip(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rex on a pier at sun set", "Rex on a pier at sunset"),
        ("Tom asleep in a tea cup by the fire place", "Tom asleep in a teacup by the fireplace"),
        ("Rex with sun glasses in a space ship", "Rex with sunglasses in a spaceship"),
        ("Rex eating ice cream", "Rex eating ice cream"),  # written apart, rightly
        ("Rex in a green house", "Rex in a green house"),  # a house that is green
        ("Rex in the living room at night time", "Rex in the living room at night time"),
        ("Rex wearing a bow tie", "Rex wearing a bow tie"),
    ],
)
def test_a_compound_typed_as_two_words_is_the_compound(typed, meant):
    assert correct(typed) == meant


def test_a_compound_never_swallows_a_subject_word():
    assert correct("my hot dog", protected=frozenset({"dog"})) == "my hot dog"
    assert correct("a cup cake", protected=frozenset({"cup"})) == "a cup cake"
    assert correct("a cup cake") == "a cupcake"
