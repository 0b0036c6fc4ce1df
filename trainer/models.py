"""Base models: resolve a directory or hub id, fingerprint it, load the training components.

The fingerprint names a base model by content, cheaply: it keys the class-prior cache (two
users training a ``dog`` on the same base share one set of class images) and is written into
every adapter so generation can refuse an adapter trained on a different base.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .errors import BaseModelError

__all__ = ["BaseModel", "TextConditioner", "fingerprint", "load_base_model", "resolve_base_model"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt")
_SAMPLE_BYTES = 1 << 20
_SERVING_FILES = frozenset({"dreamchat.json", "toyworld.json", "SHA256SUMS", "README.md"})
"""Top-level files that say how to serve or check a model, not what it computes: the recipe
(``core/recipe.py`` reads the first two), checksums, notes. Changing one keeps every adapter
and cached class image of the model valid."""


def resolve_base_model(ref: str | Path) -> Path:
    """A local pipeline directory as is; otherwise a hub id fetched into the local HF cache."""
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise BaseModelError(
                f"{path} is not a diffusers pipeline directory (no model_index.json). Point "
                "--base-model at a folder saved with save_pretrained(), or build one with "
                "`dreamchat tiny-model DIR`.",
                code="base_model_invalid",
            )
        return path
    if path.exists() or str(ref).startswith((".", "/", "~")):
        raise BaseModelError(f"{ref}: no such directory", code="base_model_not_found")
    try:
        from huggingface_hub import snapshot_download

        local = snapshot_download(
            str(ref),
            allow_patterns=["*.json", "*.txt", "*.model", "*.safetensors"],
            ignore_patterns=["*.fp16.*", "*non_ema*", "*.ckpt"],
        )
    except Exception as exc:  # network errors, missing repo, offline mode: all mean "can't have it"
        raise BaseModelError(
            f"Could not fetch base model {ref!r} from the hub ({exc.__class__.__name__}). Use a "
            "local pipeline directory when offline.",
            code="base_model_not_found",
        ) from exc
    return Path(local)


def fingerprint(model_dir: Path) -> str:
    """sha256 over every config and, per weight file, its size plus its first and last MiB;
    not over the serving files (a recipe, checksums)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = file.relative_to(model_dir).as_posix()
        if rel.startswith(".") or "/." in rel or rel in _SERVING_FILES:
            continue
        digest.update(rel.encode())
        size = file.stat().st_size
        digest.update(str(size).encode())
        with file.open("rb") as fh:
            if file.suffix in _WEIGHT_SUFFIXES and size > 2 * _SAMPLE_BYTES:
                digest.update(fh.read(_SAMPLE_BYTES))
                fh.seek(size - _SAMPLE_BYTES)
                digest.update(fh.read(_SAMPLE_BYTES))
            else:
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def _is_xl(model_dir: Path) -> bool:
    index = json.loads((model_dir / "model_index.json").read_text())
    return "text_encoder_2" in index or "XL" in str(index.get("_class_name", ""))


@dataclass
class BaseModel:
    """The frozen parts of a pipeline, on one device and dtype, ready to train a LoRA on."""

    path: Path
    fingerprint: str
    xl: bool
    unet: Any
    vae: Any
    tokenizers: list[Any]
    text_encoders: list[Any]
    scheduler_config: dict[str, Any]

    @property
    def prediction_type(self) -> str:
        return str(self.scheduler_config.get("prediction_type", "epsilon"))

    def pipeline(self, scheduler=None):
        """A pipeline sharing these modules (no reload), e.g. to sample class images."""
        from diffusers import (
            DPMSolverMultistepScheduler,
            StableDiffusionPipeline,
            StableDiffusionXLPipeline,
        )

        scheduler = scheduler or DPMSolverMultistepScheduler.from_config(self.scheduler_config)
        if self.xl:
            pipe = StableDiffusionXLPipeline(
                vae=self.vae,
                text_encoder=self.text_encoders[0],
                text_encoder_2=self.text_encoders[1],
                tokenizer=self.tokenizers[0],
                tokenizer_2=self.tokenizers[1],
                unet=self.unet,
                scheduler=scheduler,
            )
        else:
            pipe = StableDiffusionPipeline(
                vae=self.vae,
                text_encoder=self.text_encoders[0],
                tokenizer=self.tokenizers[0],
                unet=self.unet,
                scheduler=scheduler,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
            )
        pipe.set_progress_bar_config(disable=True)
        return pipe


