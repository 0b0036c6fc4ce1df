from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from PIL import Image

from core.blob_keys import (
    find_upload,
    photo_key,
    subject_prefix,
    upload_key,
    user_prefix,
)
from core.blobs import (
    BlobNotFound,
    BlobStore,
    LocalBlobStore,
    check_key,
    download_dir,
    upload_dir,
)
from core.domain import Scope
from core.errors import InvalidInput

SCOPE = Scope("ten_a", "alice")


def test_put_get_list_delete(blob_store: BlobStore) -> None:
    blob_store.put("a/b/one.png", b"1")
    blob_store.put("a/b/c/two.png", b"2")
    blob_store.put("a/bc/three.png", b"3")
    assert blob_store.get("a/b/one.png") == b"1"
    with blob_store.open("a/b/c/two.png") as f:
        assert f.read() == b"2"
    assert blob_store.exists("a/b/one.png") and not blob_store.exists("a/b")
    assert blob_store.list_prefix("a/b") == ["a/b/c/two.png", "a/b/one.png"]
    assert blob_store.list_prefix("") == ["a/b/c/two.png", "a/b/one.png", "a/bc/three.png"]
    assert blob_store.list_prefix("nothing/here") == []

    blob_store.put("a/b/one.png", b"new")
    assert blob_store.get("a/b/one.png") == b"new"
    assert blob_store.delete("a/b/one.png") and not blob_store.delete("a/b/one.png")
    assert blob_store.delete_prefix("a/b") == 1
    assert blob_store.delete_prefix("a/b") == 0
    assert blob_store.list_prefix("") == ["a/bc/three.png"]
    with pytest.raises(InvalidInput):
        blob_store.delete_prefix("")


