"""Which subjects a request names: names, kinds, tokens, "me", pronouns, and the questions
and unknown subjects that come back instead."""

from __future__ import annotations

import pytest

from agent.prompts import (
    Clarify,
    SubjectRef,
    UnknownSubject,
    compile_prompt,
)

from .subjects import ANNA, FIDO, MINE, PACK, REX, TOM, compiled, prompt


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("show my dog in Paris", "a photo of sks dog in Paris"),
        ("Rex on the beach at sunset", "a photo of sks dog on the beach at sunset"),
        ("rex in paris", "a photo of sks dog in paris"),
        ("REX in Paris", "a photo of sks dog in Paris"),
        ("Rex's first day of school", "a photo of sks dog, first day of school"),
        ("the dog in a bathtub", "a photo of sks dog in a bathtub"),
        ("our cat on a sofa", "a photo of zwx cat on a sofa"),
        ("a dog in a bathtub", "a photo of sks dog in a bathtub"),
        ("my puppy in the snow", "a photo of sks dog in the snow"),
        ("my kitten on a rug", "a photo of zwx cat on a rug"),
        ("the blue pack on a mountain", "a photo of qrt backpack on a mountain"),
        ("Blue Pack on a mountain", "a photo of qrt backpack on a mountain"),
        ("sks dog in the jungle", "a photo of sks dog in the jungle"),
        ("sks on the beach", "a photo of sks dog on the beach"),
        ("show me in Paris", "a photo of vpk woman in Paris"),
        ("a picture of me on a boat", "a photo of vpk woman on a boat"),
        ("my wife in Rome", "a photo of vpk woman in Rome"),
    ],
)
def test_references_by_name_kind_token_and_self(request_text, expected):
    assert prompt(request_text) == expected


def test_several_subjects_in_one_picture():
    result = compiled("my dog and my cat in a park")
    assert result.prompt == "a photo of sks dog and zwx cat in a park"
    assert result.subject_ids == (REX.id, TOM.id)
    assert result.scene == "in a park"
    assert prompt("Rex, Tom and Blue Pack in the snow") == (
        "a photo of sks dog, zwx cat and qrt backpack in the snow"
    )
    assert prompt("Rex with my cat on a bench") == "a photo of sks dog and zwx cat on a bench"
    assert prompt("me and Rex in Paris") == "a photo of vpk woman and sks dog in Paris"


def test_a_subject_inside_the_scene_stays_where_it_is():
    result = compiled("Rex playing with my cat")
    assert result.prompt == "a photo of sks dog playing with zwx cat"
    assert result.subject_ids == (REX.id, TOM.id)


def test_subjects_named_after_the_scene_are_lifted_to_the_front():
    assert prompt("in Paris with my dog") == "a photo of sks dog in Paris"
    assert prompt("Paris with Rex") == "a photo of sks dog in Paris"
    assert prompt("a beach picture featuring Rex") == "a photo of sks dog, a beach picture"


def test_a_kind_with_several_subjects_asks_which_one():
    result = compile_prompt("my dog in Paris", [REX, TOM, FIDO])
    assert isinstance(result, Clarify)
    assert result.reason == "ambiguous_subject"
    assert result.options == ("Rex", "Fido")
    assert result.option_ids == (REX.id, FIDO.id)
    assert "Rex" in result.question and "Fido" in result.question


def test_the_subject_in_focus_settles_an_ambiguous_kind():
    assert prompt("my dog in Paris", [REX, FIDO], focus=FIDO.id) == "a photo of fdo dog in Paris"


def test_a_plural_kind_means_all_of_them():
    result = compiled("my dogs in Paris", [REX, TOM, FIDO])
    assert result.prompt == "a photo of sks dog and fdo dog in Paris"
    assert result.subject_ids == (REX.id, FIDO.id)


