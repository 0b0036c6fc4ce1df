"""Typo tolerance: slips in lexicon words are corrected, real words and names never are."""

from __future__ import annotations

import pytest

from agent.prompts import Clarify, compile_prompt
from agent.prompts.spelling import correct

from .subjects import MINE, REX, prompt


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("at the beech", "at the beach"),  # a vowel for a vowel
        ("in the snoow", "in the snow"),  # a letter too many
        ("in the forrest", "in the forest"),
        ("a watercolr paintng", "a watercolor painting"),  # letters left out
        ("on a mountian", "on a mountain"),  # two letters swapped
        ("in the ocen", "in the ocean"),  # "ocean", not "oven": a missing letter is likelier
        ("in the swiming pool", "in the swimming pool"),  # "swim" doubles its m
        ("wearing a cowbow hat", "wearing a cowboy hat"),  # any wrong letter, in a long word
        ("in van gogh stlye", "in van gogh style"),
        ("anotehr one, withuot the hat", "another one, without the hat"),  # the grammar's words
    ],
)
def test_slips_in_lexicon_words_are_corrected(typed, meant):
    assert correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "laying on some pink fabric",  # "laying" is a word, not "playing"
        "a library full of books",  # not "boots"
        "Rex with my cat on a bench",  # not "beach"
        "no text, a few shots",  # not "tent", "shoes"
        "in a bathtub doing a kickflip",  # unknown words far from any lexicon word
        "at Zorblax in Brno",  # capitalised: names and places
        "a cat in a hat",  # short words are never corrected
        "it changed, what a difference",  # inflections of known words
    ],
)
def test_real_words_are_left_alone(text):
    assert correct(text) == text


def test_three_letter_words_are_corrected_only_for_two_swapped_letters():
    assert correct("wearing a bow tei") == "wearing a bow tie"
    assert correct("a dgo in a hta") == "a dog in a hat"
    assert correct("a cat on a car") == "a cat on a car"  # real words
    assert correct("a bot on the sae") == "a bot on the sea"  # "bot": no swap makes a word


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("in the dessert at night", "in the desert at night"),  # a letter too many
        ("on the cost", "on the coast"),  # a letter left out
        ("eating a dessert", "eating a dessert"),  # not where a place goes
        ("in the hall", "in the hall"),  # a wrong letter: not "hill"
        ("in the coat", "in the coat"),  # worn, not "coast"
        ("with the desserts", "with the desserts"),
    ],
)
def test_an_everyday_word_where_a_place_goes_is_read_as_the_place(typed, meant):
    assert correct(typed) == meant


def test_names_are_protected_and_slipped_names_found():
    assert correct("beech", protected=frozenset({"beech"})) == "beech"  # a dog called Beech
    assert correct("Rexx at the beech", names=("rex",)) == "Rex at the beach"
    assert correct("Biscut on the sofa", names=("biscuit", "luna")) == "Biscuit on the sofa"


def test_capitalised_words_are_only_read_as_places_and_only_when_a_letter_is_missing():
    assert correct("Rex in Londn") == "Rex in London"
    assert correct("Rex and Romeo") == "Rex and Romeo"  # a name, not "Rome"


def test_the_compiler_corrects_before_it_reads():
    assert prompt("Rex at the beech") == "a photo of sks dog at the beach"
    assert prompt("a watercolr paintng of Rex") == "a watercolor painting of sks dog"


def test_nothing_recognised_is_a_short_question_not_a_guess():
    only_rex = compile_prompt("asdfgh qwerty", [REX])
    assert isinstance(only_rex, Clarify) and only_rex.reason == "unclear"
    assert "Where should Rex be?" in only_rex.question
    several = compile_prompt("asdfgh qwerty", MINE)
    assert isinstance(several, Clarify) and "Rex" in several.question and "Tom" in several.question
