"""What compiling a request gives back: one generation's parameters, a question to ask, or a
subject the person does not have; and the image sizes an aspect maps to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from core.limits import IMAGE_SIDE
from core.recipe import GPU_NEGATIVE_PROMPT

MAX_IMAGES = 4
"""More images per request than this would hold the GPU queue for everyone else."""

DEFAULT_BASE_SIZE = 512


PHOTO_LEAD = "a photo of"
"""How prompts start by default, matching the instance prompt the adapters are trained with."""

BENCH_LEAD = "a"
"""The DreamBench style: ``a sks dog in the jungle``."""

DEFAULT_NEGATIVE_PROMPT = GPU_NEGATIVE_PROMPT
"""The compiler's default when no base model's recipe is given (``core/recipe.py``)."""


class Aspect(StrEnum):
    SQUARE = "square"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"
    WIDE = "wide"
    TALL = "tall"


_RATIOS: dict[Aspect, tuple[int, int]] = {
    Aspect.SQUARE: (1, 1),
    Aspect.PORTRAIT: (2, 3),
    Aspect.LANDSCAPE: (3, 2),
    Aspect.WIDE: (16, 9),
    Aspect.TALL: (9, 16),
}


def _round8(value: float) -> int:
    return max(8, round(value / 8) * 8)


def size_for(aspect: Aspect | str, base_size: int = DEFAULT_BASE_SIZE) -> tuple[int, int]:
    """``(width, height)`` whose short side is ``base_size`` (the resolution the adapter was
    trained at, where it looks best) and whose long side follows the ratio; both are multiples
    of 8 because the VAE works on 8×8 blocks."""
    if base_size < IMAGE_SIDE.lo:
        raise ValueError(f"base_size must be at least {IMAGE_SIDE.lo} pixels, not {base_size}")
    short = _round8(base_size)
    across, down = _RATIOS[Aspect(aspect)]
    if across == down:
        return short, short
    long = _round8(short * max(across, down) / min(across, down))
    return (long, short) if across > down else (short, long)


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """What the compiler needs to know about one of the user's subjects."""

    id: str
    name: str
    class_noun: str
    token: str

    @classmethod
    def of(cls, subject: Any) -> SubjectRef:
        """From any record with these four attributes, e.g. ``core.domain.Subject``."""
        return cls(subject.id, subject.name, subject.class_noun, subject.token)

    @property
    def phrase(self) -> str:
        return f"{self.token} {self.class_noun}"


@dataclass(frozen=True, slots=True)
class CompiledPrompt:
    """One generation's parameters. The agent stores it (``to_dict``) as the conversation's last
    generation, with ``seed`` set to the seed actually used, so that "same but square" can
    reproduce the picture."""

    prompt: str
    negative_prompt: str
    count: int
    width: int
    height: int
    aspect: Aspect
    seed: int | None
    """``None``: pick a new one."""
    subject_ids: tuple[str, ...]
    scene: str
    """The request's own words after the subjects ("on the beach at sunset"); may be empty."""
    attributes: tuple[str, ...] = ()
    """Properties of the (first) subject itself, as in ``a red sks dog``."""
    notes: tuple[str, ...] = ()
    """Things the agent should tell the person, e.g. that a count was capped."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "count": self.count,
            "width": self.width,
            "height": self.height,
            "aspect": self.aspect.value,
            "seed": self.seed,
            "subject_ids": list(self.subject_ids),
            "scene": self.scene,
            "attributes": list(self.attributes),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompiledPrompt:
        return cls(
            prompt=str(data["prompt"]),
            negative_prompt=str(data.get("negative_prompt", "")),
            count=int(data.get("count", 1)),
            width=int(data["width"]),
            height=int(data["height"]),
            aspect=Aspect(data.get("aspect", Aspect.SQUARE)),
            seed=None if data.get("seed") is None else int(data["seed"]),
            subject_ids=tuple(data.get("subject_ids", ())),
            scene=str(data.get("scene", "")),
            attributes=tuple(data.get("attributes", ())),
            notes=tuple(data.get("notes", ())),
        )

    def with_seed(self, seed: int | None) -> CompiledPrompt:
        return replace(self, seed=seed)


ClarifyReason = Literal[
    "ambiguous_subject", "no_subject", "no_subjects", "nothing_to_repeat", "empty", "unclear"
]


@dataclass(frozen=True, slots=True)
class Clarify:
    """The request cannot be compiled without asking: which of two dogs, which subject at all.
    ``options`` are subject names to offer, ``option_ids`` the matching ids."""

    question: str
    options: tuple[str, ...] = ()
    option_ids: tuple[str, ...] = ()
    reason: ClarifyReason = "no_subject"


@dataclass(frozen=True, slots=True)
class UnknownSubject:
    """The request names a subject the user does not have ("my horse", "Bella"), so the agent
    can say so instead of generating someone else."""

    reference: str
    """As the person wrote it: ``my horse``, ``Bella``."""
    class_noun: str | None = None
    """The kind they named, when they named one (``horse``)."""


PromptResult = CompiledPrompt | Clarify | UnknownSubject
