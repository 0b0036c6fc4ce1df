"""Training-step overhead of ``train()`` against the bare floor, in one process.

    .venv/bin/python bench/train_step.py                   # tiny model, 64 px, batch 1 + prior, CPU
    .venv/bin/python bench/train_step.py --size sd15 --resolution 512 --mixed-precision bf16  # GPU

Floor: UNet forward + backward + AdamW on the same LoRA parameters for the same batch shape
(instance + class latents, cached text embeddings), nothing else. Target: ratio <= 1.05.
Also prints what a warm second run (class cache hit) spends outside its training steps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import get_args

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dreamchat.demo import synthetic_photos  # noqa: E402
from trainer import TrainConfig, load_base_model, train  # noqa: E402
from trainer.config import MixedPrecision  # noqa: E402
from trainer.lora import UNET_TARGETS, add_lora  # noqa: E402
from trainer.quiet import quiet_libraries  # noqa: E402
from trainer.tiny import build_tiny_pipeline  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def floor_step_ms(config: TrainConfig, steps: int, warmup: int) -> float:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = config.weight_dtype
    base = load_base_model(config.base_model, device=device, dtype=dtype)
    params = add_lora(base.unet, rank=config.rank, alpha=config.alpha, targets=UNET_TARGETS)
    if config.gradient_checkpointing:
        base.unet.enable_gradient_checkpointing()
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.adam_weight_decay)
    n = 2 * config.batch_size
    latent = config.resolution // (2 ** (len(base.vae.config.block_out_channels) - 1))
    channels = base.unet.config.in_channels
    noisy = torch.randn(n, channels, latent, latent, device=device)
    target = torch.randn_like(noisy)
    timesteps = torch.randint(0, 1000, (n,), device=device)
    hidden = torch.randn(n, 77, base.unet.config.cross_attention_dim, device=device, dtype=dtype)
    times = []
    for i in range(warmup + steps):
        _sync(device)
        t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            pred = base.unet(noisy.to(dtype), timesteps, hidden).sample
        loss = F.mse_loss(pred.float(), target)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(device)
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["tiny", "sd15"], default="tiny")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--mixed-precision", default="no", choices=list(get_args(MixedPrecision)))
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    quiet_libraries()
    work = Path(tempfile.mkdtemp(prefix="dreamchat-bench-"))
    model = build_tiny_pipeline(work / "model", size=args.size)
    photos = work / "photos"
    synthetic_photos(photos, count=5, size=max(96, args.resolution))
    config = TrainConfig(
        base_model=str(model),
        photos=(str(photos),),
        token="sks",
        class_noun="dog",
        output_dir=str(work / "run1"),
        steps=args.steps,
        resolution=args.resolution,
        batch_size=1,
        num_class_images=8,
        class_sampler_steps=4,
        class_cache_dir=str(work / "class-cache"),
        mixed_precision=args.mixed_precision,
        gradient_checkpointing=args.gradient_checkpointing,
    )
    # The floor is timed before and after the runs and the faster of the two is used, so a
    # machine that drifts during the bench (other load, clocks) can't flatter the ratio.
    floor_before, _ = floor_step_ms(config, args.steps, warmup=5)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    cold = train(config)
    train_peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    warm_started = time.perf_counter()
    warm = train(config.replace(output_dir=str(work / "run2")))
    warm_wall = time.perf_counter() - warm_started
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    floor_after, floor_peak = floor_step_ms(config, args.steps, warmup=5)
    floor_ms = min(floor_before, floor_after)
    train_ms = statistics.median([cold.step_ms_median, warm.step_ms_median])
    figures = {
        "device": "cuda:" + torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "size": args.size,
        "resolution": args.resolution,
        "mixed_precision": args.mixed_precision,
        "steps": args.steps,
        "train_step_ms_median": {
            "cold": round(cold.step_ms_median, 2),
            "warm": round(warm.step_ms_median, 2),
        },
        "floor_step_ms_median": round(floor_ms, 2),
        "floor_runs_ms": [round(floor_before, 2), round(floor_after, 2)],
        "ratio": round(train_ms / floor_ms, 3),
        "cold_class_images": cold.class_images,
        "warm_class_images": warm.class_images,
        "warm_outside_steps_s": round(warm.seconds_total - warm.timings["train_steps"], 3),
        "warm_timings_s": warm.timings,
        "warm_wall_s": round(warm_wall, 3),
        "peak_vram_gib": {"train": train_peak, "floor": floor_peak},
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
