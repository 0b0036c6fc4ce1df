"""Generation with per-user adapters on a pipeline that is loaded once.

``GenerationRuntime`` is what a warm worker keeps: the base pipeline in memory and an LRU of
LoRA adapters loaded into it under their own names (diffusers' ``adapter_name`` /
``set_adapters`` / ``delete_adapters`` lifecycle). A request names the adapters it wants and
their weights; the ones already loaded cost nothing, the least recently used is evicted when
the LRU is full.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from .errors import AdapterError, ConfigError, GenerationCancelled
from .limits import MAX_GENERATION_STEPS, MAX_IMAGES_PER_REQUEST, MAX_SIDE, MIN_SIDE, SIDE_MULTIPLE
from .lora import ADAPTER_FILE, read_adapter_metadata
from .models import BaseModel, fingerprint, resolve_base_model

__all__ = ["AdapterRef", "GenerationRequest", "GenerationRuntime"]

_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class AdapterRef:
    name: str
    """Stable, unique per adapter (e.g. the subject id); reused as the diffusers adapter name."""
    path: str
    """A directory holding pytorch_lora_weights.safetensors, or the file itself."""
    weight: float = 1.0


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    adapters: tuple[AdapterRef, ...] = ()
    negative_prompt: str = ""
    count: int = 1
    width: int | None = None
    height: int | None = None
    steps: int = 25
    guidance_scale: float = 7.5
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not self.prompt.strip():
            problems.append("prompt is empty")
        if not 1 <= self.count <= MAX_IMAGES_PER_REQUEST:
            problems.append(f"count must be 1..{MAX_IMAGES_PER_REQUEST} (got {self.count})")
        if not 1 <= self.steps <= MAX_GENERATION_STEPS:
            problems.append(f"steps must be 1..{MAX_GENERATION_STEPS} (got {self.steps})")
        for side in (self.width, self.height):
            if side is not None and (not MIN_SIDE <= side <= MAX_SIDE or side % SIDE_MULTIPLE):
                problems.append(
                    f"width and height must be multiples of {SIDE_MULTIPLE} from {MIN_SIDE} "
                    f"to {MAX_SIDE} (got {side})"
                )
        if problems:
            raise ConfigError(
                "; ".join(problems), code="invalid_generation", details={"problems": problems}
            )


def _adapter_name(name: str) -> str:
    # peft module names can't hold dots or slashes
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class GenerationRuntime:
    """A base pipeline loaded once (cog's ``setup()``), serving many requests."""

    def __init__(
        self,
        base_model: str | Path,
        *,
        device: str | None = None,
        dtype: str = "auto",
        max_adapters: int = 8,
    ):
        self.base_model = str(base_model)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if dtype == "auto":  # bf16 trains and decodes without fp16's overflows
            dtype = "bf16" if self.device.type == "cuda" else "fp32"
        self.dtype = _DTYPES[dtype]
        self.max_adapters = max_adapters
        self.pipe: Any | None = None  # a DiffusionPipeline subclass once setup() ran
        self.fingerprint: str | None = None
        self._loaded: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = {"adapter_hits": 0, "adapter_misses": 0, "evictions": 0}

    def setup(self) -> None:
        from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler

        if self.pipe is not None:
            return
        path = resolve_base_model(self.base_model)
        pipe = DiffusionPipeline.from_pretrained(path, dtype=self.dtype, safety_checker=None)
        self.train_scheduler_config = dict(pipe.scheduler.config)
        pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)
        self.pipe = pipe.to(self.device)
        self.path = path
        self.fingerprint = fingerprint(path)

    def as_base_model(self) -> BaseModel:
        """The loaded pipeline's modules as a ``BaseModel`` to train on, without a second copy
        in memory. Loaded adapters are dropped first: training attaches its own LoRA and
        removes every LoRA layer when it is done."""
        self.setup()
        self.clear_adapters()
        pipe = self.pipe
        assert pipe is not None and self.fingerprint is not None  # setup() set both
        xl = hasattr(pipe, "text_encoder_2")
        return BaseModel(
            path=self.path,
            fingerprint=self.fingerprint,
            xl=xl,
            unet=pipe.unet,
            vae=pipe.vae,
            tokenizers=[pipe.tokenizer, pipe.tokenizer_2] if xl else [pipe.tokenizer],
            text_encoders=[pipe.text_encoder, pipe.text_encoder_2] if xl else [pipe.text_encoder],
            scheduler_config=self.train_scheduler_config,
        )

    @property
    def loaded_adapters(self) -> list[str]:
        return list(self._loaded)

    def ensure_adapter(self, ref: AdapterRef) -> bool:
        """Load ``ref`` unless it is loaded; True on a cache hit. Evicts the LRU adapter if full."""
        self.setup()
        name = _adapter_name(ref.name)
        path = Path(ref.path)
        directory = path if path.is_dir() else path.parent
        weight_name = ADAPTER_FILE if path.is_dir() else path.name
        key = str(directory / weight_name)
        if self._loaded.get(name) == key:
            self._loaded.move_to_end(name)
            self.stats["adapter_hits"] += 1
            return True
        if name in self._loaded:  # same name, new file (retrained): reload
            self._evict(name)
        meta = read_adapter_metadata(directory / weight_name)
        base = meta.get("base_fingerprint")
        if base and base != self.fingerprint:
            raise AdapterError(
                f"adapter {ref.name!r} was trained on another base model ({base}, this runtime "
                f"serves {self.fingerprint}); retrain it on this base model",
                code="adapter_base_mismatch",
            )
        while len(self._loaded) >= self.max_adapters:
            self._evict(next(iter(self._loaded)))
        assert self.pipe is not None  # setup() above loaded it
        self.pipe.load_lora_weights(str(directory), weight_name=weight_name, adapter_name=name)
        self._loaded[name] = key
        self.stats["adapter_misses"] += 1
        return False

    def _evict(self, name: str) -> None:
        assert self.pipe is not None  # adapters are only loaded into a set-up pipeline
        self.pipe.delete_adapters(name)
        del self._loaded[name]
        self.stats["evictions"] += 1

    def clear_adapters(self) -> None:
        for name in list(self._loaded):
            self._evict(name)

    @torch.inference_mode()
    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[Image.Image]:
        """The request's images. ``progress(step, total)`` and ``should_stop()`` are called
        after every denoising step (diffusers' ``callback_on_step_end``), ``should_stop`` also
        once before the first; when it answers True the run ends there with
        ``GenerationCancelled`` instead of finishing the steps and decoding a half-made image."""
        stop = should_stop or (lambda: False)

        def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict) -> dict:
            if progress is not None:
                progress(step + 1, request.steps)
            if stop():
                raise GenerationCancelled(
                    f"generation stopped after step {step + 1} of {request.steps}",
                    details={"step": step + 1, "total": request.steps},
                )
            return tensors

        with self._lock:
            self.setup()
            for ref in request.adapters:
                self.ensure_adapter(ref)
            pipe = self.pipe
            assert pipe is not None  # setup() above loaded it
            if request.adapters:
                pipe.enable_lora()
                pipe.set_adapters(
                    [_adapter_name(a.name) for a in request.adapters],
                    adapter_weights=[a.weight for a in request.adapters],
                )
            elif self._loaded:
                pipe.disable_lora()
            generators = [
                torch.Generator(device="cpu").manual_seed(request.seed + i)
                for i in range(request.count)
            ]
            if stop():  # loading adapters can take a while
                raise GenerationCancelled(
                    "generation stopped before its first step", details={"step": 0}
                )
            started = time.perf_counter()
            images = pipe(
                [request.prompt] * request.count,
                negative_prompt=[request.negative_prompt] * request.count
                if request.negative_prompt
                else None,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance_scale,
                width=request.width,
                height=request.height,
                generator=generators,
                callback_on_step_end=on_step_end,
            ).images
            self.last_seconds = time.perf_counter() - started
            return images
