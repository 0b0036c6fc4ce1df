"""Resumable checkpoints as accelerate states that hold only what a LoRA run needs.

accelerate saves the optimizer, LR scheduler and RNG states, plus every object registered for
checkpointing (our ``CheckpointState``: step, losses so far, the data generator). Its pre-hooks
let us replace "the whole model" with just the LoRA tensors — kilobytes to megabytes instead of
gigabytes. A checkpoint is written to a temporary folder and renamed into place, so a worker
killed mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from .lora import load_lora_state, lora_state

__all__ = [
    "CheckpointState",
    "checkpoint_step",
    "latest_checkpoint",
    "save_checkpoint",
    "use_lora_checkpoints",
]

_NAME = re.compile(r"^step-(\d+)$")


class CheckpointState:
    """Loop state accelerate saves and restores with the rest (``register_for_checkpointing``)."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator
        self.step = 0
        self.losses: list[float] = []

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "losses": list(self.losses),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.losses = [float(x) for x in state["losses"]]
        self.generator.set_state(state["generator"])


def use_lora_checkpoints(accelerator, trained: dict[str, Any], *, unwrap) -> None:
    """Make ``save_state``/``load_state`` store the LoRA weights of ``trained`` modules only."""
    names = list(trained)

    def save_hook(models, weights, output_dir):
        for name in names:
            save_file(
                lora_state(unwrap(trained[name])),
                os.path.join(output_dir, f"{name}_lora.safetensors"),
            )
        weights.clear()  # nothing else of the models goes to disk

    def load_hook(models, input_dir):
        for name in names:
            load_lora_state(
                unwrap(trained[name]),
                load_file(os.path.join(input_dir, f"{name}_lora.safetensors")),
            )
        models.clear()

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)


def _checkpoints(root: Path) -> list[tuple[int, Path]]:
    if not root.is_dir():
        return []
    found = [
        (int(m.group(1)), p) for p in root.iterdir() if (m := _NAME.match(p.name)) and p.is_dir()
    ]
    return sorted(found)


def checkpoint_step(path: str | Path) -> int | None:
    """The step a checkpoint directory holds, by its name; None for anything else."""
    match = _NAME.match(Path(path).name)
    return int(match.group(1)) if match else None


def latest_checkpoint(root: Path) -> Path | None:
    found = _checkpoints(root)
    return found[-1][1] if found else None


def save_checkpoint(accelerator, root: Path, step: int, *, keep: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:06d}"
    staging = root / f".tmp-step-{step:06d}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    accelerator.save_state(str(staging))
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    for _, old in _checkpoints(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final
