from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from core.blob_keys import (
    find_upload,
    photo_key,
    subject_prefix,
    upload_key,
)
from core.blobs import (
    BlobNotFound,
    LocalBlobStore,
    check_key,
    upload_dir,
)
from core.domain import Scope
from core.errors import InvalidInput

SCOPE = Scope("ten_a", "alice")


def test_put_get_list_delete(tmp_blob_store: LocalBlobStore) -> None:
    tmp_blob_store.put("a/b/one.png", b"1")
    tmp_blob_store.put("a/b/c/two.png", b"2")
    tmp_blob_store.put("a/bc/three.png", b"3")
    assert tmp_blob_store.get("a/b/one.png") == b"1"
    with tmp_blob_store.open("a/b/c/two.png") as f:
        assert f.read() == b"2"
    assert tmp_blob_store.exists("a/b/one.png") and not tmp_blob_store.exists("a/b")
    assert tmp_blob_store.list_prefix("a/b") == ["a/b/c/two.png", "a/b/one.png"]
    assert tmp_blob_store.list_prefix("") == ["a/b/c/two.png", "a/b/one.png", "a/bc/three.png"]
    assert tmp_blob_store.list_prefix("nothing/here") == []

    tmp_blob_store.put("a/b/one.png", b"new")
    assert tmp_blob_store.get("a/b/one.png") == b"new"
    assert tmp_blob_store.delete("a/b/one.png") and not tmp_blob_store.delete("a/b/one.png")
    assert tmp_blob_store.delete_prefix("a/b") == 1
    assert tmp_blob_store.list_prefix("") == ["a/bc/three.png"]
    assert not (tmp_blob_store.root / "a" / "b").exists()  # empty folders are pruned
    with pytest.raises(BlobNotFound) as exc:
        tmp_blob_store.get("a/b/one.png")
    assert exc.value.code == "blob_not_found"
    with pytest.raises(InvalidInput):
        tmp_blob_store.delete_prefix("")


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
def test_traversal_and_odd_keys_are_rejected(tmp_blob_store: LocalBlobStore, key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        tmp_blob_store.put(key, b"x")
    assert exc.value.code == "invalid_blob_key"
    for call in (tmp_blob_store.get, tmp_blob_store.exists, tmp_blob_store.delete):
        with pytest.raises(InvalidInput):
            call(key)
    assert list(tmp_blob_store.root.rglob("*")) == []


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


def test_find_upload(tmp_blob_store: LocalBlobStore) -> None:
    tmp_blob_store.put(upload_key(SCOPE, "upl_x", ".webp"), b"x")
    assert find_upload(tmp_blob_store, SCOPE, "upl_x") == "ten_a/alice/uploads/upl_x.webp"
    assert find_upload(tmp_blob_store, SCOPE, "upl_y") is None
    assert find_upload(tmp_blob_store, Scope("ten_a", "bob"), "upl_x") is None


def test_directory_upload(tmp_blob_store: LocalBlobStore, tmp_path: Path) -> None:
    src = tmp_path / "adapter"
    (src / "sub").mkdir(parents=True)
    (src / "pytorch_lora_weights.safetensors").write_bytes(b"w")
    (src / "sub" / "training.json").write_text("{}")
    keys = upload_dir(tmp_blob_store, "t/u/adapter", src)
    assert keys == ["t/u/adapter/pytorch_lora_weights.safetensors", "t/u/adapter/sub/training.json"]
    assert tmp_blob_store.local_path("t/u/adapter") == tmp_blob_store.root / "t/u/adapter"
    assert tmp_blob_store.local_path("t/u/missing") is None
