"""Deterministic random-weight tiny Stable Diffusion pipelines, built offline.

Tests and the offline demo never download weights. These pipelines have the exact layout of a
real diffusers checkpoint (model_index.json, one folder per component, safetensors weights, a
CLIP BPE tokenizer), so every code path that loads, trains and generates is the real one; only
the sizes are small and the weights random (seeded, so the same files come out every time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

__all__ = ["build_tiny_pipeline", "sd_scheduler", "tiny_tokenizer"]

# Words that get a whole token in the tiny vocabulary, so prompts tokenize into a handful of
# ids instead of one per character. Anything else falls back to byte-level characters.
_WORDS = (
    "a an the of in on at with and photo picture image portrait dog cat person man woman "
    "toy backpack car shoe sneaker bowl teapot vase cup clock sunglasses robot bear statue "
    "paris beach sunset night city park snow forest jungle mountain river street water "
    "red blue green yellow purple black white shiny wet cube floating top bottom front "
    "background sky lake desert kitchen table chair bed garden moon space low quality "
    "blurry ugly deformed bad photorealistic high detailed"
).split()


def _byte_alphabet() -> list[str]:
    """The 256 printable stand-ins byte-level BPE uses for raw bytes (GPT-2 / CLIP scheme)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def tiny_tokenizer(max_length: int = 77):
    """A CLIP tokenizer with a small vocabulary, made without any download."""
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in _byte_alphabet():
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    merges: list[tuple[str, str]] = []
    for word in _WORDS:
        # Merge left to right: "dog</w>" = ((d o) g</w>), each intermediate piece in the vocab.
        piece = word[0]
        for i, ch in enumerate(word[1:], start=1):
            right = ch + ("</w>" if i == len(word) - 1 else "")
            if (piece, right) not in merges:
                merges.append((piece, right))
            piece = piece + right
            vocab.setdefault(piece, len(vocab))
    # The tokenizers BPE model takes merges as (left, right) pairs; transformers' annotation
    # (str | list[str]) leaves that form out.
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)  # type: ignore[arg-type]
    tokenizer.model_max_length = max_length
    return tokenizer


def _text_encoder(vocab_size: int, *, projection: bool, hidden: int = 32, layers: int = 2):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=hidden,
        intermediate_size=37 if hidden == 32 else 4 * hidden,
        layer_norm_eps=1e-05,
        num_attention_heads=4 if hidden == 32 else 12,
        num_hidden_layers=layers,
        vocab_size=vocab_size,
        projection_dim=hidden,
        max_position_embeddings=77,
        hidden_act="gelu",
    )
    cls = CLIPTextModelWithProjection if projection else CLIPTextModel
    return cls(config)


def _vae(size: str = "tiny"):
    from diffusers import AutoencoderKL

    if size == "sd15":  # the real SD VAE layout: 4 blocks, latents an eighth of the image
        return AutoencoderKL(
            block_out_channels=(128, 256, 512, 512),
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            layers_per_block=2,
            latent_channels=4,
            sample_size=512,
        )

    # Two blocks: a latent is half the image size (real SD: an eighth). Small and fast, and the
    # scaling factor is a config value like any checkpoint's.
    return AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=64,
    )


def _unet(*, xl: bool, size: str = "tiny"):
    from diffusers import UNet2DConditionModel

    if size == "sd15":  # SD 1.5's UNet config (860M parameters), random weights
        return UNet2DConditionModel(
            sample_size=64,
            cross_attention_dim=768,
            attention_head_dim=8,
            block_out_channels=(320, 640, 1280, 1280),
            layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        )

    common = dict(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        norm_num_groups=32,
    )
    if not xl:
        return UNet2DConditionModel(cross_attention_dim=32, **common)
    return UNet2DConditionModel(
        cross_attention_dim=64,  # two text encoders of width 32, concatenated
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=32 + 6 * 8,  # pooled text + 6 time ids
        transformer_layers_per_block=(1, 1),
        use_linear_projection=True,
        **common,
    )


def sd_scheduler():
    """Stable Diffusion's own noise schedule (scaled-linear betas, epsilon prediction), used by
    every pipeline the project builds."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        prediction_type="epsilon",
        clip_sample=False,
        steps_offset=1,
    )


def build_tiny_pipeline(
    out_dir: str | Path, *, xl: bool = False, seed: int = 0, size: str = "tiny"
) -> Path:
    """Write a tiny SD (or SDXL with ``xl=True``) pipeline in diffusers format to ``out_dir``.

    ``size="sd15"`` writes an SD-1.5-sized pipeline instead (UNet, VAE and a 12-layer text
    encoder of SD 1.5's shapes, random weights, the small offline tokenizer): for benchmarks on
    a GPU without downloading a checkpoint.
    """
    if size not in ("tiny", "sd15") or (xl and size != "tiny"):
        raise ValueError(f"unknown size {size!r} (tiny, or sd15 without xl)")
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    out = Path(out_dir)
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    vocab_size = len(tokenizer)
    unet = _unet(xl=xl, size=size)
    vae = _vae(size)
    scheduler = sd_scheduler()
    # Any: under a type checker diffusers' top-level names resolve to its dummy placeholder
    # classes, which lack the real pipelines' methods (save_pretrained).
    pipe: Any
    if xl:
        pipe = StableDiffusionXLPipeline(
            vae=vae,
            text_encoder=_text_encoder(vocab_size, projection=False),
            text_encoder_2=_text_encoder(vocab_size, projection=True),
            tokenizer=tokenizer,
            tokenizer_2=tiny_tokenizer(),
            unet=unet,
            scheduler=scheduler,
        )
    else:
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=_text_encoder(
                vocab_size,
                projection=False,
                **({"hidden": 768, "layers": 12} if size == "sd15" else {}),
            ),
            tokenizer=tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
    pipe.save_pretrained(out, safe_serialization=True)
    return out
