"""The prompt compiler against DreamBench: every benchmark prompt from casual requests."""

from __future__ import annotations

import re

import pytest

from agent.dreambench import (
    ATTRIBUTE_PROMPTS,
    BENCH_SUBJECTS,
    LIVE_SUBJECT_CLASSES,
    LIVE_SUBJECT_PROMPTS,
    OBJECT_CLASSES,
    OBJECT_PROMPTS,
    SHARED_SCENE_PROMPTS,
    format_prompt,
    prompts_for_class,
)
from agent.prompts import (
    BENCH_LEAD,
    PHOTO_LEAD,
    SubjectRef,
)

from .subjects import compiled


def test_dreambench_lists_have_the_papers_shape():
    assert len(OBJECT_PROMPTS) == len(LIVE_SUBJECT_PROMPTS) == 25
    assert OBJECT_PROMPTS[:10] == LIVE_SUBJECT_PROMPTS[:10] == SHARED_SCENE_PROMPTS
    assert OBJECT_PROMPTS[-5:] == LIVE_SUBJECT_PROMPTS[-5:] == ATTRIBUTE_PROMPTS
    assert len(set(OBJECT_PROMPTS) | set(LIVE_SUBJECT_PROMPTS)) == 35
    assert all(t.count("{0} {1}") == 1 for t in (*OBJECT_PROMPTS, *LIVE_SUBJECT_PROMPTS))
    assert len(BENCH_SUBJECTS) == 30
    assert sum(s.live for s in BENCH_SUBJECTS) == 9
    assert LIVE_SUBJECT_CLASSES == {"dog", "cat"}
    assert "stuffed animal" in OBJECT_CLASSES and "dog" not in OBJECT_CLASSES
    assert prompts_for_class("dog") is LIVE_SUBJECT_PROMPTS
    assert prompts_for_class("teapot") is OBJECT_PROMPTS
    assert format_prompt(OBJECT_PROMPTS[0], "sks", "vase") == "a sks vase in the jungle"


def _casual_requests(template: str, name: str, noun: str) -> list[str]:
    """How people ask for a benchmark prompt, by name and by kind, politely or not."""
    attribute = re.fullmatch(r"a (.+) \{0\} \{1\}", template)
    if attribute:
        adjective = attribute.group(1)
        return [
            f"show me a {adjective} {name}",
            f"a {adjective} version of my {noun}",
            f"make {name} a {adjective} {noun}",
            f"my {noun}, but {adjective}",
            f"Can you draw my {noun} {adjective}?",
        ]
    scene = template.removeprefix("a {0} {1} ")
    requests = [
        f"show my {noun} {scene}",
        f"{name} {scene}",
        f"can you make a picture of my {noun} {scene}?",
        f"I'd love to see {name} {scene}, please",
        f"it {scene}",  # with the subject in focus
    ]
    if scene.startswith("wearing "):
        requests.append(f"put {scene.removeprefix('wearing ')} on {name}")
    return requests


@pytest.mark.parametrize(
    ("template", "noun"),
    [pytest.param(t, "teapot", id=f"object-{i}") for i, t in enumerate(OBJECT_PROMPTS)]
    + [pytest.param(t, "dog", id=f"live-{i}") for i, t in enumerate(LIVE_SUBJECT_PROMPTS)],
)
def test_every_dreambench_template_compiles_from_casual_requests(template, noun):
    subject = SubjectRef("bench", "Rex", noun, "sks")
    others = [subject, SubjectRef("other", "Luna", "vase", "zwx")]
    expected = format_prompt(template, "sks", noun)
    for request in _casual_requests(template, "Rex", noun):
        bench = compiled(request, others, focus="bench", lead=BENCH_LEAD)
        assert bench.prompt == expected, request
        photo = compiled(request, others, focus="bench")
        assert photo.prompt == f"{PHOTO_LEAD} {expected.removeprefix('a ')}", request
        assert photo.subject_ids == ("bench",)


def test_dreambench_templates_for_every_benchmark_class():
    """Multi-word class nouns ("stuffed animal") and plural ones ("glasses") too."""
    for bench in BENCH_SUBJECTS:
        subject = SubjectRef(bench.name, "Rex", bench.class_noun, "sks")
        for template in prompts_for_class(bench.class_noun):
            for request in _casual_requests(template, "Rex", bench.class_noun)[:2]:
                result = compiled(request, [subject], lead=BENCH_LEAD)
                assert result.prompt == format_prompt(template, "sks", bench.class_noun), request
