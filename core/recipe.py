"""The numbers the service trains and generates with: the base model's own, unless settings say.

A training at 512 px with 500 steps and 100 class images is right for Stable Diffusion on a GPU
and hopeless for a 32 px model on two CPU cores; a 32 px recipe on SDXL draws nothing. So the
defaults follow the model being served:

1. every value set in the settings (``DREAMCHAT_TRAIN_RESOLUTION``, ...) wins;
2. else the model's recipe: ``dreamchat.json`` (or ``toyworld.json``, which the ToyWorld build
   writes) beside ``model_index.json``, ``{"native_resolution": 32, "recipe": {...}}``;
3. else sound DreamBooth-LoRA defaults for a GPU, at the model's native resolution (the UNet's
   ``sample_size`` times the VAE's downsampling, read from the configs: 512 for SD 1.5, 1024 for
   SDXL). A hub id that is not a local directory gets 1024 when it names an XL model, else 512.

Only JSON files are read: the API process uses this too (for defaults, limits and ETAs) and
never loads a model.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import limits
from .settings import Settings

__all__ = [
    "GPU_DEFAULTS",
    "GPU_NEGATIVE_PROMPT",
    "Recipe",
    "model_defaults",
    "model_recipe",
    "native_resolution",
    "service_recipe",
]

log = logging.getLogger(__name__)

RECIPE_FILES = ("dreamchat.json", "toyworld.json")


@dataclass(frozen=True)
class Recipe:
    resolution: int
    """Training resolution (square)."""
    image_size: int
    """Width and height of a generated image unless the request names them."""
    steps: int
    learning_rate: float
    rank: int
    prior_loss_weight: float
    num_class_images: int
    """0 turns prior preservation off."""
    class_sampler_steps: int
    class_guidance_scale: float
    generation_steps: int
    guidance_scale: float
    negative_prompt: str
    """What the assistant's pictures steer away from unless the request says otherwise. Words
    a base model never learned are not harmless: on ToyWorld, whose captions never say
    "blurry", the GPU default turned the unconditional half of guidance into noise words and
    the subject vanished from the pictures (10 of 16 → 0 of 16)."""
    step_seconds: float
    """Estimated seconds per training step (ETA before a run has timed its own steps)."""
    class_image_seconds: float
    """Estimated seconds per class image sampled on a cold cache."""
    source: str
    """Where the values came from, for logs and ``dreamchat doctor``-style output."""

    def eta_seconds(self, steps: int, *, cold_cache: bool = True) -> float:
        sampling = self.num_class_images * self.class_image_seconds if cold_cache else 0.0
        return steps * self.step_seconds + sampling

    def train_values(self) -> dict[str, Any]:
        """What this recipe sets of a training, under the trainer's ``TrainConfig`` names."""
        return {
            "steps": self.steps,
            "lr": self.learning_rate,
            "rank": self.rank,
            "resolution": self.resolution,
            "prior": self.num_class_images > 0,
            "prior_loss_weight": self.prior_loss_weight,
            "num_class_images": max(self.num_class_images, 1),
            "class_sampler_steps": self.class_sampler_steps,
            "class_guidance_scale": self.class_guidance_scale,
        }

    def generate_values(self) -> dict[str, Any]:
        """What this recipe sets of a generation, under ``GenerationRequest``'s names."""
        return {
            "width": self.image_size,
            "height": self.image_size,
            "steps": self.generation_steps,
            "guidance_scale": self.guidance_scale,
            "negative_prompt": self.negative_prompt,
        }


GPU_NEGATIVE_PROMPT = "blurry, low quality, deformed, watermark, text"

GPU_DEFAULTS: dict[str, Any] = {
    # LoRA DreamBooth on SD 1.5 / SDXL, one GPU: diffusers' documented recipe (500 steps,
    # 100 class images) with a learning rate that suits batch 1 (the service trains one
    # instance and one class image per step).
    "steps": 500,
    "learning_rate": 1e-4,
    "rank": 4,
    "prior_loss_weight": 1.0,
    "num_class_images": 100,
    "class_sampler_steps": 20,
    "class_guidance_scale": 7.5,
    "generation_steps": 25,
    "guidance_scale": 7.5,
    "negative_prompt": GPU_NEGATIVE_PROMPT,
    "step_seconds": 0.5,
    "class_image_seconds": 0.5,
}

