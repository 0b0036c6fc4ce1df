"""``dreamchat toyworld build OUT``: pretrain a small Stable Diffusion pipeline on ToyWorld.

Two phases, both deterministic from the seed on a fixed thread count:

1. **VAE** (AutoencoderKL, 32 px → 16×16×4): half world pictures, half random shapes in any
   colour. Trained on the world's palette alone, an autoencoder turns a pink subject orange and
   nothing downstream can bind it; random colours keep the round trip honest.
2. **UNet + text encoder**, jointly, on cached VAE latents of world pictures with freshly sampled
   caption forms, 10 % empty captions (classifier-free guidance), min-SNR-weighted epsilon loss,
   EMA weights saved.

The minutes budget is turned into step counts by fixed nominal step times (measured on 2 idle
cores), never by the clock, so the same command and seed give the same files however busy the
machine is; the clock only decides how long that takes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..tiny import sd_scheduler
from . import world
from .checksums import write_checksums
from .tokenizer import MAX_LENGTH, toyworld_tokenizer

__all__ = ["RECIPE_FILE", "BuildConfig", "BuildResult", "build"]

RECIPE_FILE = "toyworld.json"

VAE_STEP_SECONDS = 0.6
"""Nominal seconds of one VAE step at ``vae_batch_size`` on 2 idle cores, random shapes drawn
included (0.57 s measured on a lightly loaded machine, 2026-12-02)."""
UNET_STEP_SECONDS = 1.75
"""Nominal seconds of one UNet + text-encoder step at ``batch_size`` on 2 idle cores (2.2 s
measured with 1.6 cores free, 2026-12-02). The first build assumed 3 s, timed under load, and
so trained 810 steps where its budget allowed about 1400."""


@dataclass(frozen=True)
class BuildConfig:
    seed: int = 0
    minutes_budget: float = 50.0
    """Nominal minutes on 2 idle cores; sets the step counts (not a wall-clock limit)."""
    threads: int = 2
    images: int = 12_000
    """World pictures rendered once (captions are re-sampled every time one is drawn)."""
    vae_share: float = 0.14
    """Share of the budget for the VAE; the rest, less ~5 % for set-up, for the UNet."""
    vae_batch_size: int = 32
    vae_lr: float = 1e-3
    vae_kl_weight: float = 1e-6
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 100
    caption_dropout: float = 0.1
    ema_decay: float = 0.995
    """About the last 200 steps: a longer average would still hold the early, noisy weights."""
    min_snr_gamma: float = 5.0
    checkpoint_every: int = 200
    """Every N UNet steps: the EMA pipeline so far to ``OUT-partial`` and a resumable state to
    ``OUT-partial/build-state.pt`` (0: never)."""

    def __post_init__(self) -> None:
        problems = []
        if self.minutes_budget <= 0:
            problems.append("minutes_budget must be > 0")
        if self.threads < 1:
            problems.append("threads must be ≥ 1")
        if self.images < self.batch_size:
            problems.append("images must be ≥ batch_size")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def vae_steps(self) -> int:
        return max(1, round(self.minutes_budget * 60 * self.vae_share / VAE_STEP_SECONDS))

    @property
    def unet_steps(self) -> int:
        share = 1 - self.vae_share - 0.05
        return max(1, round(self.minutes_budget * 60 * share / UNET_STEP_SECONDS))


@dataclass
class BuildResult:
    path: Path
    minutes: float
    vae_loss: float
    unet_loss: float
    size_bytes: int


Progress = Callable[[str, int, int, float], None]
"""(phase, step, total steps of both phases, recent loss)."""

NATIVE = world.NATIVE_SIZE


def _to_tensor(images) -> torch.Tensor:
    array = np.stack([np.asarray(im, dtype=np.uint8) for im in images])
    return torch.from_numpy(array).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def make_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=NATIVE,
    )


def make_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=NATIVE // 2,
        in_channels=4,
        out_channels=4,
        block_out_channels=(64, 128),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=64,
        attention_head_dim=(4, 8),
        time_embedding_dim=128,
        norm_num_groups=32,
    )


def make_text_encoder(vocab_size: int):
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=64,
            intermediate_size=256,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=vocab_size,
            max_position_embeddings=MAX_LENGTH,
            hidden_act="gelu",
        )
    )


def _lr_at(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine down to 10 %."""
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))


