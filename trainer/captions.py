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
- a captioner (``TrainConfig.caption_model``): on a ToyWorld base, the ToyWorld scorer's scene
  when it is sure; for a real base, a local CLIP model choosing among everyday places
  (``CONTEXTS``: "on a sofa", "in the snow", ...) when it is sure;
- nothing: the plain instance prompt, as in the paper.

``TrainConfig.photo_captions`` chooses: ``auto`` (all of the above), ``files`` (caption files
only) or ``off`` (the plain instance prompt for every photo).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from PIL import Image

from .config import CAPTION_MODES, helper_model
from .data import Photo, to_image
from .errors import ConfigError

__all__ = [
    "CONTEXTS",
    "Captioner",
    "PhotoCaption",
    "caption_class_images",
    "caption_photos",
    "load_captioner",
]

SCENE_CONFIDENCE = 0.6
"""The ToyWorld scorer names a photo's scene only when it is at least this sure."""
CLIP_CONFIDENCE = 0.4
"""A CLIP captioner names a context only when it gives it at least this share (of 16)."""


@dataclass(frozen=True)
class PhotoCaption:
    photo: str
    prompt: str
    """What the photo trains with."""
    source: str
    """``file`` (a caption file), the captioner's name (``toyworld``, a CLIP model's folder
    name) or ``none``."""


def _names_token(text: str, token: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text, re.IGNORECASE) is not None


def _from_file(instance_prompt: str, token: str, text: str) -> str:
    return text if _names_token(text, token) else f"{instance_prompt} {text}"


class Captioner(Protocol):
    name: str

    def places(self, images: list[Image.Image], class_noun: str) -> list[str | None]:
        """Each image's surroundings as a phrase ("in the snow"), None where unsure."""
        ...


class _ToyWorldCaptioner:
    name = "toyworld"

    def places(self, images: list[Image.Image], class_noun: str) -> list[str | None]:
        from .toyworld.scorer import load_scorer
        from .toyworld.world import PLACES

        return [
            PLACES[s.scene]
            if s.scene in PLACES and s.p("scene", s.scene) >= SCENE_CONFIDENCE
            else None
            for s in load_scorer().score_batch(images)
        ]


CONTEXTS = (
    "indoors",
    "on a sofa",
    "on a bed",
    "on a wooden floor",
    "in a kitchen",
    "in a garden",
    "on the grass",
    "in a park",
    "in the forest",
    "on the beach",
    "in the snow",
    "in the mountains",
    "in a city street",
    "at night",
    "in a studio, plain background",
    "in a car",
)
"""What a CLIP model chooses a photo's context from: everyday places people photograph in."""


class _ClipCaptioner:
    """Zero-shot: CLIP scores "a photo of a dog <context>" for every context; the best one
    names the photo's surroundings when CLIP gives it at least ``confidence``."""

    def __init__(self, path: str, confidence: float = CLIP_CONFIDENCE):
        from transformers import CLIPModel, CLIPProcessor

        self.name = Path(path).name or path
        self.model = CLIPModel.from_pretrained(path).eval()
        self.processor = CLIPProcessor.from_pretrained(path)
        self.confidence = confidence

    @torch.no_grad()
    def places(self, images: list[Image.Image], class_noun: str) -> list[str | None]:
        texts = [f"a photo of a {class_noun} {context}" for context in CONTEXTS]
        inputs = self.processor(
            text=texts,
            images=[im.convert("RGB") for im in images],
            return_tensors="pt",
            padding=True,
        )
        probs = self.model(**inputs).logits_per_image.softmax(dim=-1)
        best = probs.argmax(dim=-1)
        return [
            CONTEXTS[int(i)] if float(row[i]) >= self.confidence else None
            for row, i in zip(probs, best, strict=True)
        ]


def load_captioner(spec: str | None, base_model: str) -> Captioner | None:
    """``spec``: None (ToyWorld's scorer on a ToyWorld base, else none), ``toyworld``, ``off``,
    or a local CLIP model directory (``CLIPModel`` and its processor, as saved by
    transformers)."""
    model = helper_model(spec, base_model)
    if model is None:
        return None
    if model == "toyworld":
        return _ToyWorldCaptioner()
    try:
        return _ClipCaptioner(model)
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: a vision tower alone
        raise ConfigError(
            f"caption_model {spec!r}: not a CLIP model ({exc.__class__.__name__}). Give a local "
            "directory holding a CLIPModel and its processor, or 'off'.",
            code="caption_model_unavailable",
            details={"caption_model": spec},
        ) from exc


def caption_class_images(
    paths: Sequence[Path], *, class_prompt: str, class_noun: str, captioner: Captioner | None
) -> list[str]:
    """The class images' captions: the class prompt plus the captioner's place, as the photos
    get theirs. Prior preservation then keeps "a dog in the snow" meaning snow while the photos
    teach "sks dog in the snow" — without them, the class images all said "a photo of a dog"
    and their 50 scenes pulled the layout (ToyBench, docs/toybench.md item 14). An image
    missing from the cache keeps the plain class prompt.

    The captions are kept beside the images (``captions-<captioner>.json`` in their folder,
    written once every image was there): every later run on the cache entry, and a resumed
    one on another node, trains with the same captions without running the captioner again."""
    prompts = [class_prompt] * len(paths)
    if captioner is None or not paths:
        return prompts
    saved = paths[0].parent / f"captions-{re.sub(r'[^A-Za-z0-9_.-]', '_', captioner.name)}.json"
    if saved.is_file():
        kept = json.loads(saved.read_text())
        if kept.get("class_prompt") == class_prompt and len(kept["prompts"]) >= len(paths):
            return list(kept["prompts"][: len(paths)])
    present = [i for i, path in enumerate(paths) if path.is_file()]
    images = []
    for i in present:
        with Image.open(paths[i]) as image:
            images.append(image.convert("RGB"))
    places = captioner.places(images, class_noun) if images else []
    for i, place in zip(present, places, strict=True):
        if place is not None:
            prompts[i] = f"{class_prompt} {place}"
    if len(present) == len(paths):
        tmp = saved.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"class_prompt": class_prompt, "prompts": prompts}))
        os.replace(tmp, saved)
    return prompts


def caption_photos(
    photos: Sequence[Photo],
    *,
    instance_prompt: str,
    token: str,
    class_noun: str,
    mode: str,
    captioner: Captioner | None,
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
    if mode == "auto" and missing and captioner is not None:
        images = [to_image(photos[i].pixels) for i in missing]
        for i, place in zip(missing, captioner.places(images, class_noun), strict=True):
            if place is not None:
                prompt = f"{instance_prompt} {place}"
                captions[i] = PhotoCaption(photos[i].name, prompt, captioner.name)
    return [
        c if c is not None else PhotoCaption(p.name, instance_prompt, "none")
        for p, c in zip(photos, captions, strict=True)
    ]
