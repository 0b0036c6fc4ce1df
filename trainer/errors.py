"""Errors the trainer raises. Each has a stable ``code`` that the layers above can map.

TrainerError
├── ConfigError        a TrainConfig value or combination is not allowed
├── PhotoError         the instance photos can't be used (unreadable file, too few, too many)
├── BaseModelError     the base model can't be found, loaded, or is of an unsupported kind
├── AdapterError       an adapter file is missing or was trained on another base model
├── TrainingCancelled  the caller's ``should_stop`` asked the loop to stop
├── GenerationCancelled  the caller's ``should_stop`` asked a generation to stop
└── TrainingInterrupted  the caller's ``should_pause`` asked for a pause: a checkpoint of the
                       step reached was written, and ``resume`` continues from it
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdapterError",
    "BaseModelError",
    "ConfigError",
    "GenerationCancelled",
    "PhotoError",
    "TrainerError",
    "TrainingCancelled",
    "TrainingInterrupted",
]


class TrainerError(Exception):
    code = "trainer_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class ConfigError(TrainerError):
    code = "invalid_train_config"


class PhotoError(TrainerError):
    code = "invalid_photos"


class BaseModelError(TrainerError):
    code = "base_model_unavailable"


class AdapterError(TrainerError):
    code = "adapter_invalid"


class TrainingCancelled(TrainerError):
    code = "training_cancelled"


class GenerationCancelled(TrainerError):
    code = "generation_cancelled"


class TrainingInterrupted(TrainerError):
    code = "training_interrupted"

    def __init__(self, message: str, *, step: int = 0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.step = step
        self.details.setdefault("step", step)
