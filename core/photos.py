"""Photo checks: what a photo must be to be stored, and what we tell the person about it.

They run here, below every door: ``POST /v1/uploads`` calls ``accept_upload``, which stores
the checks with the upload (``RedisStore.save_upload_checks``); when photos are attached in a
chat, ``review_photos`` reads them back, adds what needs the subject (a face for people,
near-duplicates within the batch and of the subject's photos) and says what is wrong with which
photo, by its position: "photo 3 is blurry", "photo 5 is a near-duplicate of photo 2".

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
| face        |                                                 | no face found (people)      |

"People" are the subjects whose class noun is in ``core.policy``'s ``person_classes`` (the
defaults plus ``DREAMCHAT_POLICY_PERSON_CLASSES``), the same list consent uses.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

# OpenCV at import, not on the first upload: its import takes seconds on a busy machine, and an
# API process that spends them inside a request misses uvicorn's worker health check and is
# restarted, dropping the request.
import cv2
import numpy as np
from PIL import Image, ImageOps

from .blob_keys import upload_key
from .blobs import BlobStore
from .domain import Scope, Subject
from .errors import Conflict, DreamchatError, InvalidInput, UnsupportedPhotoType
from .ids import UPLOAD, new_id
from .policy import policy_config
from .settings import Settings
from .store import RedisStore
from .subjects import get_subject

__all__ = [
    "UPLOAD_CHECKS_TTL_SECONDS",
    "Check",
    "FaceDetector",
    "PhotoLimits",
    "PhotoProblem",
    "StoredUpload",
    "accept_upload",
    "haar_face_detector",
    "perceptual_hash",
    "review_photos",
    "sharpness",
    "sniff_format",
]

log = logging.getLogger(__name__)

UPLOAD_CHECKS_TTL_SECONDS = 7 * 24 * 3600
"""How long an upload's check results are kept, attached or not: the chat reads them when the
photos are attached, usually seconds after the upload."""
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

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLimits:
        return cls(max_pixels=settings.max_photo_pixels, min_side=settings.min_photo_side)


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


def _stored_hash(blobs: BlobStore, key: str) -> int | None:
    """The perceptual hash of a photo we stored ourselves; None if it went bad (a broken file
    must not block uploads)."""
    try:
        with blobs.open(key) as f, Image.open(f) as photo:
            photo.draft("L", (64, 64))  # JPEG decodes at 1/8 scale: fast
            return perceptual_hash(photo)
    except Exception:
        log.warning("can't hash stored photo %s", key, exc_info=True)
        return None


def _attached_hashes(blobs: BlobStore, subject: Subject) -> dict[str, int]:
    hashes = {PurePosixPath(key).stem: _stored_hash(blobs, key) for key in subject.photos}
    return {photo_id: h for photo_id, h in hashes.items() if h is not None}


def _is_person(subject: Subject, settings: Settings) -> bool:
    return policy_config(settings).is_person(subject.class_noun)


def _face_check(image: Image.Image, detect_faces: FaceDetector) -> Check:
    if detect_faces(_grayscale(image, 640)) > 0:
        return Check("face", True, "A face was found.")
    return Check("face", False, "No face found; photos of a person should show their face.")


def _encode(image: Image.Image) -> bytes:
    """JPEG at high quality whatever came in: training can't tell, storage is a fraction of
    PNG's, and hashing stored photos can decode them at 1/8 scale."""
    if max(image.size) > STORED_MAX_SIDE:
        image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def accept_upload(
    store: RedisStore,
    blobs: BlobStore,
    *,
    scope: Scope,
    data: bytes,
    subject_id: str | None = None,
    settings: Settings,
    limits: PhotoLimits | None = None,
    detect_faces: FaceDetector = haar_face_detector,
) -> StoredUpload:
    """Check one photo and store it as an upload of ``scope``, its checks beside it; with
    ``subject_id``, also check it against that subject (duplicates, a face for people).
    Raises with the checks so far in ``details["checks"]`` when the photo is rejected; stores
    nothing then."""
    limits = limits or PhotoLimits.from_settings(settings)
    subject = get_subject(store, scope=scope, subject_id=subject_id) if subject_id else None
    person = subject is not None and _is_person(subject, settings)
    with _DECODE_SLOTS:
        stored = _check_and_store(blobs, scope, data, subject, person, limits, detect_faces)
    store.save_upload_checks(
        scope,
        stored.upload_id,
        [c.to_dict() for c in stored.checks],
        ttl_seconds=UPLOAD_CHECKS_TTL_SECONDS,
    )
    return stored


