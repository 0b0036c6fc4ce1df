"""Photos for upload tests, made on the spot: textured ones that pass every check, and the
bad inputs the API must refuse (truncated, mislabelled, empty, decompression bombs)."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter

__all__ = ["face_photo", "huge_png", "photo", "truncated_jpeg"]


def photo(
    seed: int = 0,
    *,
    size: tuple[int, int] = (320, 256),
    fmt: str = "JPEG",
    blur: float = 0.0,
    **save: object,
) -> bytes:
    """Random shapes with hard edges: sharp, and different enough from any other seed that
    perceptual hashes tell them apart."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(14):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(20, width // 2), y0 + rng.randrange(20, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def face_photo(size: int = 400) -> bytes:
    """A drawn face that OpenCV's frontal-face cascade finds (checked in the tests)."""
    s = size / 400
    image = Image.new("RGB", (size, size), (90, 110, 140))
    draw = ImageDraw.Draw(image)
    draw.ellipse((110 * s, 70 * s, 290 * s, 330 * s), fill=(225, 185, 160))
    draw.rectangle((110 * s, 60 * s, 290 * s, 110 * s), fill=(60, 40, 30))
    for x in (150, 220):
        draw.rectangle((x * s, 150 * s, (x + 40) * s, 158 * s), fill=(70, 50, 40))
        draw.ellipse((x * s + 5 * s, 170 * s, (x + 35) * s, 190 * s), fill=(255, 255, 255))
        draw.ellipse((x * s + 13 * s, 172 * s, (x + 27) * s, 188 * s), fill=(40, 30, 30))
    draw.polygon(((200 * s, 190 * s), (185 * s, 245 * s), (215 * s, 245 * s)), fill=(200, 150, 130))
    draw.ellipse((165 * s, 265 * s, 235 * s, 285 * s), fill=(150, 60, 60))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(3 * s)).save(out, format="PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = photo(99, size=(640, 480))
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid 1-bit PNG of ``width × height`` pixels that compresses to a few kilobytes: the
    shape of a decompression bomb, made without ever holding the pixels."""
    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
