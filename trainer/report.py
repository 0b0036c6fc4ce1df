"""What a finished run leaves behind: the adapter file and ``training.json``."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .lora import save_adapter
from .setup import Run, Timings

__all__ = ["write_outputs"]


def write_outputs(
    run: Run,
    modules: dict[str, Any],
    *,
    losses: list[float],
    step_ms: list[float],
    timings: Timings,
    started: float,
    resumed_from: int | None,
    device,
    quality: dict[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    cfg, base = run.config, run.base
    out = Path(cfg.output_dir)
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
        encoders = [modules.get("text_encoder"), modules.get("text_encoder_2")]
        adapter = save_adapter(
            out, unet=modules["unet"], text_encoders=encoders, xl=base.xl, metadata=metadata
        )
    prior = run.prior
    class_images = {
        "count": prior.count if prior else 0,
        "cached": prior.cached if prior else False,
        "generated": prior.generated if prior else 0,
        "seconds": round(prior.seconds, 4) if prior else 0.0,
    }
    report = {
        "steps": cfg.steps,
        "step_ms_median": round(statistics.median(step_ms), 3) if step_ms else 0.0,
        "loss": list(losses),
        "class_images": class_images,
        "seconds_total": round(time.perf_counter() - started, 4),
        "timings": dict(timings),
        "resumed_from": resumed_from,
        "device": str(device),
        "base_fingerprint": base.fingerprint,
        "xl": base.xl,
        "config": cfg.to_dict(),
        "captions": [dataclasses.asdict(c) for c in run.captions],
        "class_captions": dict(Counter(run.class_captions).most_common()),
        "quality": quality,
    }
    if quality and quality.get("measured") and timings.get("train_steps"):
        # What the report costs, against the steps it judges.
        quality["share_of_training"] = round(quality["seconds"] / timings["train_steps"], 3)
    tmp = out / "training.json.tmp"
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, out / "training.json")
    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # the adapter supersedes them
    return adapter, report
