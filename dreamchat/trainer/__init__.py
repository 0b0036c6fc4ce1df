"""LoRA DreamBooth training and generation: a plain library, no Redis, no web server."""

from .config import MAX_PHOTOS, MIN_PHOTOS, TrainConfig
from .errors import (
    AdapterError,
    BaseModelError,
    ConfigError,
    PhotoError,
    TrainerError,
    TrainingCancelled,
)
from .loop import TrainProgress, TrainResult, train
from .lora import ADAPTER_FILE, read_adapter_metadata
from .models import BaseModel, fingerprint, load_base_model, resolve_base_model
from .tiny import build_tiny_pipeline

__all__ = [
    "ADAPTER_FILE",
    "MAX_PHOTOS",
    "MIN_PHOTOS",
    "AdapterError",
    "BaseModel",
    "BaseModelError",
    "ConfigError",
    "PhotoError",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "TrainerError",
    "TrainingCancelled",
    "build_tiny_pipeline",
    "fingerprint",
    "load_base_model",
    "read_adapter_metadata",
    "resolve_base_model",
    "train",
]
