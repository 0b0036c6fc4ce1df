"""Everything a run prepares once before its first step: tensors on the device, LoRA attached.

``prepare_run`` turns a ``TrainConfig`` into a ``Run`` — cached latents, cached text
conditioning (unless the text encoder trains), SDXL time ids, the LoRA parameters — so that
``loop.py`` holds only the per-step work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from .captions import PhotoCaption, caption_class_images, caption_photos, load_captioner
from .config import TrainConfig
from .data import LatentSet, Photo, encode_latents, load_photos
from .lora import TEXT_TARGETS, UNET_TARGETS, add_lora
from .models import BaseModel, Conditioning, TextConditioner
from .prior import BatchHook, ClassPriorResult, ClassPriorSpec, ensure_class_prior

__all__ = ["Run", "Timings", "class_prior_spec", "prepare_run"]


class Timings(dict[str, float]):
    @contextmanager
    def measure(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - started, 4)


@dataclass
class Run:
    """The prepared state of one training run."""

    config: TrainConfig
    base: BaseModel
    instance: LatentSet
    prior: ClassPriorResult | None
    instance_time_ids: torch.Tensor | None
    class_time_ids: torch.Tensor | None
    conditioning: Conditioning | None
    """Cached conditioning, a row per distinct caption (``instance_rows`` and ``class_rows``
    say which is each image's); None when the text encoder trains."""
    token_ids: list[torch.Tensor]
    """The same rows as token ids, to re-encode every step when the text encoder trains."""
    photos: list[Photo] = field(default_factory=list)
    """The instance photos as trained on (the quality report compares samples with them)."""
    captions: list[PhotoCaption] = field(default_factory=list)
    """What each photo trains with (``captions.py``), in the order of ``photos``."""
    class_captions: list[str] = field(default_factory=list)
    """What each class image trains with, in the order of the prior's latents."""
    instance_rows: torch.Tensor | None = None
    """Photo i's conditioning row."""
    class_rows: torch.Tensor | None = None
    """Class image j's conditioning row."""
    trained: dict[str, Any] = field(default_factory=dict)
    """name → module with a LoRA: ``unet`` and possibly ``text_encoder``, ``text_encoder_2``."""
    params: list[torch.nn.Parameter] = field(default_factory=list)
    text_params: list[torch.nn.Parameter] = field(default_factory=list)


def _time_ids(original: tuple[int, int], crop: tuple[int, int], resolution: int) -> torch.Tensor:
    return torch.tensor([*original, *crop, resolution, resolution], dtype=torch.float32)


def class_prior_spec(config: TrainConfig) -> ClassPriorSpec:
    """What the run's class images depend on; with the base model's fingerprint, it names
    their folder in the cache (``ClassPriorSpec.key``)."""
    return ClassPriorSpec(
        class_prompt=config.resolved_class_prompt,
        resolution=config.resolution,
        sampler_steps=config.class_sampler_steps,
        guidance_scale=config.class_guidance_scale,
    )


def prepare_run(
    config: TrainConfig,
    *,
    base: BaseModel | Callable[[], BaseModel],
    timings: Timings,
    photos: list[Photo] | None = None,
    on_class_batch: BatchHook | None = None,
) -> Run:
    if photos is None:
        with timings.measure("photos"):
            photos = load_photos(config.photos, resolution=config.resolution)
    if callable(base):
        with timings.measure("load_model"):
            base = base()
    device = base.unet.device
    with timings.measure("encode_photos"):
        instance = encode_latents(base.vae, torch.stack([p.pixels for p in photos])).to(device)
    prior = None
    if config.prior:
        with timings.measure("class_images"):
            prior = ensure_class_prior(
                base,
                class_prior_spec(config),
                count=config.num_class_images,
                cache_dir=config.resolved_class_cache_dir,
                batch_size=config.class_batch_size,
                on_batch=on_class_batch,
            )
        prior.latents = prior.latents.to(device)

    with timings.measure("captions"):
        captioner = None
        if config.photo_captions == "auto":
            captioner = load_captioner(config.caption_model, config.base_model)
        captions = caption_photos(
            photos,
            instance_prompt=config.resolved_instance_prompt,
            token=config.token,
            class_noun=config.class_noun,
            mode=config.photo_captions,
            captioner=captioner,
        )
        class_captions = []
        if prior is not None:
            class_captions = caption_class_images(
                prior.image_paths(),
                class_prompt=config.resolved_class_prompt,
                class_noun=config.class_noun,
                captioner=captioner,
            )
    # One conditioning row per distinct caption; every image indexes its own.
    prompts = list(dict.fromkeys([c.prompt for c in captions] + class_captions))
    row = {prompt: i for i, prompt in enumerate(prompts)}
    instance_rows = torch.tensor([row[c.prompt] for c in captions], device=device)
    class_rows = torch.tensor([row[p] for p in class_captions], dtype=torch.long, device=device)
    text = TextConditioner(base)
    # On the device with the rows that index them: no host round trip in the step.
    token_ids = [ids.to(device) for ids in text.tokenize(prompts)]
    conditioning = None
    with timings.measure("encode_text"):
        if not config.train_text_encoder:
            with torch.no_grad():
                conditioning = text.encode_ids(token_ids)

    instance_time_ids = class_time_ids = None
    if base.xl:
        instance_time_ids = torch.stack(
            [_time_ids(p.original_size, p.crop_top_left, config.resolution) for p in photos]
        ).to(device)
        class_time_ids = _time_ids((config.resolution,) * 2, (0, 0), config.resolution).to(device)

    run = Run(
        config,
        base,
        instance,
        prior,
        instance_time_ids,
        class_time_ids,
        conditioning,
        token_ids,
        photos=photos,
        captions=captions,
        class_captions=class_captions,
        instance_rows=instance_rows,
        class_rows=class_rows,
    )
    run.trained["unet"] = base.unet
    run.params = add_lora(base.unet, rank=config.rank, alpha=config.alpha, targets=UNET_TARGETS)
    if config.train_text_encoder:
        names = ["text_encoder", "text_encoder_2"][: len(base.text_encoders)]
        for name, encoder in zip(names, base.text_encoders, strict=True):
            run.trained[name] = encoder
            run.text_params += add_lora(
                encoder, rank=config.rank, alpha=config.alpha, targets=TEXT_TARGETS
            )
    if config.gradient_checkpointing:
        base.unet.enable_gradient_checkpointing()
        for name in run.trained:
            if name.startswith("text_encoder"):
                run.trained[name].gradient_checkpointing_enable()
    return run
