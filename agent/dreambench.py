"""The DreamBench evaluation prompts and subjects (Ruiz et al., *DreamBooth*, CVPR 2023), as data.

The prompt compiler is tested against every template here, so a casual request that names one
of these scenes produces the benchmark's exact prompt, and results stay comparable with the
paper's numbers. ``{0}`` is the subject's rare token and ``{1}`` its class noun, as in the
dataset's ``prompts_and_classes.txt``; the strings are kept verbatim, including case.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ATTRIBUTE_PROMPTS",
    "BENCH_SUBJECTS",
    "LIVE_SUBJECT_CLASSES",
    "LIVE_SUBJECT_PROMPTS",
    "OBJECT_CLASSES",
    "OBJECT_PROMPTS",
    "SHARED_SCENE_PROMPTS",
    "BenchSubject",
    "format_prompt",
    "prompts_for_class",
]

SHARED_SCENE_PROMPTS: tuple[str, ...] = (
    "a {0} {1} in the jungle",
    "a {0} {1} in the snow",
    "a {0} {1} on the beach",
    "a {0} {1} on a cobblestone street",
    "a {0} {1} on top of pink fabric",
    "a {0} {1} on top of a wooden floor",
    "a {0} {1} with a city in the background",
    "a {0} {1} with a mountain in the background",
    "a {0} {1} with a blue house in the background",
    "a {0} {1} on top of a purple rug in a forest",
)
"""The ten recontextualization prompts both lists start with."""

ATTRIBUTE_PROMPTS: tuple[str, ...] = (
    "a red {0} {1}",
    "a purple {0} {1}",
    "a shiny {0} {1}",
    "a wet {0} {1}",
    "a cube shaped {0} {1}",
)
"""Property-modification prompts; both lists end with these five."""

OBJECT_PROMPTS: tuple[str, ...] = (
    *SHARED_SCENE_PROMPTS,
    "a {0} {1} with a wheat field in the background",
    "a {0} {1} with a tree and autumn leaves in the background",
    "a {0} {1} with the Eiffel Tower in the background",
    "a {0} {1} floating on top of water",
    "a {0} {1} floating in an ocean of milk",
    "a {0} {1} on top of green grass with sunflowers around it",
    "a {0} {1} on top of a mirror",
    "a {0} {1} on top of the sidewalk in a crowded street",
    "a {0} {1} on top of a dirt road",
    "a {0} {1} on top of a white rug",
    *ATTRIBUTE_PROMPTS,
)

LIVE_SUBJECT_PROMPTS: tuple[str, ...] = (
    *SHARED_SCENE_PROMPTS,
    "a {0} {1} wearing a red hat",
    "a {0} {1} wearing a santa hat",
    "a {0} {1} wearing a rainbow scarf",
    "a {0} {1} wearing a black top hat and a monocle",
    "a {0} {1} in a chef outfit",
    "a {0} {1} in a firefighter outfit",
    "a {0} {1} in a police outfit",
    "a {0} {1} wearing pink glasses",
    "a {0} {1} wearing a yellow shirt",
    "a {0} {1} in a purple wizard outfit",
    *ATTRIBUTE_PROMPTS,
)
"""Live subjects get outfits instead of the object list's extra backgrounds."""


@dataclass(frozen=True, slots=True)
class BenchSubject:
    """One of the 30 DreamBench subjects: its folder name in the dataset and its class noun."""

    name: str
    class_noun: str

    @property
    def live(self) -> bool:
        return self.class_noun in LIVE_SUBJECT_CLASSES


LIVE_SUBJECT_CLASSES: frozenset[str] = frozenset({"dog", "cat"})

BENCH_SUBJECTS: tuple[BenchSubject, ...] = tuple(
    BenchSubject(name, class_noun)
    for name, class_noun in (
        ("backpack", "backpack"),
        ("backpack_dog", "backpack"),
        ("bear_plushie", "stuffed animal"),
        ("berry_bowl", "bowl"),
        ("can", "can"),
        ("candle", "candle"),
        ("cat", "cat"),
        ("cat2", "cat"),
        ("clock", "clock"),
        ("colorful_sneaker", "sneaker"),
        ("dog", "dog"),
        ("dog2", "dog"),
        ("dog3", "dog"),
        ("dog5", "dog"),
        ("dog6", "dog"),
        ("dog7", "dog"),
        ("dog8", "dog"),
        ("duck_toy", "toy"),
        ("fancy_boot", "boot"),
        ("grey_sloth_plushie", "stuffed animal"),
        ("monster_toy", "toy"),
        ("pink_sunglasses", "glasses"),
        ("poop_emoji", "toy"),
        ("rc_car", "toy"),
        ("red_cartoon", "cartoon"),
        ("robot_toy", "toy"),
        ("shiny_sneaker", "sneaker"),
        ("teapot", "teapot"),
        ("vase", "vase"),
        ("wolf_plushie", "stuffed animal"),
    )
)
"""9 live subjects (dogs and cats) and 21 objects of 13 classes."""

OBJECT_CLASSES: frozenset[str] = frozenset(
    subject.class_noun for subject in BENCH_SUBJECTS if not subject.live
)


def prompts_for_class(class_noun: str) -> tuple[str, ...]:
    """The benchmark's prompt list for a class: live subjects get outfits, the rest objects'."""
    return LIVE_SUBJECT_PROMPTS if class_noun in LIVE_SUBJECT_CLASSES else OBJECT_PROMPTS


def format_prompt(template: str, token: str, class_noun: str) -> str:
    return template.format(token, class_noun)
