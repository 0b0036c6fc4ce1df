"""The offline parser on the flows the product promises (fast, no Redis)."""

from __future__ import annotations

import re

import pytest

from agent.intents import parse_intent
from agent.intents.rename import RENAME_FORMS
from agent.intents.slots import strip_ref


@pytest.mark.parametrize(
    ("text", "attachments", "tool", "args"),
    [
        ("this is my dog Rex", 0, "create_subject", {"name": "Rex", "class_noun": "dog"}),
        ("meet my cat Luna", 3, "create_subject", {"name": "Luna", "class_noun": "cat"}),
        (
            "add my stuffed bear Mr. Buttons",
            0,
            "create_subject",
            {"name": "Mr. Buttons", "class_noun": "bear"},
        ),
        ("here are the photos", 4, "add_photos", {}),
        ("more pics of Rex", 2, "add_photos", {"subject": "Rex"}),
        ("train him", 0, "start_training", {"subject": "him"}),
        ("ok go ahead and start training Luna", 0, "start_training", {"subject": "Luna"}),
        ("how is training going?", 0, "training_status", {}),
        ("is Luna ready yet?", 0, "training_status", {"subject": "Luna"}),
        ("stop training Luna", 0, "cancel_training", {"subject": "Luna"}),
        ("what subjects do I have?", 0, "list_subjects", {}),
        ("rename Rex to Max", 0, "rename_subject", {"subject": "Rex", "new_name": "Max"}),
        ("delete Rex", 0, "delete_subject", {"subject": "Rex"}),
        ("4 of them", 0, "generate_images", {"request": "4 of them", "count": 4}),
    ],
)
def test_flows(text, attachments, tool, args):
    intent = parse_intent(text, attachments=attachments)
    assert (intent.tool, intent.args) == (tool, args)


@pytest.mark.parametrize(
    "text",
    [
        "show my dog in Paris",
        "Rex on the beach at sunset",
        "my dog and my cat in a park",
        "another one",
        "make it at night",
        "same but square",
        "I want pictures of my dog",
        "him wearing a red hat",
    ],
)
def test_generation_requests_keep_the_persons_words(text):
    intent = parse_intent(text)
    assert intent.tool == "generate_images" and intent.args["request"] == text


def test_answers_to_the_assistants_questions():
    asked_name = {"intent": "create_subject", "class_noun": "dog", "slot": "name"}
    assert parse_intent("His name is Rex", awaiting=asked_name).args == {
        "name": "Rex",
        "class_noun": "dog",
    }
    assert parse_intent("biscuit", awaiting=asked_name).args == {
        "name": "Biscuit",
        "class_noun": "dog",
    }
    consent = {"intent": "start_training", "subject": "Leo", "slot": "consent"}
    assert parse_intent("yes, that's me", awaiting=consent).args == {
        "subject": "Leo",
        "consent": True,
    }
    refused = parse_intent("no", awaiting=consent)
    assert refused.tool is None and "won't" in refused.reply
    confirm = {"intent": "delete_subject", "subject": "Rex", "slot": "confirm"}
    assert parse_intent("yes delete it", awaiting=confirm).args == {
        "subject": "Rex",
        "confirm": True,
    }


def test_onboarding_question_when_only_the_kind_is_known():
    intent = parse_intent("I'd like to add my cat")
    assert intent.tool is None and "name" in intent.reply
    assert intent.awaiting == {"intent": "create_subject", "class_noun": "cat", "slot": "name"}


def test_help_greeting_and_nonsense():
    assert "3–25 photos" in parse_intent("what can you do?").reply
    assert parse_intent("hello!").reply.startswith("Hi!")
    # what is neither a question nor a command is a description for the generation tool, which
    # knows the person's subjects and asks a short question when nothing in it is a picture
    assert parse_intent("asdfgh qwerty").tool == "generate_images"
    assert parse_intent("Rex soaking wet").tool == "generate_images"
    assert parse_intent("what is this thing?").reply.startswith("I make personalized")


def test_edits_of_the_last_picture_are_not_subject_commands():
    assert parse_intent("remove the sofa").tool == "generate_images"
    assert parse_intent("get rid of the hat").tool == "generate_images"
    assert parse_intent("remove Rex").tool == "delete_subject"
    assert parse_intent("add sunglasses").tool == "generate_images"
    assert parse_intent("add my sunglasses, call them Shades").tool == "create_subject"


def test_after_a_picture_only_an_explicit_delete_deletes():
    """ "remove the cat" after a picture is a picture without the cat; deleting a subject for
    good needs a word that says so."""
    for text in ("remove the cat", "remove Tom", "get rid of my dog", "take the cat out"):
        assert parse_intent(text, after_picture=True).tool == "generate_images", text
    for text in (
        "delete the cat",
        "remove Tom from my subjects",
        "erase Tom",
        "remove my cat's model",
    ):
        assert parse_intent(text, after_picture=True).tool == "delete_subject", text
    assert parse_intent("remove the cat").tool == "delete_subject"  # no picture to edit


