"""The hard ranges behind every product limit: what the trainer and the runtime accept.

``Settings`` may narrow these (``DREAMCHAT_MAX_PHOTOS``, ``DREAMCHAT_MAX_IMAGES_PER_GENERATION``
…) but never widen them, so a request the service accepts is one the worker can run. The
numbers mirror ``trainer/limits.py``: ``core`` sits below ``trainer`` and may not import it,
and the trainer is a library of its own that may not import us; ``tests/core/test_limits.py``
fails when the two copies disagree.

The service functions check each request against the settings and refuse it with one 422 code
per kind of request (``invalid_training_options``, ``invalid_generation``, ``too_many_photos``),
whichever door — REST, chat, MCP, OpenAI-compatible — it came through; the doors themselves
carry no bounds of their own, so none can answer with another code.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidInput

__all__ = [
    "GENERATION_STEPS",
    "IMAGES_PER_GENERATION",
    "IMAGE_SIDE",
    "PHOTOS",
    "SEED",
    "TRAINING_STEPS",
    "TRAIN_RESOLUTION",
    "Range",
    "require",
]


@dataclass(frozen=True, slots=True)
class Range:
    """A closed range of whole numbers, optionally on a grid (``multiple_of``)."""

    lo: int
    hi: int
    multiple_of: int = 1

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.lo <= value <= self.hi
            and value % self.multiple_of == 0
        )

    def narrowed(self, hi: int) -> Range:
        """The same range with a lower ceiling (a setting)."""
        return Range(self.lo, min(hi, self.hi), self.multiple_of)

    def describe(self) -> str:
        grid = f"a multiple of {self.multiple_of} " if self.multiple_of > 1 else "a whole number "
        return f"{grid}from {self.lo} to {self.hi}"


PHOTOS = Range(3, 25)
"""Photos of one subject (``trainer.limits.MIN_PHOTOS``/``MAX_PHOTOS``)."""
TRAINING_STEPS = Range(1, 100_000)
IMAGES_PER_GENERATION = Range(1, 8)
GENERATION_STEPS = Range(1, 150)
IMAGE_SIDE = Range(32, 2048, multiple_of=8)
"""Width and height of a generated image. The runtime takes sides from 8; the service starts at
32, the native size of the ToyWorld model (a Stable Diffusion latent at 32 px would be 4×4: its
defaults come from the model, 512 or 1024, see ``core/recipe.py``)."""
TRAIN_RESOLUTION = Range(8, 2048, multiple_of=8)
SEED = Range(0, 2**32 - 1)
"""What ``torch.Generator.manual_seed`` takes and the records store."""


def require(value: object, allowed: Range, *, field: str, code: str) -> None:
    """Refuse ``value`` outside ``allowed`` with ``code`` (a 422) and the bounds in the details,
    so every door reports the same thing."""
    if value not in allowed:
        raise InvalidInput(
            f"{field} must be {allowed.describe()} (got {value!r}).",
            code=code,
            details={"field": field, "min": allowed.lo, "max": allowed.hi},
        )