def load_base_model(
    ref: str | Path, *, device: torch.device | str, dtype: torch.dtype
) -> BaseModel:
    """Load UNet, VAE, tokenizers and text encoders, frozen, on ``device`` in ``dtype``.

    The VAE stays fp32 under fp16 (SD's VAE overflows in fp16); it only runs at set-up time.
    """
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import AutoTokenizer, CLIPTextModel, CLIPTextModelWithProjection

    path = resolve_base_model(ref)
    xl = _is_xl(path)
    vae_dtype = torch.float32 if dtype == torch.float16 else dtype
    try:
        unet = UNet2DConditionModel.from_pretrained(path, subfolder="unet", dtype=dtype)
        vae = AutoencoderKL.from_pretrained(path, subfolder="vae", dtype=vae_dtype)
        tokenizers = [AutoTokenizer.from_pretrained(path, subfolder="tokenizer")]
        encoders: list[CLIPTextModel | CLIPTextModelWithProjection] = [
            CLIPTextModel.from_pretrained(path, subfolder="text_encoder", dtype=dtype)
        ]
        if xl:
            tokenizers.append(AutoTokenizer.from_pretrained(path, subfolder="tokenizer_2"))
            encoders.append(
                CLIPTextModelWithProjection.from_pretrained(
                    path, subfolder="text_encoder_2", dtype=dtype
                )
            )
        scheduler_config = json.loads((path / "scheduler" / "scheduler_config.json").read_text())
    except (OSError, ValueError, KeyError) as exc:
        raise BaseModelError(
            f"Could not load the pipeline at {path}: {exc}", code="base_model_invalid"
        ) from exc
    for module, module_dtype in [(unet, dtype), (vae, vae_dtype), *((e, dtype) for e in encoders)]:
        module.requires_grad_(False)
        module.eval()
        module.to(device=device, dtype=module_dtype)
    return BaseModel(
        path=path,
        fingerprint=fingerprint(path),
        xl=xl,
        unet=unet,
        vae=vae,
        tokenizers=tokenizers,
        text_encoders=encoders,
        scheduler_config=scheduler_config,
    )


@dataclass
class Conditioning:
    hidden: torch.Tensor
    pooled: torch.Tensor | None = None

    def rows(self, index: torch.Tensor) -> Conditioning:
        pooled = self.pooled[index] if self.pooled is not None else None
        return Conditioning(self.hidden[index], pooled)


class TextConditioner:
    """Prompt → UNet conditioning for SD (one encoder) and SDXL (two, concatenated)."""

    def __init__(self, base: BaseModel):
        self.base = base

    def tokenize(self, prompts: list[str]) -> list[torch.Tensor]:
        return [
            tok(
                prompts,
                padding="max_length",
                max_length=tok.model_max_length,
                truncation=True,
                return_tensors="pt",
            ).input_ids
            for tok in self.base.tokenizers
        ]

    def encode_ids(self, ids: list[torch.Tensor]) -> Conditioning:
        encoders = self.base.text_encoders
        if not self.base.xl:
            encoder = encoders[0]
            return Conditioning(encoder(ids[0].to(encoder.device))[0])
        hidden, pooled = [], None
        for encoder, token_ids in zip(encoders, ids, strict=True):
            out = encoder(token_ids.to(encoder.device), output_hidden_states=True)
            hidden.append(out.hidden_states[-2])
            if hasattr(out, "text_embeds"):
                pooled = out.text_embeds
        return Conditioning(torch.cat(hidden, dim=-1), pooled)

    def encode(self, prompts: list[str]) -> Conditioning:
        return self.encode_ids(self.tokenize(prompts))
