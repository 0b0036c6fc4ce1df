"""Photo uploads: what a photo must be to be stored, and what we tell the person about it.

A photo goes through these checks in order; the first *rejection* stops it and nothing is
stored, while *warnings* store it and report ``ok: false`` for that check:

| code        | rejects (status, error code)                    | or warns                    |
|-------------|-------------------------------------------------|-----------------------------|
| file_type   | 415 ``unsupported_photo_type``, 422 ``empty_file`` |                           |
| pixels      | 422 ``photo_too_many_pixels`` (before decoding) |                             |
| decodes     | 422 ``photo_unreadable`` (truncated, corrupt)   |                             |
| size        | 422 ``photo_too_small``                         |                             |
| sharpness   |                                                 | blurry (variance of Laplacian) |
| duplicate   | 409 ``duplicate_photo`` (perceptual hash)       |                             |
| face        |                                                 | no face found (``person``)  |

The type comes from the bytes, never the file name. The photo is decoded in full (a truncated
file fails here, not in the middle of a training), turned upright by its EXIF orientation, and
re-encoded as JPEG without any metadata, so EXIF, GPS, XMP and comments never reach storage.
Blur and face detection are heuristics, which is why they only warn.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from PIL import Image, ImageOps

from core.blob_keys import upload_key
from core.domain import Scope, Subject
from core.errors import Conflict, DreamchatError, InvalidInput
from core.ids import UPLOAD, new_id
from core.subjects import get_subject
from worker.context import Context

from .errors import UnsupportedMediaType

__all__ = [
    "PERSON_NOUNS",
    "Check",
    "FaceDetector",
    "PhotoLimits",
    "StoredUpload",
    "accept_upload",
    "haar_face_detector",
    "perceptual_hash",
    "sharpness",
    "sniff_format",
]

log = logging.getLogger(__name__)

PERSON_NOUNS = frozenset({"person", "man", "woman", "boy", "girl", "child", "kid", "baby"})
"""Class nouns whose photos should show a face."""
STORED_MAX_SIDE = 2048
"""Larger photos are scaled down before storage: training runs at 1024 pixels at most."""
BLUR_THRESHOLD = 60.0
"""Variance of the Laplacian (on a 512-pixel grayscale copy) below which a photo looks blurry."""
DUPLICATE_DISTANCE = 6
"""Perceptual hashes this close (differing bits out of 63) are the same picture, re-encoded,
resized or lightly edited."""

_DECODE_SLOTS = threading.BoundedSemaphore(4)
"""Photos checked at once per process: a 40-megapixel photo needs ~250 MB while it is checked,
so more uploads wait rather than exhaust memory."""

FaceDetector = Callable[[np.ndarray], int]
"""Number of faces in a grayscale image."""


@dataclass(frozen=True)
class PhotoLimits:
    max_pixels: int = 40_000_000
    min_side: int = 256


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "ok": self.ok, "message": self.message}


@dataclass
class StoredUpload:
    upload_id: str
    width: int
    height: int
    checks: list[Check] = field(default_factory=list)


_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


def sniff_format(data: bytes) -> str | None:
    """JPEG, PNG or WEBP by magic bytes; None for anything else."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _reject(
    error: type[DreamchatError], code: str, message: str, checks: list[Check], **details: object
) -> DreamchatError:
    return error(message, code=code, details={**details, "checks": [c.to_dict() for c in checks]})


