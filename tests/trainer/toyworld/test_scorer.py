"""The ToyWorld scorer reads class, scene, colour and subject off pictures it never saw."""

from __future__ import annotations

import random

import pytest

from trainer.toyworld import world
from trainer.toyworld.scorer import WEIGHTS, evaluate, load_scorer, nothing_picture

# Floors a little under what the committed weights measure (docs/toyworld.md has the figures).
CRISP_FLOORS = {"cls": 0.93, "scene": 0.98, "colour": 0.93, "subject": 0.95, "subject_vs_not": 0.95}
SOFT_FLOORS = {"cls": 0.88, "scene": 0.97, "colour": 0.88, "subject": 0.93, "subject_vs_not": 0.93}


@pytest.fixture(scope="module")
def scorer():
    return load_scorer()


@pytest.mark.parametrize(("soften", "floors"), [(False, CRISP_FLOORS), (True, SOFT_FLOORS)])
def test_accuracy_on_fresh_world_pictures(scorer, soften, floors):
    accuracy = evaluate(scorer, seed=424242, images=400, soften=soften)
    for head, floor in floors.items():
        assert accuracy[head] >= floor, (head, accuracy)


def test_captions_agree_with_what_is_drawn(scorer):
    """Every word a caption says about a picture — class, colour, place — the scorer sees."""
    phrases = {"beach": "beach", "snow": "snow", "forest": "forest", "night": "night"}
    pairs = world.sample_pairs(200, seed=99)
    scores = scorer.score_batch([image for image, _, _ in pairs])
    checked = agreed = 0
    for (_, caption, _), score in zip(pairs, scores, strict=True):
        words = caption.split()
        said = {"cls": next(w for w in words if w in world.CLASSES)}
        for word in words:
            if word in world.PALETTE:
                said["colour"] = word
            if word in phrases:
                said["scene"] = phrases[word]
        if "city" in words or "paris" in words:
            said.setdefault("scene", "night" if "night" in words else "city")
        for head, value in said.items():
            checked += 1
            agreed += getattr(score, head) == value
    assert checked > 400
    assert agreed / checked >= 0.95


def test_subject_photos_are_recognised_and_the_class_is_not_the_subject(scorer):
    for name, subject in world.SUBJECTS.items():
        for score in scorer.score_batch(world.subject_photos(name)):
            assert score.subject == name and score.cls == subject.cls
            assert score.signature[name] >= 0.5  # 1.0: as much of the colour as the median photo
    plain = scorer.score_batch([image for image, _, _ in world.sample_pairs(100, seed=5)])
    assert [s.subject for s in plain].count("none") >= 95
    assert sum(max(s.signature.values()) < 0.3 for s in plain) >= 95


def test_the_subject_on_a_beach_it_was_never_photographed_on(scorer):
    specs = [world.Spec("dog", "brown", "beach", seed=s, subject="pinkdog") for s in range(20)]
    scores = scorer.score_batch([world.render(spec) for spec in specs])
    assert sum(s.subject == "pinkdog" and s.scene == "beach" for s in scores) >= 18


def test_weights_are_committed():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 1_000_000


def test_a_picture_of_nothing_is_no_class_in_no_scene(scorer):
    """An untrained model's blobs must not score as a dog in the city."""
    rng = random.Random("fresh nothing")
    scores = scorer.score_batch([nothing_picture(rng) for _ in range(100)])
    assert sum(s.cls == "none" for s in scores) >= 90
    assert sum(s.scene == "none" for s in scores) >= 90
