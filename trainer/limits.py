"""What the trainer and the generation runtime accept, as plain numbers.

Torch-free, so a caller can read them without loading the ML stack. The service layers above
keep a mirror of these in ``core/limits.py`` (``core`` may not import ``trainer``); a test
asserts the two agree, so a change here that the service does not follow fails the build.
"""

from __future__ import annotations

__all__ = [
    "MAX_GENERATION_STEPS",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_PHOTOS",
    "MAX_SIDE",
    "MAX_TRAIN_STEPS",
    "MIN_PHOTOS",
    "MIN_SIDE",
    "SIDE_MULTIPLE",
]

MIN_PHOTOS = 3
"""DreamBooth needs a few views of the subject; fewer overfits to one picture."""
MAX_PHOTOS = 25
"""More photos than this add training time without a better likeness."""
MAX_TRAIN_STEPS = 100_000
"""Far past any useful DreamBooth run; a bound, so a typo can't hold a GPU for a week."""
MAX_IMAGES_PER_REQUEST = 8
"""One batch through the pipeline; more runs out of memory on a 24 GB card at 1024 px."""
MAX_GENERATION_STEPS = 150
MIN_SIDE = 8
MAX_SIDE = 2048
SIDE_MULTIPLE = 8
"""The VAE works on 8-pixel blocks."""
