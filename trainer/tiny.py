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


_VIT_L = {"hidden": 768, "layers": 12}
_BIG_G = {"hidden": 1280, "layers": 32}


def _text_encoder(vocab_size: int, *, projection: bool, hidden: int = 32, layers: int = 2):
    """Tiny (width 32), or a real CLIP text tower's shape: ViT-L (768, 12 layers) for SD 1.5
    and SDXL's first encoder, OpenCLIP bigG (1280, 32 layers) for SDXL's second; heads of 64."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=hidden,
        intermediate_size=37 if hidden == 32 else 4 * hidden,
        layer_norm_eps=1e-05,
        num_attention_heads=4 if hidden == 32 else hidden // 64,
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

    if size in ("sd15", "sdxl"):  # the real SD VAE layout: 4 blocks, latents an eighth
        return AutoencoderKL(
            block_out_channels=(128, 256, 512, 512),
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            layers_per_block=2,
            latent_channels=4,
            sample_size=1024 if size == "sdxl" else 512,
            scaling_factor=0.13025 if size == "sdxl" else 0.18215,
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

    if size == "sdxl":  # SDXL base's UNet config (2.6B parameters), random weights
        return UNet2DConditionModel(
            sample_size=128,
            cross_attention_dim=2048,  # ViT-L's 768 + bigG's 1280, concatenated
            attention_head_dim=(5, 10, 20),
            block_out_channels=(320, 640, 1280),
            layers_per_block=2,
            down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * 2,
            up_block_types=("CrossAttnUpBlock2D",) * 2 + ("UpBlock2D",),
            transformer_layers_per_block=(1, 2, 10),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=256,
            projection_class_embeddings_input_dim=1280 + 6 * 256,  # pooled text + 6 time ids
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
    out_dir: str | Path,
    *,
    xl: bool = False,
    seed: int = 0,
    size: str = "tiny",
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> Path:
    """Write a tiny SD (or SDXL with ``xl=True``) pipeline in diffusers format to ``out_dir``.

    ``size="sd15"`` (or ``"sdxl"`` with ``xl=True``) writes a pipeline of SD 1.5's (SDXL
    base's) sizes instead: UNet, VAE and text encoders of the real shapes, random weights, the
    small offline tokenizer; for benchmarks on a GPU without downloading a checkpoint. The
    weights are drawn on ``device`` (an SDXL UNet's 2.6B draws take a while on a CPU) and
    saved in ``dtype``.
    """
    if size not in ("tiny", "sd15", "sdxl") or (size != "tiny" and xl != (size == "sdxl")):
        raise ValueError(f"unknown size {size!r} (tiny, sd15 without xl, or sdxl with xl)")
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    out = Path(out_dir)
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    vocab_size = len(tokenizer)
    with torch.device(device):
        unet = _unet(xl=xl, size=size)
        vae = _vae(size)
        towers = {"sd15": [_VIT_L], "sdxl": [_VIT_L, _BIG_G]}.get(size, [{}, {}] if xl else [{}])
        # SDXL's second encoder has the projection (its pooled output conditions the UNet)
        encoders = [
            _text_encoder(vocab_size, projection=i == 1, **shape) for i, shape in enumerate(towers)
        ]
    scheduler = sd_scheduler()
    # Any: under a type checker diffusers' top-level names resolve to its dummy placeholder
    # classes, which lack the real pipelines' methods (save_pretrained).
    pipe: Any
    if xl:
        pipe = StableDiffusionXLPipeline(
            vae=vae,
            text_encoder=encoders[0],
            text_encoder_2=encoders[1],
            tokenizer=tokenizer,
            tokenizer_2=tiny_tokenizer(),
            unet=unet,
            scheduler=scheduler,
        )
    else:
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=encoders[0],
            tokenizer=tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
    pipe.to(device="cpu", dtype=dtype).save_pretrained(out, safe_serialization=True)
    return out
