"""The class-prior image cache, shared across runs and users.

Prior preservation needs ~100 images of the bare class ("a photo of a dog") sampled from the base
model itself. They depend only on (base model, class prompt, resolution, sampler settings), so
they are generated once per such key and reused by every later training — the second user who
trains a dog on the same base generates nothing. Image ``i`` of a key is always sampled with seed
``i``, so a cache that is topped up (100 → 200 images) equals one filled in a single go. The
VAE latents of the images are cached beside them, since the VAE is part of the base too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .data import LatentSet, encode_latents, prepare_image
from .models import BaseModel

__all__ = ["BatchHook", "ClassPriorResult", "ClassPriorSpec", "ensure_class_prior"]

_LATENTS = "latents.safetensors"

BatchHook = Callable[[int, int], object]
"""Called with (images sampled, images to sample) before the first batch and after each one.
It may raise to stop the sampling; the images already written stay in the cache."""


@dataclass(frozen=True)
class ClassPriorSpec:
    class_prompt: str
    resolution: int
    sampler_steps: int
    guidance_scale: float
    negative_prompt: str = ""

    def key(self, base_fingerprint: str) -> str:
        payload = json.dumps(
            {
                "base": base_fingerprint,
                "prompt": self.class_prompt,
                "resolution": self.resolution,
                "sampler": "dpmsolver++",
                "steps": self.sampler_steps,
                "guidance": self.guidance_scale,
                "negative": self.negative_prompt,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass
class ClassPriorResult:
    latents: LatentSet
    directory: Path
    count: int
    generated: int
    """Images sampled by this call; 0 is a full cache hit."""
    seconds: float
    original_size: tuple[int, int]

    @property
    def cached(self) -> bool:
        return self.generated == 0

    def image_paths(self) -> list[Path]:
        """The class images in the cache, in the order of ``latents``."""
        return [_image_path(self.directory, i) for i in range(self.count)]


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One process fills a key at a time; the others wait, then find the images there."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _image_path(directory: Path, index: int) -> Path:
    return directory / f"{index:05d}.png"


@torch.no_grad()
def _sample_missing(
    base: BaseModel,
    spec: ClassPriorSpec,
    directory: Path,
    missing: list[int],
    batch_size: int,
    on_batch: BatchHook | None,
) -> None:
    pipe = base.pipeline()
    device = base.unet.device
    for start in range(0, len(missing), batch_size):
        if on_batch is not None:
            on_batch(start, len(missing))
        indices = missing[start : start + batch_size]
        generators = [torch.Generator(device="cpu").manual_seed(i) for i in indices]
        images = pipe(
            [spec.class_prompt] * len(indices),
            negative_prompt=[spec.negative_prompt] * len(indices) if spec.negative_prompt else None,
            num_inference_steps=spec.sampler_steps,
            guidance_scale=spec.guidance_scale,
            height=spec.resolution,
            width=spec.resolution,
            generator=generators,
        ).images
        for index, image in zip(indices, images, strict=True):
            target = _image_path(directory, index)
            tmp = target.with_suffix(f".tmp{os.getpid()}.png")
            image.save(tmp)
            os.replace(tmp, target)
    if on_batch is not None:
        on_batch(len(missing), len(missing))
    del pipe
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _cached_latents(directory: Path, count: int) -> LatentSet | None:
    file = directory / _LATENTS
    if not file.is_file():
        return None
    with safe_open(file, framework="pt") as handle:
        meta = handle.metadata() or {}
    state = load_file(file)
    if state["mean"].shape[0] < count:
        return None
    return LatentSet(
        state["mean"][:count],
        state["std"][:count],
        float(meta["scaling_factor"]),
        float(meta["shift_factor"]),
    )


def _save_latents(directory: Path, latents: LatentSet) -> None:
    tmp = directory / f"{_LATENTS}.tmp{os.getpid()}"
    meta = {
        "scaling_factor": str(latents.scaling_factor),
        "shift_factor": str(latents.shift_factor),
    }
    save_file(latents.state(), tmp, metadata=meta)
    os.replace(tmp, directory / _LATENTS)


def ensure_class_prior(
    base: BaseModel,
    spec: ClassPriorSpec,
    *,
    count: int,
    cache_dir: Path,
    batch_size: int = 4,
    on_batch: BatchHook | None = None,
) -> ClassPriorResult:
    """Return latents for ``count`` class images, sampling and encoding only what is missing.
    ``on_batch`` sees the sampling's progress and may raise to stop it (a cancel, a worker
    shutdown): every finished image is already in the cache, so the next call goes on from
    there."""
    started = time.perf_counter()
    directory = Path(cache_dir) / spec.key(base.fingerprint)
    size = (spec.resolution, spec.resolution)
    with _locked(directory):
        latents = _cached_latents(directory, count)
        if latents is not None:
            return ClassPriorResult(
                latents, directory, count, 0, time.perf_counter() - started, size
            )
        missing = [i for i in range(count) if not _image_path(directory, i).is_file()]
        if missing:
            _sample_missing(base, spec, directory, missing, batch_size, on_batch)
        pixels = []
        for index in range(count):
            with Image.open(_image_path(directory, index)) as image:
                pixels.append(prepare_image(image, spec.resolution)[0])
        latents = encode_latents(base.vae, torch.stack(pixels))
        _save_latents(directory, latents)
        (directory / "prior.json").write_text(
            json.dumps({"base": base.fingerprint, **spec.__dict__, "count": count}, indent=2)
        )
    return ClassPriorResult(
        latents, directory, count, len(missing), time.perf_counter() - started, size
    )