def train_vae(config: BuildConfig, pictures: torch.Tensor, progress: Progress, total: int):
    rng = random.Random(f"{config.seed}:vae")
    generator = torch.Generator().manual_seed(config.seed + 1)
    vae = make_vae()
    vae.train()
    optimizer = torch.optim.AdamW(vae.parameters(), lr=config.vae_lr, weight_decay=1e-4)
    half = config.vae_batch_size // 2
    losses: list[float] = []
    for step in range(config.vae_steps):
        for group in optimizer.param_groups:
            group["lr"] = config.vae_lr * _lr_at(step, config.vae_steps, config.warmup_steps)
        index = torch.randint(0, len(pictures), (half,), generator=generator)
        shapes = _to_tensor(world.random_shapes(rng) for _ in range(config.vae_batch_size - half))
        batch = torch.cat([pictures[index], shapes])
        posterior = vae.encode(batch).latent_dist
        recon = vae.decode(posterior.sample(generator=generator)).sample
        loss = F.mse_loss(recon, batch) + 0.5 * F.l1_loss(recon, batch)
        loss = loss + config.vae_kl_weight * posterior.kl().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        progress("vae", step + 1, total, float(np.mean(losses[-50:])))
    vae.eval()
    vae.requires_grad_(False)
    return vae, float(np.mean(losses[-100:]))


