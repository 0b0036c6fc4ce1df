"""GPU figures on SD-1.5- and SDXL-sized pipelines with random weights, built here (no download).

    bench/gpu.sh [--out FILE]                  # a GPU machine: both sizes, ~5 minutes on an H100
    .venv/bin/python bench/gpu.py --smoke      # CPU: tiny pipelines, 1-2 steps, every figure

Per size, on the path a warm ``generate,train`` worker takes (``worker/runtime.py``): the
pipeline is written to disk in bf16 (``build_tiny_pipeline(size=...)``: the real component
shapes, random weights, the offline tokenizer) and loaded once by a ``GenerationRuntime``;
training borrows its modules (``as_base_model``).

- ``train_step_ms``: the median step of ``trainer.train`` (the service's settings: batch 1 plus
  1 class image, rank 4, bf16 on a GPU), against ``floor_step_ms``: the UNet forward + backward
  + AdamW on the same LoRA for the same batch (instance + class latents, cached text
  conditioning), nothing else — what the step can't go below. ``ratio`` = train / floor.
- ``flops_per_step``: counted by ``torch.utils.flop_counter.FlopCounterMode`` on one floor step
  (the trainer's step runs the same UNet work); ``tflops`` achieved by each, and the share of
  the card's peak dense bf16 (``PEAK_BF16_TFLOPS``; null where the card is not listed).
- ``peak_vram_gib`` of training (the pipeline loaded, as in the worker) and of generation.
- ``generate_s``: one image at the size's resolution, ``--gen-steps`` denoising steps,
  guidance on (two UNet passes per step), with the trained adapter, median of ``--repeats``.
- ``adapter_ms``: load (an LRU miss: ``load_lora_weights``), hit, ``set_adapters`` (every
  request), unload (``delete_adapters``), medians.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dreamchat.demo import synthetic_photos  # noqa: E402
from trainer import TrainConfig, train  # noqa: E402
from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime  # noqa: E402
from trainer.lora import ADAPTER_FILE, UNET_TARGETS, add_lora, remove_lora  # noqa: E402
from trainer.models import BaseModel  # noqa: E402
from trainer.quiet import quiet_libraries  # noqa: E402
from trainer.tiny import build_tiny_pipeline  # noqa: E402

# Dense (no sparsity) bf16 tensor-core peaks from the vendor's data sheets, by a piece of the
# name torch.cuda.get_device_name() reports; the first match wins.
PEAK_BF16_TFLOPS = (
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),  # "NVIDIA H100 80GB HBM3": the SXM card
    ("A100", 312.0),
    ("L40S", 362.0),
)


@dataclass(frozen=True)
class Size:
    name: str
    model: str  # build_tiny_pipeline's size
    xl: bool
    resolution: int


FULL = (Size("sd15", "sd15", False, 512), Size("sdxl", "sdxl", True, 1024))
SMOKE = (Size("tiny", "tiny", False, 32), Size("tiny-xl", "tiny", True, 32))


def peak_tflops(device_name: str) -> float | None:
    return next((peak for part, peak in PEAK_BF16_TFLOPS if part in device_name), None)


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _timed_ms(call: Callable[[], object]) -> float:
    _sync()
    started = time.perf_counter()
    call()
    _sync()
    return (time.perf_counter() - started) * 1000


def _reset_peak() -> None:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _peak_gib() -> float | None:
    if not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 2)


def _median(values: list[float], digits: int = 2) -> float:
    return round(statistics.median(values), digits)


class FloorStep:
    """The UNet's share of a training step: forward, backward and AdamW on a fresh LoRA, for
    ``batch`` instance and as many class latents, on random tensors of the right shapes."""

    def __init__(self, base: BaseModel, config: TrainConfig):
        unet = base.unet
        self.unet, self.dtype = unet, unet.dtype
        self.params = add_lora(unet, rank=config.rank, alpha=config.alpha, targets=UNET_TARGETS)
        self.optimizer = torch.optim.AdamW(
            self.params, lr=config.lr, weight_decay=config.adam_weight_decay
        )
        device, n = unet.device, 2 * config.batch_size
        latent = config.resolution // 2 ** (len(base.vae.config.block_out_channels) - 1)
        self.noisy = torch.randn(n, unet.config.in_channels, latent, latent, device=device)
        self.target = torch.randn_like(self.noisy)
        self.timesteps = torch.randint(0, 1000, (n,), device=device)
        width = unet.config.cross_attention_dim
        self.hidden = torch.randn(n, 77, width, device=device, dtype=self.dtype)
        self.added = None
        if base.xl:
            pooled = unet.config.projection_class_embeddings_input_dim - 6 * (
                unet.config.addition_time_embed_dim
            )
            self.added = {
                "text_embeds": torch.randn(n, pooled, device=device, dtype=self.dtype),
                "time_ids": torch.tensor(
                    [[config.resolution] * 2 + [0, 0] + [config.resolution] * 2] * n,
                    device=device,
                    dtype=self.dtype,
                ),
            }

    def __call__(self) -> None:
        device_type = self.unet.device.type
        with torch.autocast(device_type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            pred = self.unet(
                self.noisy.to(self.dtype),
                self.timesteps,
                self.hidden,
                added_cond_kwargs=self.added,
            ).sample
        F.mse_loss(pred.float(), self.target).backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def flops(self) -> int:
        from torch.utils.flop_counter import FlopCounterMode

        with FlopCounterMode(display=False) as counter:
            self()
        return int(counter.get_total_flops())

    def close(self) -> None:
        remove_lora(self.unet)


def floor_figures(base: BaseModel, config: TrainConfig, *, steps: int, warmup: int) -> dict:
    floor = FloorStep(base, config)
    try:
        for _ in range(warmup):
            floor()
        _reset_peak()
        times = [_timed_ms(floor) for _ in range(steps)]
        peak = _peak_gib()
        flops = floor.flops()
    finally:
        floor.close()
    return {"step_ms": _median(times), "flops": flops, "peak_vram_gib": peak}


def adapter_figures(runtime: GenerationRuntime, adapter: Path, work: Path, repeats: int) -> dict:
    """Load, hit, set and unload, on two adapters (the same weights under two names and
    files, so each load really reads and attaches a file)."""
    twin = work / "adapter-twin"
    twin.mkdir(exist_ok=True)
    shutil.copy(adapter / ADAPTER_FILE, twin / ADAPTER_FILE)
    refs = [AdapterRef("bench_a", str(adapter)), AdapterRef("bench_b", str(twin))]
    pipe = runtime.pipe
    assert pipe is not None  # the runtime was set up by the caller
    load, hit, switch, unload = [], [], [], []
    runtime.clear_adapters()
    for _ in range(repeats):
        for ref in refs:
            load.append(_timed_ms(lambda ref=ref: runtime.ensure_adapter(ref)))
            hit.append(_timed_ms(lambda ref=ref: runtime.ensure_adapter(ref)))
        for ref in refs:  # what every request does before its first step
            switch.append(_timed_ms(lambda ref=ref: pipe.set_adapters([ref.name], [1.0])))
        unload.append(_timed_ms(runtime.clear_adapters) / len(refs))  # delete_adapters each
    return {
        "load_ms": _median(load),
        "hit_ms": _median(hit, 4),
        "set_adapters_ms": _median(switch),
        "unload_ms": _median(unload),
        "repeats": repeats,
    }


def measure_size(size: Size, args: argparse.Namespace, work: Path) -> dict:
    cuda = torch.cuda.is_available()
    figures: dict = {"resolution": size.resolution}
    started = time.perf_counter()
    model = build_tiny_pipeline(
        work / size.name,
        xl=size.xl,
        size=size.model,
        dtype=torch.bfloat16 if cuda else torch.float32,
        device="cuda" if cuda else "cpu",
    )
    figures["build_s"] = round(time.perf_counter() - started, 1)

    runtime = GenerationRuntime(model, max_adapters=2)
    started = time.perf_counter()
    runtime.setup()
    _sync()
    figures["load_s"] = round(time.perf_counter() - started, 1)
    figures["unet_params_m"] = round(sum(p.numel() for p in runtime.pipe.unet.parameters()) / 1e6)
    base = runtime.as_base_model()
    photos = work / f"{size.name}-photos"
    synthetic_photos(photos, count=4, size=max(96, size.resolution))
    config = TrainConfig(
        base_model=str(model),
        photos=(str(photos),),
        token="sks",
        class_noun="dog",
        output_dir=str(work / f"{size.name}-adapter"),
        steps=args.train_steps,
        resolution=size.resolution,
        batch_size=1,  # DREAMCHAT_TRAIN_BATCH_SIZE's default
        num_class_images=2,
        class_sampler_steps=2,
        class_batch_size=2,
        class_cache_dir=str(work / "class-cache"),
        mixed_precision="bf16" if runtime.dtype == torch.bfloat16 else "no",
        validation_samples=0,
    )

    floor = floor_figures(base, config, steps=args.floor_steps, warmup=args.warmup)
    _reset_peak()
    result = train(config, base=base)
    train_peak = _peak_gib()
    figures["train_step_ms"] = round(result.step_ms_median, 2)
    figures["floor_step_ms"] = floor["step_ms"]
    figures["ratio"] = round(result.step_ms_median / floor["step_ms"], 3)
    figures["train_steps"] = result.steps
    figures["train_timings_s"] = result.timings
    figures["flops_per_step"] = floor["flops"]
    peak = peak_tflops(torch.cuda.get_device_name()) if cuda else None
    for name, ms in (("train", result.step_ms_median), ("floor", floor["step_ms"])):
        achieved = floor["flops"] / (ms / 1000) / 1e12
        figures[f"{name}_tflops"] = float(f"{achieved:.3g}")
        figures[f"{name}_peak_share"] = round(achieved / peak, 3) if peak else None
    figures["peak_vram_gib"] = {"train": train_peak, "floor": floor["peak_vram_gib"]}

    adapter = AdapterRef("bench_trained", str(result.output_dir))
    request = GenerationRequest(
        "a photo of sks dog on the beach",
        adapters=(adapter,),
        steps=args.gen_steps,
        width=size.resolution,
        height=size.resolution,
    )
    runtime.generate(request)  # warm-up: first-call costs, the adapter loaded
    _reset_peak()
    latencies = [_timed_ms(lambda: runtime.generate(request)) / 1000 for _ in range(args.repeats)]
    figures["generate_s"] = _median(latencies, 3)
    figures["generate_steps"] = args.gen_steps
    figures["peak_vram_gib"]["generate"] = _peak_gib()
    figures["adapter_ms"] = adapter_figures(
        runtime, Path(result.output_dir), work, repeats=args.repeats
    )
    shutil.rmtree(model, ignore_errors=True)  # an SDXL-sized one is 7 GB
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny pipelines, 1-2 steps (CPU)")
    parser.add_argument("--sizes", help="comma list (default: sd15,sdxl; tiny,tiny-xl smoke)")
    parser.add_argument("--train-steps", type=int, help="default 30 (smoke 2)")
    parser.add_argument("--floor-steps", type=int, help="default 20 (smoke 1)")
    parser.add_argument("--warmup", type=int, help="floor steps left out; default 3 (smoke 1)")
    parser.add_argument("--gen-steps", type=int, help="denoising steps; default 20 (smoke 1)")
    parser.add_argument("--repeats", type=int, help="default 3 (smoke 1)")
    parser.add_argument("--budget-s", type=float, default=420, help="start no size after this")
    parser.add_argument("--out", type=Path, help="write the figures here (JSON)")
    parser.add_argument("--work", type=Path, help="pipelines and adapters (default: temp dir)")
    args = parser.parse_args()
    defaults = {
        "train_steps": (30, 2),
        "floor_steps": (20, 1),
        "warmup": (3, 1),
        "gen_steps": (20, 1),
        "repeats": (3, 1),
    }
    for name, (full, smoke) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    known = {size.name: size for size in (*FULL, *SMOKE)}
    chosen = (
        args.sizes.split(",") if args.sizes else [s.name for s in (SMOKE if args.smoke else FULL)]
    )
    if unknown := [name for name in chosen if name not in known]:
        parser.error(f"unknown sizes {unknown}; choose from {sorted(known)}")

    quiet_libraries()
    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if cuda else "cpu"
    figures: dict = {
        "device": device,
        "cuda": cuda,
        "torch": torch.__version__,
        "peak_bf16_tflops": peak_tflops(device) if cuda else None,
        "smoke": args.smoke,
        "settings": {name: getattr(args, name) for name in defaults},
        "sizes": {},
    }
    work = args.work or Path(tempfile.mkdtemp(prefix="dreamchat-bench-gpu-"))
    began = time.perf_counter()
    try:
        for name in chosen:
            if time.perf_counter() - began > args.budget_s:
                figures["sizes"][name] = {"skipped": f"--budget-s {args.budget_s:.0f} spent"}
                continue
            figures["sizes"][name] = measure_size(known[name], args, work)
            gc.collect()  # the size's pipeline, before the next one loads
            if cuda:
                torch.cuda.empty_cache()
            if args.out:  # after each size: a timeout later still leaves these
                args.out.write_text(json.dumps(figures, indent=2))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    figures["seconds"] = round(time.perf_counter() - began, 1)
    print(table(figures))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
        print(f"figures: {args.out}")


def table(figures: dict) -> str:
    rows = [
        ("train step ms", lambda f: f["train_step_ms"]),
        ("floor step ms", lambda f: f["floor_step_ms"]),
        ("train / floor", lambda f: f["ratio"]),
        ("TFLOPS train", lambda f: f["train_tflops"]),
        ("peak share train", lambda f: f["train_peak_share"]),
        ("peak VRAM train GiB", lambda f: f["peak_vram_gib"]["train"]),
        ("peak VRAM gen GiB", lambda f: f["peak_vram_gib"]["generate"]),
        ("generate s", lambda f: f["generate_s"]),
        ("adapter load ms", lambda f: f["adapter_ms"]["load_ms"]),
        ("set_adapters ms", lambda f: f["adapter_ms"]["set_adapters_ms"]),
        ("adapter unload ms", lambda f: f["adapter_ms"]["unload_ms"]),
    ]
    sizes = {name: f for name, f in figures["sizes"].items() if "skipped" not in f}
    head = ["", *(f"{name} {f['resolution']}px" for name, f in sizes.items())]
    lines = [head, *([label, *(str(get(f)) for f in sizes.values())] for label, get in rows)]
    width = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = [f"device: {figures['device']}  torch {figures['torch']}  smoke: {figures['smoke']}"]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(line, width, strict=True)) for line in lines]
    out += [f"{name}: {f['skipped']}" for name, f in figures["sizes"].items() if "skipped" in f]
    return "\n".join(out)


if __name__ == "__main__":
    main()