def test_two_subjects_with_one_name_ask_which():
    other_rex = SubjectRef("sub-rex2", "Rex", "cat", "rxc")
    result = compile_prompt("Rex on the beach", [REX, other_rex])
    assert isinstance(result, Clarify) and result.option_ids == (REX.id, other_rex.id)


@pytest.mark.parametrize(
    ("request_text", "reference", "noun"),
    [
        ("show my horse on the beach", "my horse", "horse"),
        ("my horse", "my horse", "horse"),
        ("a red version of my bicycle", "my bicycle", "bicycle"),
        ("my dog and my horse in a park", "my horse", "horse"),
        ("our little pony in the snow", "our little pony", "pony"),
        ("show Bella on the beach", "Bella", None),
        ("Can you draw Max wearing a hat", "Max", None),
    ],
)
def test_subjects_the_user_does_not_have_are_named_back(request_text, reference, noun):
    result = compile_prompt(request_text, MINE, focus=REX.id)
    assert result == UnknownSubject(reference, noun)


def test_me_without_a_person_subject_is_unknown():
    assert compile_prompt("show me in Paris", [REX, TOM]) == UnknownSubject("you", "person")


def test_other_users_subjects_cannot_be_reached():
    """Only the subjects passed in exist: another user's subject name is just unknown."""
    assert compile_prompt("show Bella on the beach", [REX]) == UnknownSubject("Bella")
    assert compile_prompt("Rex and Bella on the beach", [REX]) == UnknownSubject("Bella")


@pytest.mark.parametrize(
    ("request_text", "focus", "expected"),
    [
        ("him wearing a red hat", REX.id, "a photo of sks dog wearing a red hat"),
        ("show her in the snow", ANNA.id, "a photo of vpk woman in the snow"),
        ("it on a wooden floor", PACK.id, "a photo of qrt backpack on a wooden floor"),
        ("make him wear a santa hat", REX.id, "a photo of sks dog wearing a santa hat"),
        ("he is sleeping on a couch", REX.id, "a photo of sks dog sleeping on a couch"),
        ("on the beach", TOM.id, "a photo of zwx cat on the beach"),
        ("in Paris at night", REX.id, "a photo of sks dog in Paris at night"),
    ],
)
def test_pronouns_and_bare_scenes_use_the_subject_in_focus(request_text, focus, expected):
    assert prompt(request_text, focus=focus) == expected


def test_them_means_the_subjects_of_the_last_picture():
    previous = compiled("Rex and Tom in a park").with_seed(3)
    assert (
        prompt("them in the snow", previous=previous)
        == "a photo of sks dog and zwx cat in the snow"
    )


def test_nobody_named_and_no_focus_asks_who():
    result = compile_prompt("him wearing a red hat", MINE)
    assert isinstance(result, Clarify) and result.reason == "no_subject"
    assert result.options == tuple(s.name for s in MINE if s is not ANNA)  # "him": not a woman
    result = compile_prompt("on the beach at sunset", MINE)
    assert isinstance(result, Clarify) and result.reason == "no_subject"


def test_a_users_only_subject_needs_no_name():
    assert prompt("on the beach at sunset", [REX]) == "a photo of sks dog on the beach at sunset"


def test_no_subjects_at_all_offers_to_set_one_up():
    for text in ("on the beach at sunset", "him in a red hat", "another one"):
        result = compile_prompt(text, [])
        assert isinstance(result, Clarify) and result.reason == "no_subjects", text
        assert result.options == ()


def test_with_no_subjects_the_one_named_is_reported():
    """Not the whole request: the chat says which subject it doesn't know."""
    assert compile_prompt("show my dog in Paris", []) == UnknownSubject("my dog", "dog")
    assert compile_prompt("show Rex on the beach", []) == UnknownSubject("Rex")
    assert compile_prompt("can you draw Bella and Rex at sunset", []) == UnknownSubject("Bella")


def test_an_empty_request_asks_what_to_make():
    for text in ("", "   ", "\n"):
        result = compile_prompt(text, MINE)
        assert isinstance(result, Clarify) and result.reason == "empty"
