"""The prompt compiler: DreamBench coverage, references, scenes, settings words, follow-ups."""

from __future__ import annotations

import json
import re
import time

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
    DEFAULT_NEGATIVE_PROMPT,
    MAX_IMAGES,
    PHOTO_LEAD,
    Aspect,
    Clarify,
    CompiledPrompt,
    SubjectRef,
    UnknownSubject,
    compile_prompt,
    size_for,
)

REX = SubjectRef("sub-rex", "Rex", "dog", "sks")
TOM = SubjectRef("sub-tom", "Tom", "cat", "zwx")
PACK = SubjectRef("sub-pack", "Blue Pack", "backpack", "qrt")
ANNA = SubjectRef("sub-anna", "Anna", "woman", "vpk")
POT = SubjectRef("sub-pot", "Kettle", "teapot", "tpq")
FIDO = SubjectRef("sub-fido", "Fido", "dog", "fdo")
MINE = [REX, TOM, PACK, ANNA, POT]


def compiled(text: str, subjects=MINE, **kwargs) -> CompiledPrompt:
    result = compile_prompt(text, subjects, **kwargs)
    assert isinstance(result, CompiledPrompt), f"{text!r} → {result!r}"
    return result


def prompt(text: str, subjects=MINE, **kwargs) -> str:
    return compiled(text, subjects, **kwargs).prompt


# --- DreamBench --------------------------------------------------------------------------------


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


# --- subject references --------------------------------------------------------------------------


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
    assert result.options == tuple(s.name for s in MINE)
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


# --- scenes and attributes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "scene"),
    [
        ("show me my dog on the beach at sunset!!", "on the beach at sunset"),
        ("Can you make a picture of Rex in the snow please?", "in the snow"),
        ("could you please generate an image of Rex in Tokyo, thanks", "in Tokyo"),
        ("hey, draw Rex as a firefighter", "as a firefighter"),
        ("I'd like to see Rex riding a skateboard", "riding a skateboard"),
        ("I want a photo of Rex under a tree", "under a tree"),
        ("let me see Rex in a spaceship", "in a spaceship"),
        ("what would Rex look like in a chef outfit", "in a chef outfit"),
        ("how would Rex look in a tuxedo", "in a tuxedo"),
        ("generate Rex in a field of tulips", "in a field of tulips"),
        ("Rex is sleeping on a couch", "sleeping on a couch"),
        ("Rex is on the beach", "on the beach"),
        ("make Rex wear a yellow shirt", "wearing a yellow shirt"),
        ("Rex with a santa hat on", "wearing a santa hat"),
        ("put a santa hat on Rex", "wearing a santa hat"),
        ("dress Rex in a police outfit", "in a police outfit"),
        ("Rex with the Eiffel Tower in the background", "with the Eiffel Tower in the background"),
        ("a watercolor painting of Rex", "as a watercolor painting"),
        ("pixel art of Rex", "in pixel art style"),
        ("Show Rex", ""),
    ],
)
def test_command_words_are_stripped_and_the_scene_kept(request_text, scene):
    result = compiled(request_text)
    assert result.scene == scene
    assert result.subject_ids == (REX.id,)


@pytest.mark.parametrize(
    ("request_text", "attributes", "expected"),
    [
        ("show me a red Rex", ("red",), "a photo of red sks dog"),
        ("make Rex a cube shaped dog", ("cube shaped",), "a photo of cube shaped sks dog"),
        ("my teapot shaped like a cube", ("cube shaped",), "a photo of cube shaped tpq teapot"),
        ("a cube-shaped Kettle", ("cube shaped",), "a photo of cube shaped tpq teapot"),
        ("a shiny version of my backpack", ("shiny",), "a photo of shiny qrt backpack"),
        ("Rex, but wet, on the beach", ("wet",), "a photo of wet sks dog on the beach"),
        ("my teapot in purple", ("purple",), "a photo of purple tpq teapot"),
        ("a tiny golden Rex", ("tiny", "golden"), "a photo of tiny golden sks dog"),
    ],
)
def test_attributes_next_to_a_subject_describe_it(request_text, attributes, expected):
    result = compiled(request_text)
    assert result.attributes == attributes
    assert result.prompt == expected


