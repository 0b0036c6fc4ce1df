"""Blob storage: uploads, subject photos, adapters, generated images.

``BlobStore`` is the interface (a local directory today, an S3-compatible bucket later);
``blob_keys`` names every key. Keys are ``/``-separated parts of letters, digits and
``._@+=-``, each starting with a letter, digit or ``_``: that rules out ``..``, absolute paths
and hidden files before any path is built. A *prefix* is always whole parts: ``a/b`` covers
``a/b/c`` but not ``a/bc``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import InvalidInput, NotFound

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "LocalBlobStore",
    "check_key",
    "upload_dir",
]

_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@+=-]{0,199}")
_TMP = ".tmp-"  # can never be a key part, so listings skip half-written files


class BlobNotFound(NotFound):
    code = "blob_not_found"


def check_key(key: str, *, prefix: bool = False) -> str:
    """Return ``key`` if it is a well-formed key (or, with ``prefix``, a well-formed prefix;
    the empty prefix means everything)."""
    if prefix and key == "":
        return key
    if isinstance(key, str) and len(key) <= 1024 and all(map(_PART.fullmatch, key.split("/"))):
        return key
    raise InvalidInput(
        f"{key!r} is not a valid blob key.", code="invalid_blob_key", details={"key": str(key)}
    )


class BlobStore(ABC):
    """Bytes under keys. Writes are atomic: a reader sees the old blob or the new one."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: str | Path) -> None:
        self.put(key, Path(path).read_bytes())

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Raises ``BlobNotFound``."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary file object for reading (close it). Raises ``BlobNotFound``."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> bool:
        """True if a blob was there."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob under ``prefix`` (not the empty prefix); returns how many."""

    @abstractmethod
    def list_prefix(self, prefix: str = "") -> list[str]:
        """Sorted keys under ``prefix``."""

    def local_path(self, key: str) -> Path | None:
        """A local file or directory holding ``key`` (or a prefix), when this store has one:
        it lets the worker hand paths to the trainer without copying. None otherwise."""
        return None


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root``; shared between nodes by mounting the same volume."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def _path(self, key: str, *, prefix: bool = False) -> Path:
        check_key(key, prefix=prefix)
        path = self.root.joinpath(*key.split("/")) if key else self.root
        # The key syntax already forbids "..": this catches symlinks that lead outside.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidInput(f"{key!r} leaves the blob store.", code="invalid_blob_key")
        return path

    def put(self, key: str, data: bytes) -> None:
        self._write(self._path(key), lambda f: f.write(data))

    def put_file(self, key: str, path: str | Path) -> None:
        with open(path, "rb") as src:
            self._write(self._path(key), lambda f: shutil.copyfileobj(src, f))

    def _write(self, path: Path, fill: Callable[[BinaryIO], object]) -> None:
        for attempt in range(3):  # a concurrent delete may prune the directory under us
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP)
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue
            try:
                with os.fdopen(fd, "wb") as f:
                    fill(f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(f"No blob {key!r}.", details={"key": key}) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        self._prune(path.parent)
        return True

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise InvalidInput("Refusing to delete every blob.", code="invalid_blob_key")
        path = self._path(prefix, prefix=True)
        if not path.is_dir():
            return 0
        count = len(self._keys_under(path))
        shutil.rmtree(path, ignore_errors=True)
        self._prune(path.parent)
        return count

    def list_prefix(self, prefix: str = "") -> list[str]:
        path = self._path(prefix, prefix=True)
        return sorted(self._keys_under(path)) if path.is_dir() else []

    def local_path(self, key: str) -> Path | None:
        path = self._path(key, prefix=True)
        return path if path.exists() else None

    def _keys_under(self, directory: Path) -> list[str]:
        keys = []
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            keys += [f"{rel}/{name}" for name in filenames if not name.startswith(".")]
        return keys

    def _prune(self, directory: Path) -> None:
        """Remove directories left empty, so a deleted user leaves no trace, not even names."""
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def upload_dir(blobs: BlobStore, prefix: str, directory: str | Path) -> list[str]:
    """Copy a local directory tree (an adapter) under ``prefix``."""
    root = Path(directory)
    keys = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = check_key(f"{prefix}/{path.relative_to(root).as_posix()}")
        blobs.put_file(key, path)
        keys.append(key)
    return keys
