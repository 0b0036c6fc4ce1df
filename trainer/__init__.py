"""LoRA DreamBooth training and generation: a plain library, no Redis, no web server.

Names are imported on first use, so ``import trainer.config`` (or the CLI's argument
parsing) does not pay for torch and diffusers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "MAX_PHOTOS": "config",
    "MIN_PHOTOS": "config",
    "TrainConfig": "config",
    "AdapterError": "errors",
    "BaseModelError": "errors",
    "ConfigError": "errors",
    "GenerationCancelled": "errors",
    "PhotoError": "errors",
    "TrainerError": "errors",
    "TrainingCancelled": "errors",
    "TrainingInterrupted": "errors",
    "TrainProgress": "loop",
    "TrainResult": "loop",
    "train": "loop",
    "ADAPTER_FILE": "lora",
    "read_adapter_metadata": "lora",
    "BaseModel": "models",
    "fingerprint": "models",
    "load_base_model": "models",
    "resolve_base_model": "models",
    "build_tiny_pipeline": "tiny",
}

__all__ = [
    "ADAPTER_FILE",
    "MAX_PHOTOS",
    "MIN_PHOTOS",
    "AdapterError",
    "BaseModel",
    "BaseModelError",
    "ConfigError",
    "GenerationCancelled",
    "PhotoError",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "TrainerError",
    "TrainingCancelled",
    "TrainingInterrupted",
    "build_tiny_pipeline",
    "fingerprint",
    "load_base_model",
    "read_adapter_metadata",
    "resolve_base_model",
    "train",
]
assert set(__all__) == set(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .config import MAX_PHOTOS, MIN_PHOTOS, TrainConfig
    from .errors import (
        AdapterError,
        BaseModelError,
        ConfigError,
        GenerationCancelled,
        PhotoError,
        TrainerError,
        TrainingCancelled,
        TrainingInterrupted,
    )
    from .loop import TrainProgress, TrainResult, train
    from .lora import ADAPTER_FILE, read_adapter_metadata
    from .models import BaseModel, fingerprint, load_base_model, resolve_base_model
    from .tiny import build_tiny_pipeline
