"""Instance photos: orientation, colour modes, and clear errors that name the file."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from trainer import PhotoError
from trainer.data import load_photos


def _save(path, size=(40, 30), mode="RGB", color=(200, 10, 10), **kwargs):
    Image.new(mode, size, color if mode == "RGB" else None).save(path, **kwargs)
    return path


def _valid(tmp_path, n):
    return [_save(tmp_path / f"ok{i}.png") for i in range(n)]


def test_fewer_than_three_photos_is_refused(tmp_path):
    _valid(tmp_path, 2)
    with pytest.raises(PhotoError) as err:
        load_photos([tmp_path], resolution=16)
    assert err.value.code == "too_few_photos" and "at least 3" in err.value.message


def test_more_than_25_photos_is_refused(tmp_path):
    _valid(tmp_path, 26)
    with pytest.raises(PhotoError) as err:
        load_photos([tmp_path], resolution=16)
    assert err.value.code == "too_many_photos" and "25" in err.value.message


@pytest.mark.parametrize(
    "content",
    [b"", b"this is a text file, not a photo", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01truncated"],
    ids=["empty", "text-named-jpg", "truncated-jpeg"],
)
def test_unreadable_file_is_named_in_the_error(tmp_path, content):
    _valid(tmp_path, 3)
    (tmp_path / "broken.jpg").write_bytes(content)
    with pytest.raises(PhotoError) as err:
        load_photos([tmp_path], resolution=16)
    assert err.value.code == "photo_unreadable"
    assert "broken.jpg" in err.value.message and err.value.details["file"] == "broken.jpg"


def test_missing_path(tmp_path):
    with pytest.raises(PhotoError) as err:
        load_photos([tmp_path / "nope"], resolution=16)
    assert err.value.code == "photo_not_found"


def test_exif_orientation_is_applied_and_modes_become_rgb(tmp_path):
    # A landscape 40x20 image tagged "rotate 90° CW" (orientation 6) is portrait once applied.
    wide = Image.new("RGB", (40, 20), (0, 0, 0))
    wide.paste((255, 255, 255), (0, 0, 20, 20))  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6
    wide.save(tmp_path / "a_rotated.jpg", exif=exif.tobytes())
    _save(tmp_path / "b_gray.png", mode="L")
    Image.new("RGBA", (30, 30), (0, 255, 0, 128)).save(tmp_path / "c_alpha.png")
    photos = load_photos([tmp_path], resolution=16)
    rotated = photos[0]
    assert rotated.original_size == (40, 20)  # (height, width): portrait after transposition
    # after a 90° clockwise turn the white half is on top
    top, bottom = rotated.pixels[:, :8].mean().item(), rotated.pixels[:, 8:].mean().item()
    assert top > 0.5 > bottom
    for photo in photos:
        assert photo.pixels.shape == (3, 16, 16)
        assert photo.pixels.dtype == torch.float32
        assert -1.0 <= photo.pixels.min() and photo.pixels.max() <= 1.0


def test_hidden_files_and_non_images_in_a_folder_are_ignored(tmp_path):
    _valid(tmp_path, 3)
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "notes.txt").write_text("hi")
    assert [p.name for p in load_photos([tmp_path], resolution=16)] == [
        "ok0.png",
        "ok1.png",
        "ok2.png",
    ]
