"""``train(config)``: LoRA DreamBooth with prior preservation, on accelerate.

The loop does only per-step work: draw latents from the cached posteriors, add noise, one
UNet forward over [instance, class], the DreamBooth loss, backward, clip, AdamW. Checkpoints are
accelerate states holding just the LoRA weights, the optimizer, the LR schedule, the RNG states
and our data generator — so resuming at step k continues the exact sequence of a straight run.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointState, latest_checkpoint, save_checkpoint, use_lora_checkpoints
from .config import TrainConfig
from .errors import TrainingCancelled
from .lora import save_adapter
from .loss import diffusion_target, dreambooth_loss
from .models import BaseModel, load_base_model
from .setup import Run, Timings, prepare_run

__all__ = ["TrainProgress", "TrainResult", "train"]

_DTYPES = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class TrainProgress:
    step: int
    total: int
    loss: float
    elapsed_s: float
    eta_s: float


@dataclass
class TrainResult:
    output_dir: Path
    adapter_path: Path
    steps: int
    step_ms_median: float
    losses: list[float]
    class_images: dict[str, Any]
    seconds_total: float
    timings: dict[str, float]
    resumed_from: int | None = None
    report: dict[str, Any] = field(default_factory=dict)


def _optimizer(run: Run, device: torch.device):
    cfg = run.config
    groups: list[dict[str, Any]] = [{"params": run.params, "lr": cfg.lr}]
    if run.text_params:
        groups.append({"params": run.text_params, "lr": cfg.text_encoder_lr or cfg.lr})
    kwargs = dict(betas=(cfg.adam_beta1, cfg.adam_beta2), weight_decay=cfg.adam_weight_decay, eps=cfg.adam_epsilon)
    use_8bit = cfg.use_8bit_adam
    if use_8bit is None:
        try:
            import bitsandbytes  # noqa: F401

            use_8bit = device.type == "cuda"
        except ImportError:
            use_8bit = False
    if use_8bit:
        import bitsandbytes as bnb

        return bnb.optim.AdamW8bit(groups, **kwargs)
    return torch.optim.AdamW(groups, **kwargs)


def train(
    config: TrainConfig,
    *,
    progress: Callable[[TrainProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    base: BaseModel | None = None,
) -> TrainResult:
    """Train one adapter; write ``pytorch_lora_weights.safetensors`` and ``training.json``.

    ``base`` lets a warm worker lend its already-loaded model; the LoRA is removed from it again
    before this returns. ``should_stop`` is polled once per step (cancellation).
    """
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from diffusers import DDPMScheduler
    from diffusers.optimization import get_scheduler

    started = time.perf_counter()
    timings = Timings()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(mixed_precision=config.mixed_precision, gradient_accumulation_steps=config.grad_accum)
    set_seed(config.seed)
    dtype = _DTYPES[config.mixed_precision]

    def load() -> BaseModel:
        return load_base_model(config.base_model, device=accelerator.device, dtype=dtype)

    run = prepare_run(config, base=base or load, timings=timings)
    try:
        return _train_prepared(run, accelerator, get_scheduler, DDPMScheduler, out, timings, started, progress, should_stop)
    finally:
        for module in run.trained.values():
            accelerator.unwrap_model(module, keep_fp32_wrapper=False).unload_lora() if hasattr(
                module, "unload_lora"
            ) else _strip_peft(module)
        accelerator.free_memory()


def _strip_peft(module) -> None:
    from diffusers.utils import recurse_remove_peft_layers

    recurse_remove_peft_layers(module)
    for attr in ("peft_config", "_hf_peft_config_loaded"):
        if hasattr(module, attr):
            delattr(module, attr)


def _train_prepared(run, accelerator, get_scheduler, DDPMScheduler, out, timings, started, progress, should_stop):
    cfg = run.config
    base = run.base
    device = accelerator.device
    optimizer = _optimizer(run, device)
    lr_scheduler = get_scheduler(
        cfg.lr_scheduler,
        optimizer=optimizer,
        num_warmup_steps=cfg.lr_warmup_steps * accelerator.num_processes,
        num_training_steps=cfg.steps * accelerator.num_processes,
    )
    names = list(run.trained)
    prepared = accelerator.prepare(*run.trained.values(), optimizer, lr_scheduler)
    modules = dict(zip(names, prepared[: len(names)], strict=True))
    optimizer, lr_scheduler = prepared[len(names) :]
    unet = modules["unet"]
    noise_scheduler = DDPMScheduler.from_config(base.scheduler_config)
    generator = torch.Generator(device=device).manual_seed(cfg.seed)
    state = CheckpointState(generator)
    accelerator.register_for_checkpointing(state)
    use_lora_checkpoints(accelerator, run.trained, unwrap=accelerator.unwrap_model)

    resumed_from = None
    checkpoint_root = out / "checkpoints"
    if cfg.resume and (latest := latest_checkpoint(checkpoint_root)) is not None:
        accelerator.load_state(str(latest))
        resumed_from = state.step

    b = cfg.batch_size
    with_prior = run.prior is not None
    n_train_t = noise_scheduler.config.num_train_timesteps
    weight_dtype = base.unet.dtype
    all_params = run.params + run.text_params
    step_ms: list[float] = []
    text = None
    if run.conditioning is None:
        from .models import TextConditioner

        text = TextConditioner(base)
    added_pooled = run.conditioning.pooled if run.conditioning is not None else None
    train_started = time.perf_counter()
    for step in range(state.step, cfg.steps):
        t0 = time.perf_counter()
        for _ in range(cfg.grad_accum):
            with accelerator.accumulate(unet):
                idx = torch.randint(len(run.instance), (b,), generator=generator, device=device)
                latents = run.instance.sample(idx, generator)
                if with_prior:
                    cidx = torch.randint(len(run.prior.latents), (b,), generator=generator, device=device)
                    latents = torch.cat([latents, run.prior.latents.sample(cidx, generator)])
                noise = torch.randn(latents.shape, generator=generator, device=device)
                timesteps = torch.randint(0, n_train_t, (latents.shape[0],), generator=generator, device=device)
                noisy = noise_scheduler.add_noise(latents, noise, timesteps)
                if text is not None:
                    cond = text.encode_ids(run.token_ids)
                    hidden, added_pooled = cond.hidden, cond.pooled
                else:
                    hidden = run.conditioning.hidden
                added = None
                if base.xl:
                    time_ids = run.instance_time_ids[idx]
                    if with_prior:
                        time_ids = torch.cat([time_ids, run.class_time_ids.expand(b, -1)])
                    added = {"text_embeds": added_pooled, "time_ids": time_ids}
                pred = unet(noisy.to(weight_dtype), timesteps, hidden, added_cond_kwargs=added).sample
                target = diffusion_target(noise_scheduler, latents, noise, timesteps)
                loss = dreambooth_loss(pred, target, with_prior=with_prior, prior_loss_weight=cfg.prior_loss_weight)
                accelerator.backward(loss.total)
                if accelerator.sync_gradients and cfg.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(all_params, cfg.max_grad_norm)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        state.step = step + 1
        state.losses.append(loss.total.item())
        step_ms.append((time.perf_counter() - t0) * 1000)
        if progress is not None:
            elapsed = time.perf_counter() - train_started
            done = state.step - (resumed_from or 0)
            eta = elapsed / done * (cfg.steps - state.step)
            progress(TrainProgress(state.step, cfg.steps, state.losses[-1], elapsed, eta))
        if should_stop is not None and should_stop():
            raise TrainingCancelled(f"training stopped at step {state.step} of {cfg.steps}")
        if cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0 and state.step < cfg.steps:
            with timings.measure("checkpoints"):
                save_checkpoint(accelerator, checkpoint_root, state.step, keep=cfg.checkpoints_total_limit)
    timings["train_steps"] = round(time.perf_counter() - train_started, 4)

    with timings.measure("save_adapter"):
        metadata = {
            "token": cfg.token,
            "class_noun": cfg.class_noun,
            "base_fingerprint": base.fingerprint,
            "xl": str(base.xl).lower(),
            "instance_prompt": cfg.resolved_instance_prompt,
            "rank": str(cfg.rank),
            "steps": str(cfg.steps),
            **cfg.metadata,
        }
        unwrapped = {n: accelerator.unwrap_model(m) for n, m in modules.items()}
        encoders = [unwrapped.get("text_encoder"), unwrapped.get("text_encoder_2")]
        adapter = save_adapter(out, unet=unwrapped["unet"], text_encoders=encoders, xl=base.xl, metadata=metadata)
    seconds_total = time.perf_counter() - started
    median = statistics.median(step_ms) if step_ms else 0.0
    prior = run.prior
    class_images = (
        {"count": prior.count, "cached": prior.cached, "generated": prior.generated, "seconds": round(prior.seconds, 4)}
        if prior
        else {"count": 0, "cached": False, "generated": 0, "seconds": 0.0}
    )
    report = {
        "steps": cfg.steps,
        "step_ms_median": round(median, 3),
        "loss": state.losses,
        "class_images": class_images,
        "seconds_total": round(seconds_total, 4),
        "timings": dict(timings),
        "resumed_from": resumed_from,
        "device": str(device),
        "base_fingerprint": base.fingerprint,
        "xl": base.xl,
        "config": cfg.to_dict(),
    }
    tmp = out / "training.json.tmp"
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, out / "training.json")
    if checkpoint_root.is_dir():
        shutil.rmtree(checkpoint_root, ignore_errors=True)
    return TrainResult(
        out, adapter, cfg.steps, median, state.losses, class_images, seconds_total, dict(timings), resumed_from, report
    )