def _decode(data: bytes, fmt: str, limits: PhotoLimits, checks: list[Check]) -> Image.Image:
    """Fully decoded, upright, RGB, without metadata; the pixel count checked before decoding."""
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        width = height = None
    except Exception:
        checks.append(Check("decodes", False, "The file is not a readable photo."))
        raise _reject(
            InvalidInput, "photo_unreadable", "The photo can't be read; send it again.", checks
        ) from None
    else:
        width, height = image.size
    if width is None or height is None or width * height > limits.max_pixels:
        megapixels = limits.max_pixels / 1e6
        checks.append(Check("pixels", False, f"More than {megapixels:g} megapixels."))
        raise _reject(
            InvalidInput,
            "photo_too_many_pixels",
            f"The photo has more than {megapixels:g} megapixels; send a smaller version.",
            checks,
            max_pixels=limits.max_pixels,
        )
    checks.append(Check("pixels", True, f"{width}×{height} pixels."))
    try:
        with image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
    except Exception as exc:
        log.info("undecodable %s upload: %s", fmt, exc)
        checks.append(Check("decodes", False, "The photo is truncated or corrupt."))
        raise _reject(
            InvalidInput,
            "photo_unreadable",
            "The photo is truncated or corrupt; send the original file again.",
            checks,
        ) from None
    rgb.info.clear()  # what is left of EXIF, XMP, comments: none of it is stored
    checks.append(Check("decodes", True, "The photo decodes."))
    return rgb


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _grayscale(image: Image.Image, side: int) -> np.ndarray:
    gray = image.convert("L")
    gray.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.uint8)


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian at a fixed working size, so scores compare across sizes."""
    import cv2

    return float(cv2.Laplacian(_grayscale(image, 512), cv2.CV_64F).var())


_DCT_N = 32
_k = np.arange(_DCT_N)
_DCT = np.sqrt(2 / _DCT_N) * np.cos(np.pi * (2 * _k[None, :] + 1) * _k[:, None] / (2 * _DCT_N))
_DCT[0] /= np.sqrt(2)


def perceptual_hash(image: Image.Image) -> int:
    """pHash: the signs of the 63 lowest DCT frequencies (without the mean) against their
    median. It survives re-encoding and resizing, unlike a byte hash."""
    small = image.convert("L").resize((_DCT_N, _DCT_N), Image.Resampling.LANCZOS)
    coefficients = _DCT @ np.asarray(small, dtype=np.float64) @ _DCT.T
    low = coefficients[:8, :8].flatten()[1:]
    bits = low > np.median(low)
    return int("".join("1" if bit else "0" for bit in bits), 2)


_cascades = threading.local()  # OpenCV's cascade classifier is not safe to share across threads


def haar_face_detector(gray: np.ndarray) -> int:
    """OpenCV's frontal-face Haar cascade, which ships inside ``opencv-python-headless``."""
    import cv2
    import cv2.data

    cascade = getattr(_cascades, "face", None)
    if cascade is None:
        path = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
        cascade = _cascades.face = cv2.CascadeClassifier(path)
    side = min(gray.shape[:2])
    faces = cascade.detectMultiScale(
        cv2.equalizeHist(gray),
        scaleFactor=1.1,
        minNeighbors=5,
        minSize=(max(24, side // 10), max(24, side // 10)),
    )
    return len(faces)


def _attached_hashes(ctx: Context, subject: Subject) -> dict[str, int]:
    hashes = {}
    for key in subject.photos:
        try:
            with ctx.blobs.open(key) as f, Image.open(f) as photo:
                photo.draft("L", (64, 64))  # JPEG decodes at 1/8 scale: fast
                hashes[PurePosixPath(key).stem] = perceptual_hash(photo)
        except Exception:  # a photo we stored ourselves; if it went bad, don't block uploads
            log.warning("can't hash photo %s of subject %s", key, subject.id, exc_info=True)
    return hashes


def _encode(image: Image.Image) -> bytes:
    """JPEG at high quality whatever came in: training can't tell, storage is a fraction of
    PNG's, and hashing stored photos can decode them at 1/8 scale."""
    if max(image.size) > STORED_MAX_SIDE:
        image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def accept_upload(
    ctx: Context,
    *,
    scope: Scope,
    data: bytes,
    subject_id: str | None = None,
    limits: PhotoLimits | None = None,
    detect_faces: FaceDetector = haar_face_detector,
) -> StoredUpload:
    """Check one photo and store it as an upload of ``scope``; with ``subject_id``, also check
    it against that subject (duplicates, a face for people). Raises with the checks so far in
    ``details["checks"]`` when the photo is rejected; stores nothing then."""
    limits = limits or PhotoLimits()
    subject = get_subject(ctx.store, scope=scope, subject_id=subject_id) if subject_id else None
    with _DECODE_SLOTS:
        return _check_and_store(ctx, scope, data, subject, limits, detect_faces)


def _check_and_store(
    ctx: Context,
    scope: Scope,
    data: bytes,
    subject: Subject | None,
    limits: PhotoLimits,
    detect_faces: FaceDetector,
) -> StoredUpload:
    checks: list[Check] = []
    if not data:
        checks.append(Check("file_type", False, "The file is empty."))
        raise _reject(InvalidInput, "empty_file", "The file is empty; choose a photo.", checks)
    fmt = sniff_format(data)
    if fmt is None:
        checks.append(Check("file_type", False, "Not a JPEG, PNG or WebP photo."))
        raise _reject(
            UnsupportedMediaType,
            "unsupported_photo_type",
            "Photos must be JPEG, PNG or WebP files; this file is something else.",
            checks,
        )
    checks.append(Check("file_type", True, f"A {fmt} photo."))
    image = _decode(data, fmt, limits, checks)
    width, height = image.size
    if min(width, height) < limits.min_side:
        checks.append(Check("size", False, f"{width}×{height} pixels is too small."))
        raise _reject(
            InvalidInput,
            "photo_too_small",
            f"The photo is {width}×{height} pixels; send one at least {limits.min_side} pixels "
            "on its shorter side.",
            checks,
            min_side=limits.min_side,
        )
    checks.append(Check("size", True, f"{width}×{height} pixels is large enough."))
    sharp = sharpness(image) >= BLUR_THRESHOLD
    checks.append(
        Check("sharpness", True, "The photo looks sharp.")
        if sharp
        else Check("sharpness", False, "The photo looks blurry; a sharper one trains better.")
    )
    if subject is not None:
        _check_subject(ctx, subject, image, checks, detect_faces)
    payload = _encode(image)
    upload_id = new_id(UPLOAD)
    ctx.blobs.put(upload_key(scope, upload_id, ".jpg"), payload)
    return StoredUpload(upload_id, image.width, image.height, checks)


def _check_subject(
    ctx: Context,
    subject: Subject,
    image: Image.Image,
    checks: list[Check],
    detect_faces: FaceDetector,
) -> None:
    mine = perceptual_hash(image)
    for photo_id, theirs in _attached_hashes(ctx, subject).items():
        if (mine ^ theirs).bit_count() <= DUPLICATE_DISTANCE:
            checks.append(Check("duplicate", False, f"The same picture as photo {photo_id}."))
            raise _reject(
                Conflict,
                "duplicate_photo",
                f"{subject.name!r} already has this picture; choose a different photo.",
                checks,
                duplicate_of=photo_id,
                subject_id=subject.id,
            )
    checks.append(Check("duplicate", True, f"Not a copy of another photo of {subject.name!r}."))
    if subject.class_noun.split()[-1] in PERSON_NOUNS:  # "young woman" too
        if detect_faces(_grayscale(image, 640)) > 0:
            checks.append(Check("face", True, "A face was found."))
        else:
            checks.append(
                Check("face", False, "No face found; photos of a person should show their face.")
            )