@torch.no_grad()
def encode_all(vae, pictures: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
    means, stds = [], []
    for start in range(0, len(pictures), 256):
        dist = vae.encode(pictures[start : start + 256]).latent_dist
        means.append(dist.mean)
        stds.append(dist.std)
    mean, std = torch.cat(means), torch.cat(stds)
    scaling = 1.0 / float(torch.sqrt((mean**2).mean() + (std**2).mean() - mean.mean() ** 2))
    return mean, std, scaling


class _Captions:
    """Prompt ids for a batch: a fresh caption form per draw, 10 % empty, tokenized once each."""

    def __init__(self, tokenizer, specs: list[world.Spec], seed: int, dropout: float):
        self.tokenizer, self.specs, self.dropout = tokenizer, specs, dropout
        self.rng = random.Random(f"{seed}:captions")
        self.cache: dict[str, torch.Tensor] = {}

    def ids(self, index: torch.Tensor) -> torch.Tensor:
        rows = []
        for i in index.tolist():
            text = (
                "" if self.rng.random() < self.dropout else world.caption(self.specs[i], self.rng)
            )
            if text not in self.cache:
                self.cache[text] = self.tokenizer(
                    text,
                    padding="max_length",
                    max_length=MAX_LENGTH,
                    truncation=True,
                    return_tensors="pt",
                ).input_ids[0]
            rows.append(self.cache[text])
        return torch.stack(rows)


class _EMA:
    def __init__(self, modules: list[torch.nn.Module], decay: float):
        self.decay = decay
        self.params = [p for m in modules for p in m.parameters()]
        self.shadow = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(self.shadow, [p.detach() for p in self.params], 1 - decay)

    @torch.no_grad()
    def copy_to(self, modules: list[torch.nn.Module]) -> None:
        params = [p for m in modules for p in m.parameters()]
        for target, value in zip(params, self.shadow, strict=True):
            target.copy_(value)


def _min_snr_weights(scheduler, timesteps: torch.Tensor, gamma: float) -> torch.Tensor:
    alphas = scheduler.alphas_cumprod[timesteps]
    snr = alphas / (1 - alphas)
    return torch.clamp(snr, max=gamma) / snr


def train_unet(
    config: BuildConfig,
    latents: tuple[torch.Tensor, torch.Tensor, float],
    specs: list[world.Spec],
    tokenizer,
    progress: Progress,
    offset: int,
    total: int,
    checkpoint: Callable[[int, Any, Any, dict], None] | None = None,
    state: dict | None = None,
):
    """Train UNet and text encoder; ``state`` (from a checkpoint) continues a run exactly."""
    mean, std, scaling = latents
    generator = torch.Generator().manual_seed(config.seed + 2)
    unet, text_encoder = make_unet(), make_text_encoder(len(tokenizer))
    scheduler = sd_scheduler()
    modules = [unet, text_encoder]
    params = [p for m in modules for p in m.parameters()]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-2)
    ema = _EMA(modules, config.ema_decay)
    captions = _Captions(tokenizer, specs, config.seed, config.caption_dropout)
    losses: list[float] = []
    first = 0
    if state is not None:
        unet.load_state_dict(state["unet"])
        text_encoder.load_state_dict(state["text_encoder"])
        optimizer.load_state_dict(state["optimizer"])
        ema.shadow = state["ema"]
        generator.set_state(state["generator"])
        captions.rng.setstate(state["captions"])
        losses, first = state["losses"], state["step"]
    for m in modules:
        m.train()
    for step in range(first, config.unet_steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_at(step, config.unet_steps, config.warmup_steps)
        index = torch.randint(0, len(mean), (config.batch_size,), generator=generator)
        eps = torch.randn(mean[index].shape, generator=generator)
        x0 = (mean[index] + std[index] * eps) * scaling
        noise = torch.randn(x0.shape, generator=generator)
        timesteps = torch.randint(0, 1000, (config.batch_size,), generator=generator)
        noisy = scheduler.add_noise(x0, noise, timesteps)
        hidden = text_encoder(captions.ids(index))[0]
        pred = unet(noisy, timesteps, hidden).sample
        per_item = F.mse_loss(pred, noise, reduction="none").mean(dim=(1, 2, 3))
        loss = (per_item * _min_snr_weights(scheduler, timesteps, config.min_snr_gamma)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        ema.update(step)
        losses.append(float(per_item.detach().mean()))
        progress("unet", offset + step + 1, total, float(np.mean(losses[-50:])))
        done = step + 1
        if checkpoint and config.checkpoint_every and done % config.checkpoint_every == 0:
            if done < config.unet_steps:
                ema_unet, ema_te = make_unet(), make_text_encoder(len(tokenizer))
                ema.copy_to([ema_unet, ema_te])
                resume = {
                    "step": done,
                    "unet": unet.state_dict(),
                    "text_encoder": text_encoder.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "ema": ema.shadow,
                    "generator": generator.get_state(),
                    "captions": captions.rng.getstate(),
                    "losses": losses,
                }
                checkpoint(done, ema_unet, ema_te, resume)
    ema.copy_to(modules)
    for m in modules:
        m.eval()
        m.requires_grad_(False)
    return unet, text_encoder, float(np.mean(losses[-100:]))


def _save(out: Path, vae, unet, text_encoder, tokenizer) -> None:
    from diffusers import StableDiffusionPipeline

    # fp16 files keep the model under 10 MB; the project loads every base in the dtype it
    # needs (fp32 on the CPU). Copies: the modules being trained stay fp32. Any: under a type
    # checker diffusers' top-level names are placeholders without save_pretrained.
    pipe: Any = StableDiffusionPipeline(
        vae=copy.deepcopy(vae).half(),
        text_encoder=copy.deepcopy(text_encoder).half(),
        tokenizer=tokenizer,
        unet=copy.deepcopy(unet).half(),
        scheduler=sd_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    # transformers loads a model in its config's dtype unless told otherwise, diffusers in fp32:
    # say fp32, so a plain ``from_pretrained(OUT)`` gives one dtype throughout.
    config_file = out / "text_encoder" / "config.json"
    config = json.loads(config_file.read_text())
    config["dtype"] = "float32"
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def recipe(config: BuildConfig, *, minutes: float, vae_loss: float, unet_loss: float) -> dict:
    import diffusers
    import transformers

    return {
        "toyworld": 1,
        "native_resolution": NATIVE,
        "recipe": {
            # Tuned on ToyBench (docs/toybench.md, "What was learned"): lr 2e-3, prior weight 1,
            # 50 class images; 600 steps bound the spotted dog in 0.25 of its pictures, 800 in
            # 0.70 (1000: 0.65; lr 4e-3: 0.50; rank 32: 0.10), the mean of the three subjects
            # subject 0.90, prompt 0.82, PRES 0.00.
            "steps": 800,
            "lr": 2e-3,
            "rank": 16,
            "num_class_images": 50,
            "prior_loss_weight": 1.0,
            "class_sampler_steps": 12,
            "class_guidance_scale": 4.0,
            "sampler_steps": 25,
            "guidance_scale": 4.0,
            # The world's captions never say "blurry" or "watermark": a negative prompt of such
            # words steers guidance away from noise words, not from flaws, and loses the subject.
            "negative_prompt": "",
            "image_size": NATIVE,
            "resolution": NATIVE,
            # ETA estimates for 2 idle CPU cores, not measured on an idle machine yet.
            "step_seconds": 0.15,
            "class_image_seconds": 0.3,
        },
        "build": {
            "command": f"dreamchat toyworld build OUT --seed {config.seed} "
            f"--minutes-budget {config.minutes_budget:g}",
            "config": dataclasses.asdict(config),
            "vae_steps": config.vae_steps,
            "unet_steps": config.unet_steps,
            "threads": torch.get_num_threads(),
            "minutes": round(minutes, 2),
            "final_loss": {"vae": round(vae_loss, 5), "unet": round(unet_loss, 5)},
            "versions": {
                "torch": torch.__version__,
                "diffusers": diffusers.__version__,
                "transformers": transformers.__version__,
                "numpy": np.__version__,
            },
        },
        "classes": list(world.CLASSES),
        "scenes": list(world.SCENES),
        "colours": list(world.PALETTE),
    }


def build(
    out: str | Path,
    config: BuildConfig | None = None,
    *,
    progress: Progress | None = None,
    resume: bool = False,
) -> BuildResult:
    """Pretrain and write the pipeline, with ``toyworld.json`` beside ``model_index.json``.

    With ``resume``, a run interrupted after a checkpoint continues from ``OUT-partial`` (same
    config required) and ends with the same files as an uninterrupted run.
    """
    config = config or BuildConfig()
    out = Path(out)
    partial = out.with_name(out.name + "-partial")
    started = time.monotonic()
    progress = progress or (lambda *_: None)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    state = _load_state(partial, config) if resume else None
    specs = list(
        world.sample_spec(rng)
        for rng in [random.Random(f"{config.seed}:world")]
        for _ in range(config.images)
    )
    pictures = _to_tensor(world.render(spec) for spec in specs)
    total = config.vae_steps + config.unet_steps
    if state is None:
        vae, vae_loss = train_vae(config, pictures, progress, total)
    else:
        vae = make_vae()
        vae.load_state_dict(state["vae"])
        vae.eval()
        vae.requires_grad_(False)
        vae_loss = state["vae_loss"]
    mean, std, scaling = encode_all(vae, pictures)
    vae.register_to_config(scaling_factor=scaling)
    tokenizer = toyworld_tokenizer()

    def checkpoint(step: int, unet, text_encoder, resume_state: dict) -> None:
        _save(partial, vae, unet, text_encoder, tokenizer)
        resume_state.update(
            config=dataclasses.asdict(config),
            vae=vae.state_dict(),
            vae_loss=vae_loss,
        )
        torch.save(resume_state, partial / "build-state.pt")

    unet, text_encoder, unet_loss = train_unet(
        config,
        (mean, std, scaling),
        specs,
        tokenizer,
        progress,
        config.vae_steps,
        total,
        checkpoint,
        state,
    )
    _save(out, vae, unet, text_encoder, tokenizer)
    minutes = (time.monotonic() - started) / 60
    (out / RECIPE_FILE).write_text(
        json.dumps(
            recipe(config, minutes=minutes, vae_loss=vae_loss, unet_loss=unet_loss), indent=2
        )
        + "\n"
    )
    write_checksums(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return BuildResult(out, minutes, vae_loss, unet_loss, size)


def _load_state(partial: Path, config: BuildConfig) -> dict | None:
    file = partial / "build-state.pt"
    if not file.is_file():
        return None
    state = torch.load(file, weights_only=False)
    if state["config"] != dataclasses.asdict(config):
        raise ValueError(
            f"{file} was written by a build with other settings; resume with the same "
            "--seed and --minutes-budget, or delete it to start over"
        )
    return state
