"""The one description of a training run: a frozen, validated ``TrainConfig``.

Defaults follow diffusers' ``train_dreambooth_lora.py`` (rank 4, lr 5e-4, AdamW with
weight decay 1e-2, grad-norm clip 1.0, constant schedule, 100 class images, prior weight 1.0,
512 px). Where we differ, the reason is next to the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError
from .limits import MAX_PHOTOS, MAX_SIDE, MAX_TRAIN_STEPS, MIN_PHOTOS, MIN_SIDE, SIDE_MULTIPLE

__all__ = ["CAPTION_MODES", "MAX_PHOTOS", "MIN_PHOTOS", "TrainConfig", "helper_model"]

MixedPrecision = Literal["no", "fp16", "bf16"]
CAPTION_MODES = ("auto", "files", "off")
"""``TrainConfig.photo_captions``: where each photo's caption comes from (``captions.py``)."""


def helper_model(spec: str | None, base_model: str) -> str | None:
    """What a ``quality_model`` or ``caption_model`` setting names: ``toyworld`` (said, or
    left unset on a ToyWorld base), a model directory, or None (``off``, or unset on another
    base)."""
    if spec in ("off", "none", ""):
        return None
    if spec is None:
        return "toyworld" if (Path(base_model) / "toyworld.json").is_file() else None
    return spec