@pytest.mark.parametrize(
    "request_text",
    [
        "Rex wearing a red hat",
        "Rex on top of pink fabric",
        "Rex on top of a purple rug in a forest",
        "Rex in a purple wizard outfit",
        "Rex on a red carpet",
    ],
)
def test_colours_in_the_scene_are_not_attributes(request_text):
    assert compiled(request_text).attributes == ()


def test_the_compiler_is_deterministic():
    results = {
        compile_prompt("Can you show me 2 pictures of Rex at night?", MINE) for _ in range(5)
    }
    assert len(results) == 1


# --- count, aspect, seed, negatives --------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "count"),
    [
        ("Rex in Paris", 1),
        ("one picture of Rex in Paris", 1),
        ("2 pictures of Rex in Paris", 2),
        ("two photos of Rex in Paris", 2),
        ("three images of Rex in Paris", 3),
        ("4 versions of Rex in Paris", 4),
        ("a couple of pictures of Rex in Paris", 2),
        ("a couple pics of Rex in Paris", 2),
        ("a few shots of Rex in Paris", 3),
        ("Rex in Paris, 3 variations", 3),
        ("Rex in Paris x4", 4),
        ("give me 2 of Rex in Paris", 1),  # "2 of <name>" is not a count we know
    ],
)
def test_count_words(request_text, count):
    assert compiled(request_text).count == count


@pytest.mark.parametrize("request_text", ["10 pictures of Rex", "give me five photos of Rex"])
def test_counts_above_four_are_capped_with_a_note(request_text):
    result = compiled(request_text)
    assert result.count == MAX_IMAGES
    assert len(result.notes) == 1 and str(MAX_IMAGES) in result.notes[0]
    assert result.prompt == "a photo of sks dog"


@pytest.mark.parametrize(
    ("request_text", "aspect", "size"),
    [
        ("Rex in Paris", Aspect.SQUARE, (512, 512)),
        ("Rex in Paris, square", Aspect.SQUARE, (512, 512)),
        ("Rex in Paris in portrait format", Aspect.PORTRAIT, (512, 768)),
        ("a portrait of Rex", Aspect.PORTRAIT, (512, 768)),
        ("Rex in Paris, vertical", Aspect.PORTRAIT, (512, 768)),
        ("Rex on the beach in landscape", Aspect.LANDSCAPE, (768, 512)),
        ("Rex on the beach, landscape orientation", Aspect.LANDSCAPE, (768, 512)),
        ("Rex on the beach in widescreen", Aspect.WIDE, (912, 512)),
        ("Rex on the beach, 16:9", Aspect.WIDE, (912, 512)),
        ("a wide shot of Rex on the beach", Aspect.WIDE, (912, 512)),
        ("Rex as a phone wallpaper", Aspect.TALL, (512, 912)),
        ("Rex, tall format", Aspect.TALL, (512, 912)),
    ],
)
def test_aspect_words_pick_the_size(request_text, aspect, size):
    result = compiled(request_text)
    assert (result.aspect, (result.width, result.height)) == (aspect, size)
    assert "portrait" not in result.prompt and "landscape" not in result.prompt


@pytest.mark.parametrize(
    "request_text",
    [
        "Rex in tall grass",
        "Rex on a town square",
        "Rex in a wide river",
        "Rex in a mountain landscape",
    ],
)
def test_aspect_words_inside_a_scene_stay_in_the_scene(request_text):
    result = compiled(request_text)
    assert result.aspect is Aspect.SQUARE
    assert result.scene == request_text.removeprefix("Rex ")