def test_after_a_picture_adding_a_known_kind_is_not_a_new_subject():
    assert parse_intent("add my cat too", after_picture=True).tool == "generate_images"
    assert parse_intent("add my cat too").tool is None  # asks the new cat's name
    named = parse_intent("add my cat Luna", after_picture=True)
    assert (named.tool, named.args) == ("create_subject", {"name": "Luna", "class_noun": "cat"})


@pytest.mark.parametrize(
    "form", RENAME_FORMS, ids=[f"{i}-{form.example}" for i, form in enumerate(RENAME_FORMS)]
)
def test_every_rename_form_reads_its_own_example(form):
    """Each row of the rename table is checked on its own: its slots hold the old and the new
    name of its example (whether an earlier form reads the sentence first is the table's
    order, pinned by the cases below)."""
    match = re.search(form.compiled(0), form.example)
    assert match is not None, form.example
    assert strip_ref(match.group("old_0")) in ("Rex", "his", "him", "dog")
    assert match.group("new_0").startswith("Max")


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("rename Rex to Max", {"subject": "Rex", "new_name": "Max"}),
        ("he should be called Max, not Rex", {"subject": "Rex", "new_name": "Max"}),
        ("rename Rex? let's call him Max", {"subject": "Rex", "new_name": "Max"}),
        ("from now on Rex is called Max.", {"subject": "Rex", "new_name": "Max"}),
        ("call Rex Max instead please", {"subject": "Rex", "new_name": "Max"}),
    ],
)
def test_rename_through_the_whole_table(text, args):
    intent = parse_intent(text)
    assert (intent.tool, intent.args) == ("rename_subject", args)


def test_a_named_introduction_is_not_a_rename():
    intent = parse_intent("this is my dog, he's called Rex")
    assert (intent.tool, intent.args) == ("create_subject", {"name": "Rex", "class_noun": "dog"})


@pytest.mark.parametrize(
    "text",
    [
        "do a pencil sketch of Rex",
        "could you do him as an astronaut",
        "can you do an oil painting of my cat please",
        "do one of Luna in the rain",
    ],
)
def test_do_is_a_verb_of_making_not_only_of_questions(text):
    assert parse_intent(text).tool == "generate_images"


def test_do_still_asks_questions():
    assert parse_intent("do you keep my photos?").tool is None


@pytest.mark.parametrize(
    ("text", "recent_job", "tool", "args"),
    [
        ("cancel it", None, "cancel_training", {}),  # the offline model then tries a picture
        ("cancel it", "training", "cancel_training", {}),
        ("cancel it", "generation", "cancel_generation", {}),
        ("stop that", "generation", "cancel_generation", {}),
        ("nvm, cancel that", "generation", "cancel_generation", {}),
        ("stop the training", "generation", "cancel_training", {}),
        ("stop training Luna", "generation", "cancel_training", {"subject": "Luna"}),
        ("cancel the picture", "training", "cancel_generation", {}),
        ("stop drawing", None, "cancel_generation", {}),
        ("stop it, wrong photos", None, "cancel_training", {}),
    ],
)
def test_a_bare_cancel_means_the_job_the_conversation_started_last(text, recent_job, tool, args):
    intent = parse_intent(text, recent_job=recent_job)
    assert (intent.tool, intent.args) == (tool, args)


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("what's the ETA on Biscuit's model", "training_status", {"subject": "Biscuit"}),
        ("make the model for Rex", "start_training", {"subject": "Rex"}),
        (
            "new subject: Sir Barksalot, he's a puppy",
            "create_subject",
            {"name": "Sir Barksalot", "class_noun": "dog"},
        ),
        (
            "new subject - my old trainers, call them Runners",
            "create_subject",
            {"name": "Runners", "class_noun": "shoe"},
        ),
        (
            "my son Theo, can you make a subject for him",
            "create_subject",
            {"name": "Theo", "class_noun": "person"},
        ),
        ("take Luna off my account", "delete_subject", {"subject": "Luna"}),
        (
            "biscuit should be called Muffin from now on",
            "rename_subject",
            {"subject": "biscuit", "new_name": "Muffin"},
        ),
        (
            "can you call my cat Pumpkin instead",
            "rename_subject",
            {"subject": "cat", "new_name": "Pumpkin"},
        ),
        (
            "Can I rename Scout? I'd like it to be called Ranger",
            "rename_subject",
            {"subject": "Scout", "new_name": "Ranger"},
        ),
    ],
)
def test_commands_said_the_long_way_round(text, tool, args):
    intent = parse_intent(text)
    assert (intent.tool, intent.args) == (tool, args)


def test_creating_a_picture_of_someone_is_not_a_new_subject():
    intent = parse_intent("could you please create a painting of Grandma by the sea?")
    assert intent.tool == "generate_images"