def _check_and_store(
    blobs: BlobStore,
    scope: Scope,
    data: bytes,
    subject: Subject | None,
    person: bool,
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
            UnsupportedPhotoType,
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
        _check_subject(blobs, subject, person, image, checks, detect_faces)
    payload = _encode(image)
    upload_id = new_id(UPLOAD)
    blobs.put(upload_key(scope, upload_id, ".jpg"), payload)
    return StoredUpload(upload_id, image.width, image.height, checks)


def _check_subject(
    blobs: BlobStore,
    subject: Subject,
    person: bool,
    image: Image.Image,
    checks: list[Check],
    detect_faces: FaceDetector,
) -> None:
    mine = perceptual_hash(image)
    for photo_id, theirs in _attached_hashes(blobs, subject).items():
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
    if person:
        checks.append(_face_check(image, detect_faces))


# --- the report when photos are attached ------------------------------------------------


@dataclass(frozen=True)
class PhotoProblem:
    """One thing wrong with one photo of a batch; ``position`` counts from 1 in the order the
    photos were sent, as the person sees them."""

    position: int
    upload_id: str
    code: str
    text: str
    """``photo 3 is blurry``: ready to join into a sentence."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "upload_id": self.upload_id,
            "code": self.code,
            "text": self.text,
        }


_PROBLEM_TEXT = {
    "sharpness": "is blurry",
    "face": "shows no face",
}


def review_photos(
    store: RedisStore,
    blobs: BlobStore,
    *,
    scope: Scope,
    subject: Subject,
    upload_ids: Sequence[str],
    settings: Settings,
    detect_faces: FaceDetector = haar_face_detector,
) -> list[PhotoProblem]:
    """What is wrong with each photo of a batch just attached to ``subject``: the warnings
    stored at upload, a missing face for people (checked now if the upload was not checked
    against the subject, and stored), and near-duplicates of an earlier photo of the batch or
    of a photo the subject already had."""
    person = _is_person(subject, settings)
    batch = list(dict.fromkeys(upload_ids))
    keys = {PurePosixPath(key).stem: key for key in subject.photos}
    earlier = {
        photo_id: h
        for photo_id, key in keys.items()
        if photo_id not in batch and (h := _stored_hash(blobs, key)) is not None
    }
    seen: list[tuple[int, int]] = []  # (position, hash) of this batch so far
    problems: list[PhotoProblem] = []
    for position, upload_id in enumerate(batch, start=1):
        key = keys.get(upload_id)
        checks = store.get_upload_checks(scope, upload_id)
        if person and key is not None and not any(c.get("code") == "face" for c in checks):
            face = _stored_face_check(blobs, key, detect_faces)
            if face is not None:
                checks = [*checks, face.to_dict()]
                store.save_upload_checks(
                    scope, upload_id, checks, ttl_seconds=UPLOAD_CHECKS_TTL_SECONDS
                )
        for check in checks:
            if not check.get("ok", True):
                code = str(check.get("code", "check"))
                what = _PROBLEM_TEXT.get(code) or f"— {check.get('message') or code}"
                problems.append(PhotoProblem(position, upload_id, code, f"photo {position} {what}"))
        mine = _stored_hash(blobs, key) if key is not None else None
        if mine is None:
            continue
        same = next((p for p, h in seen if (mine ^ h).bit_count() <= DUPLICATE_DISTANCE), None)
        if same is not None:
            text = f"photo {position} is a near-duplicate of photo {same}"
        elif any((mine ^ h).bit_count() <= DUPLICATE_DISTANCE for h in earlier.values()):
            text = f"photo {position} is a near-duplicate of a photo {subject.name} already has"
        else:
            text = None
        if text:
            problems.append(PhotoProblem(position, upload_id, "duplicate", text))
        seen.append((position, mine))
    return problems


def _stored_face_check(blobs: BlobStore, key: str, detect_faces: FaceDetector) -> Check | None:
    try:
        with blobs.open(key) as f, Image.open(f) as photo:
            photo.draft("RGB", (1280, 1280))
            return _face_check(photo.convert("RGB"), detect_faces)
    except Exception:
        log.warning("can't check stored photo %s for a face", key, exc_info=True)
        return None
