"""The content policy: refusals per category, false-positive guards, person vs other subjects,
obfuscation, logging and configuration."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from core.errors import InvalidSettings, PolicyViolation
from core.policy import (
    DEFAULT_PERSON_CLASSES,
    PolicyConfig,
    PolicyDecision,
    check_request,
    enforce,
    policy_config,
)
from core.settings import load_settings


@dataclass(frozen=True)
class SubjectRef:
    """Any record with an id, a name and a class noun will do (``core.domain.Subject``)."""

    id: str
    name: str
    class_noun: str
    token: str


ANNA = SubjectRef("sub-anna", "Anna", "woman", "vpk")
LILY = SubjectRef("sub-lily", "Lily", "girl", "lly")
SAM = SubjectRef("sub-sam", "Sam", "person", "smm")
REX = SubjectRef("sub-rex", "Rex", "dog", "sks")
POT = SubjectRef("sub-pot", "Kettle", "teapot", "tpq")
CONFIG = PolicyConfig.default()


def decide(text: str, *subjects: SubjectRef, config: PolicyConfig = CONFIG) -> PolicyDecision:
    return check_request(text, list(subjects), config=config)


@pytest.mark.parametrize(
    "text",
    [
        "Anna naked on the beach",
        "Anna nude",
        "a topless photo of Anna",
        "Anna in lingerie on a bed",
        "Anna in her underwear",
        "Anna without clothes",
        "Anna with no clothes on",
        "take off her clothes",
        "sexy Anna",
        "Anna posing seductively",
        "Anna in a porn scene",
        "Anna having sex",
        "an erotic picture of Anna",
        "Anna, nsfw",
        "Anna as a stripper",
        "Anna in a see-through dress",
    ],
)
def test_sexual_requests_about_a_person_are_refused(text):
    result = decide(text, ANNA)
    assert (result.allowed, result.category) == (False, "sexual"), result.term


@pytest.mark.parametrize(
    "text",
    [
        "Anna getting shot",
        "Anna shot dead in the street",
        "Anna stabbed with a knife",
        "Anna stabbing a man",
        "Anna beaten up by thugs",
        "Anna with a gun to her head",
        "Anna covered in blood",
        "Anna's corpse on the floor",
        "Anna dead in a ditch",
        "Anna being tortured",
        "Anna decapitated",
        "Anna hit by a car",
        "Anna strangled",
        "Anna tied up as a hostage",
        "Anna on fire",
        "shoot her in the park",
    ],
)
def test_violent_requests_about_a_person_are_refused(text):
    result = decide(text, ANNA)
    assert (result.allowed, result.category) == (False, "violence"), result.term


@pytest.mark.parametrize(
    "text",
    [
        "Anna looking fat and ugly",
        "make Anna look obese",
        "Anna as a pig",
        "Anna like a monkey",
        "Anna looking stupid",
        "a humiliating picture of Anna",
        "Anna in blackface",
        "Anna as a slave in chains",
        "Anna covered in vomit",
        "Anna being mocked by a crowd",
        "Anna looking hideous",
    ],
)
def test_demeaning_requests_about_a_person_are_refused(text):
    result = decide(text, ANNA)
    assert (result.allowed, result.category) == (False, "demeaning"), result.term


@pytest.mark.parametrize(
    "text",
    [
        "Anna on the beach at sunset",
        "Anna in a red dress in Paris",
        "Anna at a photo shoot",
        "Anna watching a shooting star",
        "Anna with a shot of espresso",
        "a headshot of Anna",
        "Anna in skinny jeans",
        "Anna in an ugly Christmas sweater",
        "Anna talking to the sexton",
        "Anna on holiday in Essex",
        "Anna in a pillow fight",
        "Anna in a snowball fight",
        "Anna killing it on stage",
        "Anna dressed to kill",
        "Anna with a Bloody Mary",
        "Anna wearing nude lipstick",
        "Anna with a naked cake",
        "Anna hanging out with friends",
        "Anna with her hair tied up",
        "Anna off the beaten path",
        "Anna next to a beat-up old car",
        "Anna in a bikini on the beach",
        "Anna boxing in a ring",
        "Anna as a firefighter",
        "Anna fencing",
        "Anna with a fat cat",
        "Anna in the Death Star",
        "Anna at the Day of the Dead parade",
        "Anna walking in dead leaves",
        "Anna in a superhero costume fighting a dragon",
        "Anna kicked a ball into the goal",
        "a fated meeting of Anna and a unicorn",
        "Anna's portrait shot at golden hour",
        "Anna on a run over the hills",
        "Anna slaved over a hot stove",
        "Anna at the bleeding edge of fashion",
    ],
)
def test_ordinary_requests_about_a_person_are_allowed(text):
    result = decide(text, ANNA)
    assert result == PolicyDecision(allowed=True), result.term


@pytest.mark.parametrize(
    "text",
    [
        "Rex fighting a pillow",
        "Rex naked without his sweater",
        "Rex playing dead",
        "Rex biting a shoe",
        "Rex in a cage at the vet",
        "Rex on a leash",
        "Rex attacking his toy",
        "a fat Rex",
        "an ugly sweater on Rex",
        "Kettle with a shot of whiskey",
        "Kettle naked without its lid",
        "show me Rex naked",
        "Rex has guts",
    ],
)
def test_mild_requests_about_other_subjects_are_allowed(text):
    assert decide(text, REX, POT).allowed


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Rex covered in blood", "violence"),
        ("Rex decapitated", "violence"),
        ("Rex with his guts spilling out", "violence"),
        ("Rex killed by a car", "violence"),
        ("Rex being tortured", "violence"),
        ("a gory picture of Rex", "violence"),
        ("Rex in a porn video", "sexual"),
        ("Rex having sex", "sexual"),
        ("an erotic Kettle", "sexual"),
        ("Rex next to a naked woman", "sexual"),
        ("Rex biting a man who is bleeding", "violence"),
        ("Rex with a dead body", "violence"),
    ],
)
def test_gore_and_sexual_content_are_refused_for_every_subject(text, category):
    result = decide(text, REX)
    assert (result.allowed, result.category) == (False, category), result.term


def test_people_named_in_the_text_count_even_without_a_person_subject():
    assert not decide("Rex with a topless man").allowed
    assert not decide("Rex chasing people who are getting shot").allowed
    assert decide("Rex with a man on the beach").allowed


def test_every_person_class_is_treated_as_a_person():
    for noun in ("person", "man", "woman", "boy", "girl", "child", "baby", "kid", "teenager"):
        subject = SubjectRef("sub-x", "X", noun, "xxy")
        assert not decide("X naked", subject).allowed, noun
    assert not decide("Lily looking sexy", LILY).allowed
    assert not decide("Sam dead", SAM).allowed
    assert "woman" in DEFAULT_PERSON_CLASSES


@pytest.mark.parametrize(
    "text",
    [
        "Anna n4ked",
        "Anna n a k e d",
        "Anna n.a.k.e.d",
        "Anna N-A-K-E-D",
        "Anna NAKED",
        "Anna naaaaked",
        "Anna na-ked",
        "Anna s*xy",
        "Anna séxy",
        "Anna na\u200bked",
        "Anna k1lled",
        "Anna b100dy",
        "Anna $3xy",
    ],
)
def test_light_obfuscation_is_seen_through(text):
    assert not decide(text, ANNA).allowed


def test_refusals_are_kind_and_say_what_to_ask_instead():
    sexual = decide("Anna naked", ANNA)
    violent = decide("Anna stabbed", ANNA)
    demeaning = decide("Anna as a pig", ANNA)
    gore = decide("Rex covered in blood", REX)
    messages = [sexual.message, violent.message, demeaning.message, gore.message]
    assert len(set(messages)) == 4
    assert all(m and ("instead" in m or "something else" in m) for m in messages)
    assert "Anna" in sexual.message and "Rex" in gore.message
    assert "naked" not in sexual.message and "blood" not in gore.message
    assert "Anna and Rex" in decide("Anna and Rex naked", ANNA, REX).message


def test_a_refusal_is_logged_with_category_subjects_and_a_hash_not_the_text(caplog):
    text = "Anna naked on the beach"
    with caplog.at_level(logging.INFO, logger="core.policy"):
        decide(text, ANNA, REX)
        decide("Anna on the beach", ANNA)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.name == "core.policy"
    assert record.policy_category == "sexual"
    assert record.policy_term == "naked"
    assert record.subject_ids == [ANNA.id, REX.id]
    assert len(record.text_sha256) == 16 and int(record.text_sha256, 16) >= 0
    assert text not in record.getMessage()
    assert all(text not in str(value) for value in vars(record).values())


def test_extra_terms_classes_and_allowed_phrases_extend_the_defaults():
    config = CONFIG.extended(
        terms={"demeaning": ["weirdo"], "weapons": ["bazooka"]},
        any_terms={"violence": ["laser cannon"]},
        person_classes=["Nurse"],
        allowed_phrases=["naked truth"],
        messages={"weapons": {"person": "No weapons with {who}, sorry — how about a picnic?"}},
    )
    nurse = SubjectRef("sub-n", "Jo", "nurse", "nrs")
    assert decide("Jo as a weirdo", nurse, config=config).category == "demeaning"
    assert decide("Jo as a weirdo", nurse).allowed  # not a person by default
    weapons = decide("Anna with a bazooka", ANNA, config=config)
    assert weapons.category == "weapons" and weapons.message.startswith("No weapons with Anna")
    assert decide("Rex firing a laser cannon", REX, config=config).category == "violence"
    assert decide("Anna telling the naked truth", ANNA, config=config).allowed
    assert not decide("Anna naked", ANNA, config=config).allowed


def test_a_policy_file_can_replace_the_defaults(tmp_path):
    data = {
        "replace": True,
        "person_classes": ["person"],
        "categories": {
            "spoilers": {"any": ["plot twist"], "other_message": "No spoilers for {who}!"}
        },
    }
    config = PolicyConfig.from_mapping(data)
    assert decide("Anna naked", SAM, config=config).allowed
    result = decide("Rex revealing the plot twist", REX, config=config)
    assert (result.category, result.message) == ("spoilers", "No spoilers for Rex!")


def test_configuration_from_settings(tmp_path):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps({"categories": {"demeaning": {"person": ["goofball"]}}}))
    settings = SimpleNamespace(
        policy_file=str(policy_file),
        policy_person_classes=["astronaut"],
        policy_extra_terms={"violence": ["pummel"]},
        policy_allowed_phrases=["nude beach volleyball"],
    )
    config = PolicyConfig.from_settings(settings)
    astronaut = SubjectRef("sub-a", "Neil", "astronaut", "ast")
    assert decide("Neil as a goofball", astronaut, config=config).category == "demeaning"
    assert decide("Anna pummeled", ANNA, config=config).category == "violence"
    assert decide("Anna at nude beach volleyball", ANNA, config=config).allowed
    assert PolicyConfig.from_settings(SimpleNamespace()) == CONFIG


@pytest.mark.parametrize("content", ["not json", '["a list"]', '{"categories": ["x"]}'])
def test_a_broken_policy_file_is_a_settings_error(tmp_path, content):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(content)
    with pytest.raises(InvalidSettings, match="DREAMCHAT_POLICY_FILE"):
        PolicyConfig.from_settings(SimpleNamespace(policy_file=policy_file))
    with pytest.raises(InvalidSettings, match="cannot use"):
        PolicyConfig.from_settings(SimpleNamespace(policy_file=tmp_path / "missing.json"))


def test_the_configuration_is_built_once_per_settings_object():
    settings = load_settings()
    config = policy_config(settings)
    assert config is policy_config(settings)
    assert config.categories == CONFIG.categories
    assert not check_request("Anna naked", [ANNA], config=config).allowed


def test_one_list_of_person_classes_honours_the_setting(monkeypatch):
    monkeypatch.setenv("DREAMCHAT_POLICY_PERSON_CLASSES", "Astronaut, nurse")
    config = policy_config(load_settings())
    assert config.is_person("astronaut") and config.is_person("nurse")
    assert config.is_person("woman") and config.is_person("young woman")
    assert not config.is_person("dog") and not config.is_person("teapot")
    assert not policy_config(load_settings(policy_person_classes=[])).is_person("astronaut")


@pytest.mark.parametrize(
    ("negative", "allowed"),
    [
        ("blurry, clothes", False),
        ("clothing, low quality", False),
        ("bikini", False),
        ("blurry, low quality, deformed, watermark, text", True),
        ("nsfw, nude, naked", True),  # asking for less is fine
        ("people, cars", True),
    ],
)
def test_a_negative_prompt_cannot_take_a_persons_clothes_off(negative, allowed):
    result = check_request(
        "a photo of vpk woman on the beach", [ANNA], negative_prompt=negative, config=CONFIG
    )
    assert result.allowed is allowed
    if not allowed:
        assert result.category == "sexual"
    assert check_request(
        "a photo of sks dog", [REX], negative_prompt=negative, config=CONFIG
    ).allowed


def test_enforce_raises_the_refusal_with_its_message_and_category():
    enforce(["Anna on the beach", "a photo of vpk woman on the beach"], [ANNA], config=CONFIG)
    with pytest.raises(PolicyViolation) as refused:
        enforce(["a photo of vpk woman", "Anna naked"], [ANNA], config=CONFIG)
    error = refused.value
    assert (error.code, error.http_status) == ("content_policy", 422)
    assert error.message == check_request("Anna naked", [ANNA], config=CONFIG).message
    assert error.details == {"category": "sexual", "subject_ids": [ANNA.id]}