@dataclass(frozen=True)
class TrainConfig:
    base_model: str
    """A local diffusers pipeline directory or a hub id (downloaded only when online)."""
    photos: tuple[str, ...]
    """Instance photo files, or a single directory holding them."""
    token: str
    class_noun: str
    output_dir: str

    # diffusers' script runs one epoch unless told; its documented DreamBooth-LoRA recipe is
    # 500 steps, which is what people mean by "the default", so that is ours.
    steps: int = 500
    rank: int = 4
    lora_alpha: int | None = None
    """None means alpha = rank (a LoRA scale of 1), as diffusers does."""
    lr: float = 5e-4
    text_encoder_lr: float | None = None
    resolution: int = 512
    # The script's argument default is 4, but its documented DreamBooth-LoRA run uses 1, as
    # does the service (``train_batch_size``) and every recipe tuned here (ToyBench): a bare
    # ``dreamchat train`` is then the service's training, not one four times the work per step.
    batch_size: int = 1
    grad_accum: int = 1
    # DreamBooth without prior preservation drifts the class toward the subject; the paper's
    # loss is the product's default, with --no-prior to opt out.
    prior: bool = True
    prior_loss_weight: float = 1.0
    num_class_images: int = 100
    class_cache_dir: str | None = None
    """Shared class-prior cache. None: ``<output_dir>/class-cache`` (not shared)."""
    instance_prompt: str | None = None
    photo_captions: str = "auto"
    """Each photo trains with the instance prompt plus what else it shows ("a photo of sks dog
    in the snow"), so the photos' backgrounds do not bind to the token (``captions.py``):
    ``auto`` = caption files beside the photos, else the base model's captioner (ToyWorld's
    scorer); ``files`` = caption files only; ``off`` = the one instance prompt for all, as in
    the paper."""
    caption_model: str | None = None
    """The captioner for ``auto``: None = the ToyWorld scorer on a ToyWorld base (none on
    other bases), ``toyworld``, ``off``, or a local CLIP model directory."""
    class_prompt: str | None = None
    # A multistep solver reaches the quality of 50 DDPM/PNDM steps in about 20.
    class_sampler_steps: int = 20
    class_guidance_scale: float = 7.5
    class_batch_size: int = 4
    train_text_encoder: bool = False
    mixed_precision: MixedPrecision = "no"
    gradient_checkpointing: bool = False
    use_8bit_adam: bool | None = None
    """None: 8-bit AdamW when bitsandbytes is installed and training runs on CUDA."""
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_weight_decay: float = 1e-2
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    lr_scheduler: str = "constant"
    lr_warmup_steps: int = 0
    checkpoint_every: int = 0
    """Save a resumable checkpoint every N steps; 0 = never."""
    checkpoints_total_limit: int = 2
    resume: bool = False
    """Continue from the newest checkpoint under ``<output_dir>/checkpoints`` when there is one."""
    # The reference script leaves the seed unset; a fixed default makes every run reproducible
    # and lets a support engineer replay a customer's training exactly.
    seed: int = 0
    validation_samples: int = 0
    """After the last step, sample this many pictures of the subject and as many of the plain
    class and measure them (``quality.py``; ``quality`` in ``training.json``); 0 = off."""
    validation_budget: float = 0.15
    """The quality check may take at most this share of the steps' time: fewer pictures, or
    none (``measured: false``) for a training too short to judge cheaply; 0 = no limit."""
    quality_model: str | None = None
    """The image embedding for that measure: None = the ToyWorld scorer on a ToyWorld base
    (no report on other bases), ``toyworld``, ``off``, or a local vision model directory."""
    metadata: dict[str, str] = field(default_factory=dict)
    """Extra string metadata stored in the adapter file (e.g. subject id)."""

    def __post_init__(self) -> None:
        if isinstance(self.photos, str | Path):
            object.__setattr__(self, "photos", (str(self.photos),))
        else:
            object.__setattr__(self, "photos", tuple(str(p) for p in self.photos))
        problems = list(self._problems())
        if problems:
            raise ConfigError("; ".join(problems), details={"problems": problems})

    def _problems(self):
        if not self.token or not self.token.strip() or " " in self.token.strip():
            yield "token must be one word, such as 'sks'"
        if not self.class_noun or not self.class_noun.strip():
            yield "class_noun is required, such as 'dog' or 'person'"
        if not self.photos:
            yield "photos: give a directory or a list of image files"
        positive = {
            "steps": self.steps,
            "rank": self.rank,
            "batch_size": self.batch_size,
            "grad_accum": self.grad_accum,
            "class_sampler_steps": self.class_sampler_steps,
            "class_batch_size": self.class_batch_size,
        }
        for name, value in positive.items():
            if value < 1:
                yield f"{name} must be at least 1 (got {value})"
        if self.steps > MAX_TRAIN_STEPS:
            yield f"steps must be at most {MAX_TRAIN_STEPS} (got {self.steps})"
        if self.lr <= 0:
            yield f"lr must be positive (got {self.lr})"
        if not MIN_SIDE <= self.resolution <= MAX_SIDE or self.resolution % SIDE_MULTIPLE:
            yield (
                f"resolution must be a multiple of {SIDE_MULTIPLE} from {MIN_SIDE} to "
                f"{MAX_SIDE} (got {self.resolution})"
            )
        if self.prior and self.num_class_images < 1:
            yield "num_class_images must be at least 1 with prior preservation (or use --no-prior)"
        if self.prior_loss_weight < 0:
            yield "prior_loss_weight must not be negative"
        if self.photo_captions not in CAPTION_MODES:
            yield f"photo_captions must be one of {', '.join(CAPTION_MODES)} (got {self.photo_captions!r})"
        if self.mixed_precision not in ("no", "fp16", "bf16"):
            yield f"mixed_precision must be no, fp16 or bf16 (got {self.mixed_precision!r})"
        if self.checkpoint_every < 0:
            yield "checkpoint_every must be 0 (off) or a positive number of steps"
        if self.validation_samples < 0:
            yield "validation_samples must be 0 (off) or more"
        if self.validation_budget < 0:
            yield "validation_budget must be 0 (no limit) or a positive share"
        if self.checkpoints_total_limit < 1:
            yield "checkpoints_total_limit must be at least 1"

    @property
    def weight_dtype(self) -> Any:
        """The dtype the frozen base weights train in (``torch.float32`` without mixed
        precision); torch is imported here so that the config itself stays light."""
        import torch

        return {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[
            self.mixed_precision
        ]

    @property
    def alpha(self) -> int:
        return self.lora_alpha if self.lora_alpha is not None else self.rank

    @property
    def resolved_instance_prompt(self) -> str:
        return self.instance_prompt or f"a photo of {self.token} {self.class_noun}"

    @property
    def resolved_class_prompt(self) -> str:
        # "a photo of a dog", not "a photo of dog": the class prompt sits in the identifier's
        # slot ("a photo of sks dog") with a plain article, so prior preservation teaches the
        # model that "sks" is what makes the subject — not any word before "dog", which is
        # what an article-less class prompt taught (ToyBench: PRES 0.5 with it; docs/toybench.md).
        article = "an" if self.class_noun[:1].lower() in "aeiou" else "a"
        return self.class_prompt or f"a photo of {article} {self.class_noun}"

    @property
    def resolved_class_cache_dir(self) -> Path:
        return Path(self.class_cache_dir or Path(self.output_dir) / "class-cache")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["photos"] = list(self.photos)
        data["lora_alpha"] = self.alpha
        data["instance_prompt"] = self.resolved_instance_prompt
        data["class_prompt"] = self.resolved_class_prompt
        data["class_cache_dir"] = str(self.resolved_class_cache_dir)
        return data
