"""One caption per photo: the instance prompt plus what else the photo shows.

The DreamBooth paper trains every photo with the same prompt, "a photo of sks dog". Whatever
the photos share besides the subject then binds to "sks" as well: with two of five photos in the
snow, "sks dog on the beach" draws the dog in the snow half of the time. Naming each photo's
surroundings in its caption ("a photo of sks dog in the snow") lets words the base model already
knows explain the background, and leaves "sks" the subject (ToyBench, docs/toybench.md item 13:
the pink dog on the beach in 12 of 16 pictures instead of 7). kohya's sd-scripts train from
caption files the same way; here they are optional and the base model may caption by itself.

Where a photo's context comes from, first found wins:

- a caption file beside the photo, ``rex-1.txt`` for ``rex-1.jpg`` (read by ``data.load_photos``):
  either the context alone ("on a red sofa", appended to the instance prompt) or a whole caption
  that names the token ("sks dog asleep on a red sofa", used as written);
- the base model's captioner: on a ToyWorld base, the ToyWorld scorer's scene when it is sure;
- nothing: the plain instance prompt, as in the paper.

``TrainConfig.photo_captions`` chooses: ``auto`` (all of the above), ``files`` (caption files
only) or ``off`` (the plain instance prompt for every photo).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import CAPTION_MODES
from .data import Photo, to_image

__all__ = ["PhotoCaption", "caption_photos"]

SCENE_CONFIDENCE = 0.6
"""The ToyWorld scorer names a photo's scene only when it is at least this sure."""


@dataclass(frozen=True)
class PhotoCaption:
    photo: str
    prompt: str
    """What the photo trains with."""
    source: str
    """``file`` (a caption file), ``toyworld`` (the scorer's scene) or ``none``."""


def _names_token(text: str, token: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text, re.IGNORECASE) is not None


def _from_file(instance_prompt: str, token: str, text: str) -> str:
    return text if _names_token(text, token) else f"{instance_prompt} {text}"


def _toyworld_places(photos: Sequence[Photo]) -> list[str | None]:
    """Each photo's scene as a phrase ("in the snow"), None where the scorer is unsure."""
    from .toyworld.scorer import load_scorer
    from .toyworld.world import PLACES

    scores = load_scorer().score_batch([to_image(p.pixels) for p in photos])
    return [
        PLACES[s.scene] if s.scene in PLACES and s.p("scene", s.scene) >= SCENE_CONFIDENCE else None
        for s in scores
    ]


def caption_photos(
    photos: Sequence[Photo],
    *,
    instance_prompt: str,
    token: str,
    mode: str,
    base_model: str,
) -> list[PhotoCaption]:
    """The caption each photo trains with, in the order of ``photos``."""
    if mode not in CAPTION_MODES:
        raise ValueError(f"photo_captions must be one of {', '.join(CAPTION_MODES)}")
    if mode == "off":
        return [PhotoCaption(p.name, instance_prompt, "none") for p in photos]
    captions: list[PhotoCaption | None] = [
        PhotoCaption(p.name, _from_file(instance_prompt, token, p.caption), "file")
        if p.caption
        else None
        for p in photos
    ]
    missing = [i for i, c in enumerate(captions) if c is None]
    toyworld = (Path(base_model) / "toyworld.json").is_file()
    if mode == "auto" and missing and toyworld:
        places = _toyworld_places([photos[i] for i in missing])
        for i, place in zip(missing, places, strict=True):
            if place is not None:
                captions[i] = PhotoCaption(photos[i].name, f"{instance_prompt} {place}", "toyworld")
    return [
        c if c is not None else PhotoCaption(p.name, instance_prompt, "none")
        for p, c in zip(photos, captions, strict=True)
    ]
