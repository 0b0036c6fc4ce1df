"""The warm model state of one worker process (cog's ``setup()``): loaded once, lent to jobs.

A worker that serves ``generate`` and ``train`` keeps one pipeline in memory. Generation jobs
use it with an LRU of adapters; training jobs borrow the same modules as a ``BaseModel``
(training attaches its LoRA and removes it again), so a GPU holds one copy of the base model.
"""

from __future__ import annotations

import torch

from core.settings import Settings
from trainer import BaseModel, BaseModelError
from trainer.generate import GenerationRuntime

__all__ = ["WorkerRuntime"]


class WorkerRuntime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.generation = GenerationRuntime(
            settings.resolved_base_model, max_adapters=settings.max_loaded_adapters
        )

    def setup(self) -> None:
        """Load the base pipeline."""
        if self.settings.base_model is None:
            target = self.settings.default_base_model_dir
            if not (target / "model_index.json").is_file():
                raise BaseModelError(
                    f"The default base model is missing from {target} (it comes with the "
                    "source tree). Set DREAMCHAT_BASE_MODEL to a diffusers pipeline directory "
                    "or hub id, or rebuild it with `dreamchat toyworld build`.",
                    details={"path": str(target)},
                )
        self.generation.setup()

    @property
    def mixed_precision(self) -> str:
        dtype = self.generation.dtype
        return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "no")

    def base_for_training(self) -> BaseModel:
        self.setup()
        return self.generation.as_base_model()

    def after_training(self) -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
