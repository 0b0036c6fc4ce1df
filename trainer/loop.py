"""``train(config)``: LoRA DreamBooth with prior preservation, on accelerate.

The loop does only per-step work: draw latents from the cached posteriors, add noise, one
UNet forward over [instance, class], the DreamBooth loss, backward, clip, AdamW. Checkpoints are
accelerate states holding just the LoRA weights, the optimizer, the LR schedule, the RNG states
and our data generator — so resuming at step k continues the exact sequence of a straight run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointState, latest_checkpoint, save_checkpoint, use_lora_checkpoints
from .config import TrainConfig
from .errors import TrainingCancelled, TrainingInterrupted
from .lora import remove_lora
from .loss import diffusion_target, dreambooth_loss
from .models import BaseModel, TextConditioner, load_base_model
from .quality import load_embedder, measure_quality
from .report import write_outputs
from .setup import Run, Timings, prepare_run

__all__ = ["TrainProgress", "TrainResult", "train"]


@dataclass(frozen=True)
class TrainProgress:
    step: int
    total: int
    loss: float
    elapsed_s: float
    eta_s: float
    """Seconds left in this phase."""
    phase: str = "training"
    """``class_images`` while the class prior is sampled (``step`` is 0 then, and ``done`` of
    ``count`` images are sampled), then ``training``."""
    done: int = 0
    count: int = 0


class _ClassPhase:
    """The class-image sampling as progress events and stop points: cancelling and pausing
    work before the first step too (sampling 100 images takes minutes at 512 px)."""

    def __init__(self, total_steps: int, progress, should_stop, should_pause):
        self.total_steps = total_steps
        self.progress, self.should_stop, self.should_pause = progress, should_stop, should_pause
        self.started: float | None = None

    def __call__(self, done: int, count: int) -> None:
        now = time.perf_counter()
        if self.started is None:
            self.started = now
        elapsed = now - self.started
        if self.progress is not None and done > 0:
            eta = elapsed / done * (count - done)
            self.progress(
                TrainProgress(
                    0,
                    self.total_steps,
                    float("nan"),
                    elapsed,
                    eta,
                    phase="class_images",
                    done=done,
                    count=count,
                )
            )
        if done >= count:
            return
        if self.should_stop is not None and self.should_stop():
            raise TrainingCancelled(
                f"training stopped while sampling class images ({done} of {count})"
            )
        if self.should_pause is not None and self.should_pause():
            raise TrainingInterrupted(
                f"training paused while sampling class images ({done} of {count}); "
                "the sampled ones are cached",
                step=0,
            )


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


def train(
    config: TrainConfig,
    *,
    progress: Callable[[TrainProgress], object] | None = None,
    should_stop: Callable[[], bool] | None = None,
    should_pause: Callable[[], bool] | None = None,
    on_checkpoint: Callable[[Path], object] | None = None,
    base: BaseModel | None = None,
) -> TrainResult:
    """Train one adapter; write ``pytorch_lora_weights.safetensors`` and ``training.json``.

    ``base`` lets a warm worker lend its already-loaded model; the LoRA is removed from it again
    before this returns, whatever happens. ``should_stop`` is polled once per step and once
    per batch of class images (it ends the run: ``TrainingCancelled``); so is
    ``should_pause``, which writes a checkpoint of the step reached and raises
    ``TrainingInterrupted`` — a worker that is shutting down hands the run to another, which
    resumes from there (``resume=True``; class images sampled so far are in the cache). ``on_checkpoint`` gets each
    checkpoint directory once it is complete, e.g. to copy it where another node can reach it.
    """
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    started = time.perf_counter()
    timings = Timings()
    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(
        mixed_precision=config.mixed_precision, gradient_accumulation_steps=config.grad_accum
    )
    set_seed(config.seed)

    def load() -> BaseModel:
        return load_base_model(
            config.base_model, device=accelerator.device, dtype=config.weight_dtype
        )

    class_phase = _ClassPhase(config.steps, progress, should_stop, should_pause)
    run = prepare_run(config, base=base or load, timings=timings, on_class_batch=class_phase)
    try:
        return _Loop(run, accelerator, timings).run(
            started, progress, should_stop, should_pause, on_checkpoint
        )
    finally:
        for module in run.trained.values():
            remove_lora(accelerator.unwrap_model(module, keep_fp32_wrapper=False))
        accelerator.free_memory()


def _optimizer(run: Run, device: torch.device):
    cfg = run.config
    groups: list[dict[str, Any]] = [{"params": run.params, "lr": cfg.lr}]
    if run.text_params:
        groups.append({"params": run.text_params, "lr": cfg.text_encoder_lr or cfg.lr})
    kwargs: dict[str, Any] = dict(
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        weight_decay=cfg.adam_weight_decay,
        eps=cfg.adam_epsilon,
    )
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


class _Loop:
    """The prepared objects of one run and its step; ``run()`` is the loop itself."""

    def __init__(self, run: Run, accelerator, timings: Timings):
        from diffusers import DDPMScheduler
        from diffusers.optimization import get_scheduler

        self.r, self.acc, self.timings = run, accelerator, timings
        cfg, self.device = run.config, accelerator.device
        optimizer = _optimizer(run, self.device)
        schedule = get_scheduler(
            cfg.lr_scheduler,
            optimizer=optimizer,
            num_warmup_steps=cfg.lr_warmup_steps * accelerator.num_processes,
            num_training_steps=cfg.steps * accelerator.num_processes,
        )
        names = list(run.trained)
        prepared = accelerator.prepare(*run.trained.values(), optimizer, schedule)
        self.unet = dict(zip(names, prepared, strict=False))["unet"]
        self.optimizer, self.schedule = prepared[len(names) :]
        self.noise_scheduler = DDPMScheduler.from_config(run.base.scheduler_config)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self.state = CheckpointState(self.generator)
        accelerator.register_for_checkpointing(self.state)
        use_lora_checkpoints(accelerator, run.trained, unwrap=accelerator.unwrap_model)
        self.text = TextConditioner(run.base) if run.conditioning is None else None
        self.params = run.params + run.text_params

    def micro_step(self) -> torch.Tensor:
        r, g, dev, b = self.r, self.generator, self.device, self.r.config.batch_size
        idx = torch.randint(len(r.instance), (b,), generator=g, device=dev)
        latents = r.instance.sample(idx, g)
        if r.prior is not None:
            class_idx = torch.randint(len(r.prior.latents), (b,), generator=g, device=dev)
            latents = torch.cat([latents, r.prior.latents.sample(class_idx, g)])
        noise = torch.randn(latents.shape, generator=g, device=dev)
        steps = self.noise_scheduler.config.num_train_timesteps
        timesteps = torch.randint(0, steps, (latents.shape[0],), generator=g, device=dev)
        noisy = self.noise_scheduler.add_noise(latents, noise, timesteps)
        # Each latent with its own image's caption.
        assert r.instance_rows is not None and r.class_rows is not None  # set by prepare_run
        rows = r.instance_rows[idx]
        if r.prior is not None:
            rows = torch.cat([rows, r.class_rows[class_idx]])
        if self.text is None:
            assert r.conditioning is not None  # cached by prepare_run when the encoder is frozen
            cond = r.conditioning.rows(rows)
        else:
            cond = self.text.encode_ids([ids[rows] for ids in r.token_ids])
        added = None
        if r.base.xl:
            # prepare_run sets both for SDXL bases
            assert r.instance_time_ids is not None and r.class_time_ids is not None
            time_ids = r.instance_time_ids[idx]
            if r.prior is not None:
                time_ids = torch.cat([time_ids, r.class_time_ids.expand(b, -1)])
            added = {"text_embeds": cond.pooled, "time_ids": time_ids}
        pred = self.unet(
            noisy.to(r.base.unet.dtype), timesteps, cond.hidden, added_cond_kwargs=added
        ).sample
        target = diffusion_target(self.noise_scheduler, latents, noise, timesteps)
        loss = dreambooth_loss(
            pred,
            target,
            with_prior=r.prior is not None,
            prior_loss_weight=r.config.prior_loss_weight,
        ).total
        self.acc.backward(loss)
        if self.acc.sync_gradients and r.config.max_grad_norm > 0:
            self.acc.clip_grad_norm_(self.params, r.config.max_grad_norm)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss

    def _quality(self) -> dict[str, Any] | None:
        cfg = self.r.config
        if cfg.validation_samples < 1:
            return None
        embedder = load_embedder(cfg.quality_model, cfg.base_model)
        if embedder is None:
            return {"measured": False, "reason": "no image embedding for this base model"}
        budget = None
        if cfg.validation_budget > 0 and self.timings.get("train_steps"):
            budget = cfg.validation_budget * self.timings["train_steps"]
        with self.timings.measure("quality"):
            return measure_quality(
                self.r, embedder, samples=cfg.validation_samples, budget_seconds=budget
            )

    def run(
        self, started: float, progress, should_stop, should_pause=None, on_checkpoint=None
    ) -> TrainResult:
        cfg, state, acc = self.r.config, self.state, self.acc
        checkpoints = Path(cfg.output_dir) / "checkpoints"
        resumed_from = None
        if cfg.resume and (latest := latest_checkpoint(checkpoints)) is not None:
            acc.load_state(str(latest))
            resumed_from = state.step
        step_ms: list[float] = []
        loop_started = time.perf_counter()
        for _ in range(state.step, cfg.steps):
            t0 = time.perf_counter()
            for _ in range(cfg.grad_accum):
                with acc.accumulate(self.unet):
                    loss = self.micro_step()
            state.step += 1
            state.losses.append(loss.item())
            step_ms.append((time.perf_counter() - t0) * 1000)
            if progress is not None:
                elapsed = time.perf_counter() - loop_started
                eta = elapsed / len(step_ms) * (cfg.steps - state.step)
                progress(TrainProgress(state.step, cfg.steps, state.losses[-1], elapsed, eta))
            checkpoint_due = (
                cfg.checkpoint_every > 0
                and state.step % cfg.checkpoint_every == 0
                and state.step < cfg.steps
            )
            if checkpoint_due:
                with self.timings.measure("checkpoints"):
                    saved = save_checkpoint(
                        acc, checkpoints, state.step, keep=cfg.checkpoints_total_limit
                    )
                    if on_checkpoint is not None:
                        on_checkpoint(saved)
            if should_stop is not None and should_stop():
                raise TrainingCancelled(f"training stopped at step {state.step} of {cfg.steps}")
            if should_pause is not None and state.step < cfg.steps and should_pause():
                if not checkpoint_due:  # else it was written just now
                    with self.timings.measure("checkpoints"):
                        saved = save_checkpoint(
                            acc, checkpoints, state.step, keep=cfg.checkpoints_total_limit
                        )
                        if on_checkpoint is not None:
                            on_checkpoint(saved)
                raise TrainingInterrupted(
                    f"training paused at step {state.step} of {cfg.steps}", step=state.step
                )
        self.timings["train_steps"] = round(time.perf_counter() - loop_started, 4)
        quality = self._quality()
        modules = {name: acc.unwrap_model(m) for name, m in self.r.trained.items()}
        adapter, report = write_outputs(
            self.r,
            modules,
            losses=state.losses,
            step_ms=step_ms,
            timings=self.timings,
            started=started,
            resumed_from=resumed_from,
            device=self.device,
            quality=quality,
        )
        return TrainResult(
            output_dir=Path(cfg.output_dir),
            adapter_path=adapter,
            steps=cfg.steps,
            step_ms_median=statistics.median(step_ms) if step_ms else 0.0,
            losses=list(state.losses),
            class_images=report["class_images"],
            seconds_total=report["seconds_total"],
            timings=dict(self.timings),
            resumed_from=resumed_from,
            report=report,
        )