_RECIPE_ALIASES = {"lr": "learning_rate", "sampler_steps": "generation_steps"}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def native_resolution(model: str | Path) -> int | None:
    """The resolution a local diffusers pipeline was trained at, from its configs; None when
    ``model`` is not a local pipeline directory."""
    root = Path(model)
    unet = _read_json(root / "unet" / "config.json")
    vae = _read_json(root / "vae" / "config.json")
    if not unet or not vae or "sample_size" not in unet:
        return None
    sample = unet["sample_size"]
    sample = sample[0] if isinstance(sample, list) else sample
    downsampling = 2 ** (len(vae.get("block_out_channels", [0] * 4)) - 1)
    return int(sample) * downsampling


def model_recipe(model: str | Path) -> tuple[int, dict[str, Any], str]:
    """(native resolution, recipe values, source) for a base model directory or hub id."""
    root = Path(model)
    for name in RECIPE_FILES:
        data = _read_json(root / name)
        if data and isinstance(data.get("recipe"), dict):
            values = {_RECIPE_ALIASES.get(k, k): v for k, v in data["recipe"].items()}
            native = int(data.get("native_resolution") or native_resolution(root) or 512)
            return native, values, f"{root / name}"
    read = native_resolution(root)
    if read is not None:
        return read, {}, f"GPU defaults at the native {read} px of {root}"
    guess = 1024 if "xl" in str(model).lower() else 512
    return guess, {}, f"GPU defaults at {guess} px (hub id {model}; no local config to read)"


def _fit(name: str, value: int, allowed: limits.Range) -> int:
    if value in allowed:
        return value
    fitted = min(max(value, allowed.lo), allowed.hi)
    log.warning("recipe %s=%s is outside %s; using %s", name, value, allowed.describe(), fitted)
    return fitted


def _model_values(model: str | Path) -> tuple[dict[str, Any], str]:
    native, values, source = model_recipe(model)
    merged: dict[str, Any] = {**GPU_DEFAULTS, "resolution": native, "image_size": native}
    merged.update({k: v for k, v in values.items() if k in merged})
    return merged, source


def _recipe(merged: dict[str, Any], source: str) -> Recipe:
    fields = {f.name for f in dataclasses.fields(Recipe)}
    return Recipe(source=source, **{k: v for k, v in merged.items() if k in fields})


def model_defaults(model: str | Path) -> Recipe:
    """The model's own values (its recipe, else the GPU defaults at its native resolution),
    without the service's settings: what ``dreamchat train`` and ``generate`` start from."""
    return _recipe(*_model_values(model))


def service_recipe(settings: Settings) -> Recipe:
    """The values the service uses: settings first, then the model's recipe, then defaults."""
    merged, source = _model_values(settings.resolved_base_model)
    overrides = {
        "resolution": settings.train_resolution,
        "image_size": settings.image_size,
        "steps": settings.default_training_steps,
        "learning_rate": settings.train_learning_rate,
        "rank": settings.train_rank,
        "prior_loss_weight": settings.prior_loss_weight,
        "num_class_images": settings.num_class_images,
        "class_sampler_steps": settings.class_sampler_steps,
        "generation_steps": settings.generation_steps,
        "guidance_scale": settings.guidance_scale,
        "negative_prompt": settings.negative_prompt,
        "step_seconds": settings.estimated_step_seconds,
    }
    set_here = {k: v for k, v in overrides.items() if v is not None}
    merged.update(set_here)
    if set_here:
        source += " (settings override " + ", ".join(sorted(set_here)) + ")"
    merged["steps"] = _fit(
        "steps", int(merged["steps"]), limits.TRAINING_STEPS.narrowed(settings.max_training_steps)
    )
    merged["image_size"] = _fit(
        "image_size", int(merged["image_size"]), limits.IMAGE_SIDE.narrowed(settings.max_image_size)
    )
    merged["resolution"] = _fit("resolution", int(merged["resolution"]), limits.TRAIN_RESOLUTION)
    merged["generation_steps"] = _fit(
        "generation_steps", int(merged["generation_steps"]), limits.GENERATION_STEPS
    )
    return _recipe(merged, source)
