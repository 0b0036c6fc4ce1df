"""Instance photos: find, validate, orient, crop, and turn into cached VAE latents.

Everything here runs once per training run: after it, the loop only reads tensors that are
already on the device (``LatentSet``), so a training step never touches a file or the VAE.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import PhotoError
from .limits import MAX_PHOTOS, MIN_PHOTOS

__all__ = [
    "IMAGE_SUFFIXES",
    "LatentSet",
    "Photo",
    "encode_latents",
    "find_photos",
    "load_photos",
    "prepare_image",
    "read_caption",
    "to_image",
]

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
MAX_CAPTION_CHARS = 300


@dataclass(frozen=True)
class Photo:
    name: str
    pixels: torch.Tensor
    """(3, R, R) float in [-1, 1]."""
    original_size: tuple[int, int]
    """(height, width) after EXIF orientation, before resizing; SDXL conditions on it."""
    crop_top_left: tuple[int, int]
    caption: str = ""
    """From a caption file beside the photo (``rex-1.txt`` for ``rex-1.jpg``); see captions.py."""


def find_photos(sources: Iterable[str | Path]) -> list[Path]:
    """Expand directories into their image files (sorted, so runs are reproducible)."""
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.iterdir())
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise PhotoError(f"{path}: no such file or directory", code="photo_not_found")
    return files


def prepare_image(
    image: Image.Image, resolution: int
) -> tuple[torch.Tensor, tuple[int, int], tuple[int, int]]:
    """EXIF-orient, convert to RGB, resize the short side to ``resolution``, center-crop.

    Center crop, not diffusers' default random crop: with latents cached once, a random crop
    would be one arbitrary crop for the whole run, and subject photos are usually centered.
    """
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    scale = resolution / min(width, height)
    new_w, new_h = max(resolution, round(width * scale)), max(resolution, round(height * scale))
    image = image.resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - resolution) // 2, (new_h - resolution) // 2
    image = image.crop((left, top, left + resolution, top + resolution))
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    pixels = torch.from_numpy(array).permute(2, 0, 1).contiguous()
    return pixels, (height, width), (top, left)


def load_photos(sources: Sequence[str | Path], *, resolution: int) -> list[Photo]:
    """Load 3–25 instance photos, with an error naming the file for anything unreadable."""
    files = find_photos(sources)
    if len(files) < MIN_PHOTOS:
        raise PhotoError(
            f"Found {len(files)} photo(s); DreamBooth needs at least {MIN_PHOTOS} photos of the "
            "subject. Add more photos and try again.",
            code="too_few_photos",
            details={"count": len(files), "min": MIN_PHOTOS},
        )
    if len(files) > MAX_PHOTOS:
        raise PhotoError(
            f"Found {len(files)} photos; at most {MAX_PHOTOS} are used. Keep the best "
            f"{MAX_PHOTOS} and try again.",
            code="too_many_photos",
            details={"count": len(files), "max": MAX_PHOTOS},
        )
    photos = []
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
                pixels, size, crop = prepare_image(image, resolution)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise PhotoError(
                f"{file.name}: not a readable image ({exc.__class__.__name__}). Remove or "
                "replace this file (JPEG, PNG or WebP).",
                code="photo_unreadable",
                details={"file": file.name},
            ) from exc
        photos.append(Photo(file.name, pixels, size, crop, read_caption(file)))
    return photos


def read_caption(photo: Path) -> str:
    """The caption file beside a photo (same name, ``.txt``), one line; "" when there is none."""
    path = photo.with_suffix(".txt")
    if not path.is_file():
        return ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PhotoError(
            f"{path.name}: the caption file is not readable UTF-8 text ({exc.__class__.__name__}).",
            code="caption_invalid",
            details={"file": path.name},
        ) from exc
    text = " ".join(text.split())
    if len(text) > MAX_CAPTION_CHARS:
        raise PhotoError(
            f"{path.name}: the caption has {len(text)} characters; at most {MAX_CAPTION_CHARS} "
            "(say what the photo shows besides the subject, such as 'on a red sofa').",
            code="caption_invalid",
            details={"file": path.name, "chars": len(text), "max": MAX_CAPTION_CHARS},
        )
    return text


def to_image(pixels: torch.Tensor) -> Image.Image:
    """(3, R, R) pixels in [-1, 1] back to an RGB image."""
    array = ((pixels.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    return Image.fromarray(array)


@dataclass
class LatentSet:
    """VAE posterior of every image, kept so each step can draw a fresh latent sample cheaply."""

    mean: torch.Tensor
    std: torch.Tensor
    scaling_factor: float
    shift_factor: float = 0.0

    def __len__(self) -> int:
        return self.mean.shape[0]

    def sample(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        mean, std = self.mean[index], self.std[index]
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return (mean + std * noise - self.shift_factor) * self.scaling_factor

    def to(self, device: torch.device | str) -> LatentSet:
        return LatentSet(
            self.mean.to(device), self.std.to(device), self.scaling_factor, self.shift_factor
        )

    def state(self) -> dict[str, torch.Tensor]:
        return {"mean": self.mean.contiguous(), "std": self.std.contiguous()}


@torch.no_grad()
def encode_latents(vae, pixels: torch.Tensor, *, batch_size: int = 8) -> LatentSet:
    """Encode (N, 3, R, R) pixels once; mean and std in fp32 whatever the VAE's dtype."""
    device, dtype = vae.device, vae.dtype
    means, stds = [], []
    for start in range(0, pixels.shape[0], batch_size):
        chunk = pixels[start : start + batch_size].to(device=device, dtype=dtype)
        dist = vae.encode(chunk).latent_dist
        means.append(dist.mean.float())
        stds.append(dist.std.float())
    return LatentSet(
        torch.cat(means),
        torch.cat(stds),
        float(vae.config.scaling_factor),
        float(getattr(vae.config, "shift_factor", None) or 0.0),
    )