def test_a_missing_blob_is_the_same_error_in_every_store(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    blob_store.put("a/b/present.bin", b"x")
    for key in ("a/b/absent.bin", "a/b", "nothing/at/all"):
        for read in (
            blob_store.get,
            blob_store.open,
            lambda k: blob_store.get_file(k, tmp_path / "f"),
        ):
            with pytest.raises(BlobNotFound) as exc:
                read(key)
            assert exc.value.code == "blob_not_found" and exc.value.details == {"key": key}
        assert not blob_store.exists(key) and not blob_store.delete(key)
    assert not (tmp_path / "f").exists() and list(tmp_path.glob(".tmp-*")) == []


def test_prefixes_are_whole_parts_so_users_never_see_each_other(blob_store: BlobStore) -> None:
    """``ten_a/al`` must not reach ``ten_a/alice`` — in S3, a prefix is just a string."""
    alice, al, other_tenant = Scope("ten_a", "alice"), Scope("ten_a", "al"), Scope("ten_b", "alice")
    for scope in (alice, al, other_tenant):
        blob_store.put(upload_key(scope, "upl_x", ".png"), scope.user_id.encode())
        blob_store.put(photo_key(scope, "sub_1", "p.png"), b"p")
    assert blob_store.list_prefix(user_prefix(al)) == [
        "ten_a/al/subjects/sub_1/photos/p.png",
        "ten_a/al/uploads/upl_x.png",
    ]
    assert blob_store.delete_prefix(user_prefix(al)) == 2
    assert blob_store.get(upload_key(alice, "upl_x", ".png")) == b"alice"
    assert blob_store.delete_prefix(subject_prefix(alice, "sub_1")) == 1
    assert blob_store.list_prefix("") == [
        "ten_a/alice/uploads/upl_x.png",
        "ten_b/alice/subjects/sub_1/photos/p.png",
        "ten_b/alice/uploads/upl_x.png",
    ]


def test_open_gives_a_seekable_file_that_pillow_reads(blob_store: BlobStore) -> None:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(out, format="PNG")
    blob_store.put("t/u/images/img_1.png", out.getvalue())
    with blob_store.open("t/u/images/img_1.png") as f, Image.open(f) as image:
        assert image.size == (32, 24) and image.getpixel((0, 0)) == (10, 200, 30)


def test_empty_folders_are_pruned(tmp_blob_store: LocalBlobStore) -> None:
    tmp_blob_store.put("a/b/c/one.png", b"1")
    tmp_blob_store.put("a/bc/two.png", b"2")
    assert tmp_blob_store.delete("a/b/c/one.png")
    assert not (tmp_blob_store.root / "a" / "b").exists()
    tmp_blob_store.delete_prefix("a/bc")
    assert list(tmp_blob_store.root.iterdir()) == []


def test_writes_are_atomic_and_leave_no_temp_files(tmp_blob_store: LocalBlobStore) -> None:
    tmp_blob_store.put("k/blob.bin", b"x" * 100_000)
    assert os.listdir(tmp_blob_store.root / "k") == ["blob.bin"]

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        tmp_blob_store._write(tmp_blob_store.root / "k" / "blob.bin", _explode(Boom))
    assert tmp_blob_store.get("k/blob.bin") == b"x" * 100_000
    assert os.listdir(tmp_blob_store.root / "k") == ["blob.bin"]


def _explode(exc: type[Exception]) -> Callable[[BinaryIO], object]:
    def fill(f: BinaryIO) -> object:
        f.write(b"half")
        raise exc

    return fill


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "a/.hidden",
        "a\\b",
        "a/b/",
        "",
        "a/b\x00c",
        "ten_a/alice/uploads/x y",
    ],
)
def test_traversal_and_odd_keys_are_rejected(blob_store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        blob_store.put(key, b"x")
    assert exc.value.code == "invalid_blob_key"
    for call in (blob_store.get, blob_store.open, blob_store.exists, blob_store.delete):
        with pytest.raises(InvalidInput):
            call(key)
    assert blob_store.list_prefix("") == []
    if isinstance(blob_store, LocalBlobStore):
        assert list(blob_store.root.rglob("*")) == []


def test_symlinks_out_of_the_root_are_rejected(
    tmp_blob_store: LocalBlobStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"s")
    (tmp_blob_store.root / "link").symlink_to(outside)
    with pytest.raises(InvalidInput):
        tmp_blob_store.get("link/secret")
    with pytest.raises(InvalidInput):
        tmp_blob_store.put("link/new", b"x")
    assert not (outside / "new").exists()


def test_key_layout() -> None:
    sub = "sub_" + "a" * 24
    assert subject_prefix(SCOPE, sub) == f"ten_a/alice/subjects/{sub}"
    assert photo_key(SCOPE, sub, "upl_x.jpg") == f"ten_a/alice/subjects/{sub}/photos/upl_x.jpg"
    assert upload_key(SCOPE, "upl_x", ".JPG") == "ten_a/alice/uploads/upl_x.jpg"
    with pytest.raises(InvalidInput) as exc:
        upload_key(SCOPE, "upl_x", ".exe")
    assert exc.value.code == "invalid_photo_type"
    assert check_key("a/b") == "a/b" and check_key("", prefix=True) == ""


def test_find_upload(blob_store: BlobStore) -> None:
    blob_store.put(upload_key(SCOPE, "upl_x", ".webp"), b"x")
    assert find_upload(blob_store, SCOPE, "upl_x") == "ten_a/alice/uploads/upl_x.webp"
    assert find_upload(blob_store, SCOPE, "upl_y") is None
    assert find_upload(blob_store, Scope("ten_a", "bob"), "upl_x") is None


def test_directory_upload_and_download(blob_store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "adapter"
    (src / "sub").mkdir(parents=True)
    (src / "pytorch_lora_weights.safetensors").write_bytes(b"w" * 70_000)
    (src / "sub" / "training.json").write_text("{}")
    keys = upload_dir(blob_store, "t/u/adapter", src)
    assert keys == ["t/u/adapter/pytorch_lora_weights.safetensors", "t/u/adapter/sub/training.json"]
    paths = download_dir(blob_store, "t/u/adapter", tmp_path / "copy")
    assert [p.relative_to(tmp_path / "copy").as_posix() for p in paths] == [
        "pytorch_lora_weights.safetensors",
        "sub/training.json",
    ]
    assert [p.read_bytes() for p in paths] == [b"w" * 70_000, b"{}"]
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == [
        "pytorch_lora_weights.safetensors",
        "sub",
    ]  # nothing half-written left beside them


def test_local_paths(tmp_blob_store: LocalBlobStore) -> None:
    tmp_blob_store.put("t/u/adapter/a.bin", b"a")
    assert tmp_blob_store.local_path("t/u/adapter") == tmp_blob_store.root / "t/u/adapter"
    assert tmp_blob_store.local_path("t/u/missing") is None