@pytest.mark.parametrize("base", [256, 512, 640, 768, 1024])
def test_sizes_scale_with_the_base_and_are_multiples_of_8(base):
    for aspect in Aspect:
        width, height = size_for(aspect, base)
        assert width % 8 == 0 and height % 8 == 0
        assert min(width, height) == base
    assert size_for(Aspect.PORTRAIT, base) == (base, base * 3 // 2)
    assert size_for(Aspect.LANDSCAPE, base) == (base * 3 // 2, base)
    assert compiled("Rex, landscape", base_size=base).width == base * 3 // 2


def test_size_rejects_a_tiny_base():
    with pytest.raises(ValueError):
        size_for(Aspect.SQUARE, 32)


def test_an_explicit_seed_is_used():
    assert compiled("Rex at night, seed 42").seed == 42
    assert compiled("Rex at night with seed=7").seed == 7
    assert compiled("Rex at night").seed is None


@pytest.mark.parametrize(
    ("request_text", "extra", "scene"),
    [
        ("Rex in a park without people", ["people"], "in a park"),
        ("Rex in a park with no people in the background", ["people"], "in a park"),
        ("Rex without a leash in the park", ["leash"], "in the park"),
        ("Rex in a park, no people and no cars", ["people", "cars"], "in a park"),
        ("Rex in a field, without people and cars", ["people", "cars"], "in a field"),
        ("Rex in a field, don't include any people", ["people"], "in a field"),
        ("Rex on a poster, no text", [], "on a poster"),
    ],
)
def test_no_and_without_move_to_the_negative_prompt(request_text, extra, scene):
    result = compiled(request_text)
    assert result.negative_prompt == ", ".join([DEFAULT_NEGATIVE_PROMPT, *extra])
    assert result.scene == scene


def test_a_bare_no_is_not_a_negative():
    result = compiled("no, Rex on the beach")
    assert result.negative_prompt == DEFAULT_NEGATIVE_PROMPT


# --- follow-ups --------------------------------------------------------------------------------


@pytest.fixture
def sunset() -> CompiledPrompt:
    """The last generation, as the agent stores it: with the seed that was used."""
    return compiled("Rex on the beach at sunset").with_seed(1234)


def test_another_one_repeats_with_a_new_seed(sunset):
    for text in ("another one", "one more", "again", "another one please", "a different one"):
        result = compiled(text, previous=sunset, focus=REX.id)
        assert result.prompt == sunset.prompt, text
        assert result.seed is None and result.count == 1


def test_make_it_at_night_replaces_the_time_of_day(sunset):
    result = compiled("make it at night", previous=sunset)
    assert result.prompt == "a photo of sks dog on the beach at night"
    assert result.seed == 1234
    assert result.subject_ids == (REX.id,)
    assert compiled("at night", previous=sunset).prompt == result.prompt
    assert compiled("make it night", previous=sunset).prompt == result.prompt


def test_a_count_reuses_the_prompt_with_new_seeds(sunset):
    for text in ("4 of them", "make 4", "four more", "x4"):
        result = compiled(text, previous=sunset)
        assert (result.prompt, result.count, result.seed) == (sunset.prompt, 4, None), text


def test_same_but_square_keeps_the_seed(sunset):
    wide = compiled("Rex on the beach at sunset, 16:9").with_seed(99)
    result = compiled("same but square", previous=wide)
    assert (result.aspect, result.width, result.height) == (Aspect.SQUARE, 512, 512)
    assert (result.prompt, result.seed) == (wide.prompt, 99)
    assert compiled("make it landscape", previous=sunset).aspect is Aspect.LANDSCAPE


@pytest.mark.parametrize(
    ("text", "scene"),
    [
        ("make it at night", "on the beach at night"),
        ("in the rain", "on the beach at sunset in the rain"),
        ("make it rainy", "on the beach at sunset on a rainy day"),
        ("make it winter", "on the beach at sunset in winter"),
        ("as a watercolor painting", "on the beach at sunset as a watercolor painting"),
        ("make it a watercolor", "on the beach at sunset as a watercolor"),
        ("make it anime", "on the beach at sunset in anime style"),
        ("black and white", "on the beach at sunset in black and white"),
        ("same but in London", "in London at sunset"),
        ("now in a forest", "in a forest at sunset"),
        ("instead on a boat at dawn", "on a boat at dawn"),
    ],
)
def test_modifications_change_only_what_they_name(sunset, text, scene):
    assert compiled(text, previous=sunset).scene == scene


def test_modifiers_of_the_same_kind_replace_each_other():
    styled = compiled("Rex in Paris as an oil painting at night").with_seed(5)
    result = compiled("make it a pencil sketch", previous=styled)
    assert result.scene == "in Paris at night as a pencil sketch"
    result = compiled("at sunrise", previous=styled)
    assert result.scene == "in Paris as an oil painting at sunrise"


def test_a_new_place_replaces_a_scene_that_was_only_weather():
    snow = compiled("my dog in the snow").with_seed(5)
    assert compiled("now on the beach", previous=snow).scene == "on the beach"


def test_a_new_scene_without_a_cue_is_a_new_picture(sunset):
    result = compiled("on a mountain", previous=sunset)
    assert result.prompt == "a photo of sks dog on a mountain"
    assert result.seed is None


def test_attribute_follow_ups_replace_attributes_of_the_same_kind(sunset):
    purple = compiled("make it purple", previous=sunset)
    assert purple.prompt == "a photo of purple sks dog on the beach at sunset"
    red = compiled("make it red", previous=purple.with_seed(1))
    assert red.attributes == ("red",)
    shiny_red = compiled("shiny", previous=red.with_seed(1))
    assert shiny_red.attributes == ("red", "shiny")


def test_settings_only_follow_ups(sunset):
    assert compiled("without people", previous=sunset).negative_prompt.endswith(", people")
    assert compiled("seed 7", previous=sunset).seed == 7
    assert compiled("the same one", previous=sunset).seed == 1234
    assert compiled("same again", previous=sunset).seed is None  # another of the same
    assert compiled("another one with the same seed", previous=sunset).seed == 1234


def test_swapping_or_adding_subjects_keeps_the_scene(sunset):
    swapped = compiled("now my cat", previous=sunset)
    assert swapped.prompt == "a photo of zwx cat on the beach at sunset"
    assert swapped.subject_ids == (TOM.id,)
    added = compiled("Tom too", previous=sunset)
    assert added.prompt == "a photo of sks dog and zwx cat on the beach at sunset"
    same_with = compiled("same but with Anna", previous=sunset)
    assert same_with.subject_ids == (ANNA.id,) and same_with.seed == 1234


def test_follow_ups_keep_count_aspect_and_negatives(sunset):
    previous = compiled("3 pictures of Rex in Paris, portrait, without people").with_seed(8)
    result = compiled("make it at night", previous=previous)
    assert (result.count, result.aspect, result.seed) == (3, Aspect.PORTRAIT, 8)
    assert result.negative_prompt.endswith(", people")
    assert compiled("another one", previous=previous).count == 1
    assert compiled("again", previous=previous).count == 3


def test_nothing_to_repeat_without_a_previous_picture():
    result = compile_prompt("another one", MINE)
    assert isinstance(result, Clarify) and result.reason == "nothing_to_repeat"


def test_a_deleted_subject_is_not_brought_back(sunset):
    result = compile_prompt("another one", [TOM, ANNA], previous=sunset)
    assert isinstance(result, Clarify)


def test_compiled_prompts_round_trip_through_json(sunset):
    result = compiled("2 pictures of a red Rex on the beach, 16:9, without people").with_seed(11)
    restored = CompiledPrompt.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result
    assert compiled("make it at night", previous=restored).attributes == ("red",)


# --- speed ---------------------------------------------------------------------------------------


def test_compiling_is_well_under_a_millisecond(sunset):
    requests = [
        "Can you show me 2 pictures of Rex on the beach at sunset without people?",
        "my dog and my cat in a park",
        "make it at night",
        "same but square",
        "a red version of my teapot",
    ]
    for text in requests:  # warm the per-user cache
        compile_prompt(text, MINE, previous=sunset)
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        for text in requests:
            compile_prompt(text, MINE, previous=sunset)
    per_call = (time.perf_counter() - started) / (rounds * len(requests))
    assert per_call < 1e-3, f"{per_call * 1e6:.0f} µs per call"
