"""Blob storage: uploads, subject photos, adapters, generated images, training checkpoints and
the class-prior cache.

``BlobStore`` is the interface; ``LocalBlobStore`` (a directory, the default) and
``S3BlobStore`` (an S3-compatible bucket) implement it, and ``open_blob_store`` picks one from
the settings. ``blob_keys`` names every key. Keys are ``/``-separated parts of letters, digits and
``._@+=-``, each starting with a letter, digit or ``_``: that rules out ``..``, absolute paths
and hidden files before any path is built. A *prefix* is always whole parts: ``a/b`` covers
``a/b/c`` but not ``a/bc``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from .errors import InvalidInput, NotFound, Unavailable

if TYPE_CHECKING:
    from .settings import Settings

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "check_key",
    "download_dir",
    "open_blob_store",
    "upload_dir",
]

log = logging.getLogger(__name__)

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

    def get_file(self, key: str, path: str | Path) -> None:
        """Write the blob to ``path``: aside first, then renamed, so a reader of ``path`` never
        sees half a file. Raises ``BlobNotFound``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_TMP)
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as src:
                shutil.copyfileobj(src, out)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

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


_SPOOL_BYTES = 8 * 1024 * 1024
"""``S3BlobStore.open`` keeps a blob up to this size in memory, a larger one in a temp file."""
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DELETE_BATCH = 1000
"""The most keys one S3 ``DeleteObjects`` request may name."""


class S3BlobStore(BlobStore):
    """Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...): nodes share
    them without a common volume. Keys live under ``prefix``, so deployments can share a
    bucket. Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, a web identity token, an instance role).
    A PUT replaces an object whole, so writes are atomic as the interface asks. Network and
    server errors surface as ``Unavailable``, a missing object as ``BlobNotFound``."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str = "auto",
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.root = check_key(prefix.strip("/"), prefix=True)
        self._options = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "addressing_style": addressing_style,
        }
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = f"{self.bucket}/{self.root}" if self.root else self.bucket
        return f"S3BlobStore({where!r}, endpoint_url={self._options['endpoint_url']!r})"

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use: nothing connects before, and only processes
        that use the store import boto3."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                options = dict(self._options)
                config = Config(
                    s3={"addressing_style": options.pop("addressing_style")},
                    retries={"mode": "standard", "max_attempts": 5},
                    connect_timeout=5,
                    read_timeout=60,
                    # Checksums only where S3 requires them: other S3-compatible servers
                    # reject the newer default ones.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
                self._client = boto3.session.Session().client("s3", config=config, **options)
            return self._client

    def _name(self, key: str) -> str:
        """The object name of ``key``."""
        check_key(key)
        return f"{self.root}/{key}" if self.root else key

    def _names(self, prefix: str) -> Iterator[str]:
        """Object names under ``prefix`` (whole parts), in the bucket's order."""
        check_key(prefix, prefix=True)
        parts = [p for p in (self.root, prefix) if p]
        start = "/".join(parts) + "/" if parts else ""
        with _s3_errors(prefix):
            pages = self.client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", ()):
                    yield item["Key"]

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        with _s3_errors(key):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)

    def put_file(self, key: str, path: str | Path) -> None:
        name = self._name(key)
        with open(path, "rb") as body, _s3_errors(key):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=body)

    def get(self, key: str) -> bytes:
        name = self._name(key)
        with _s3_errors(key):
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()

    def open(self, key: str) -> BinaryIO:
        """The blob in a seekable file (PIL seeks), read whole before this returns."""
        name = self._name(key)
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        try:
            with _s3_errors(key):
                body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
                for chunk in body.iter_chunks(1024 * 1024):
                    spool.write(chunk)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return cast(BinaryIO, spool)

    def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            with _s3_errors(key):
                self.client.head_object(Bucket=self.bucket, Key=name)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> bool:
        if not self.exists(key):  # S3 deletes answer the same whether or not it was there
            return False
        with _s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        return True

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise InvalidInput("Refusing to delete every blob.", code="invalid_blob_key")
        names = list(self._names(prefix))
        for start in range(0, len(names), _DELETE_BATCH):
            batch = [{"Key": name} for name in names[start : start + _DELETE_BATCH]]
            with _s3_errors(prefix):
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            if failed := answer.get("Errors"):
                raise Unavailable(
                    f"The blob store did not delete {len(failed)} blobs under {prefix!r}.",
                    code="blob_store_unavailable",
                    details={"prefix": prefix, "first_error": failed[0].get("Code")},
                )
        return len(names)

    def list_prefix(self, prefix: str = "") -> list[str]:
        cut = len(self.root) + 1 if self.root else 0
        # Objects that are no key of ours (a console's "folder/" marker) are not listed.
        return sorted(key for name in self._names(prefix) if _is_key(key := name[cut:]))


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except InvalidInput:
        return False
    return True


@contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    """botocore's errors in our terms: a missing object is ``BlobNotFound``; everything else
    that is S3's or the network's (an outage, throttling, refused credentials, no bucket)
    makes the store ``Unavailable`` until someone or something fixes it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise BlobNotFound(f"No blob {key!r}.", details={"key": key}) from None
        log.warning("blob store refused a request for %r: %s", key, exc)
        raise _unavailable(key, code) from exc
    except BotoCoreError as exc:
        log.warning("blob store unreachable for %r: %s", key, exc)
        raise _unavailable(key, type(exc).__name__) from exc


def _unavailable(key: str, reason: str) -> Unavailable:
    return Unavailable(
        "The blob store is unavailable; retry in a moment.",
        code="blob_store_unavailable",
        details={"key": key, "reason": reason},
    )


def open_blob_store(settings: Settings) -> BlobStore:
    """The store ``DREAMCHAT_BLOB_BACKEND`` chooses: the data directory's ``blobs/`` folder by
    default, or a bucket."""
    if settings.blob_backend == "s3":
        assert settings.s3_bucket is not None  # Settings refuses s3 without a bucket
        return S3BlobStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            addressing_style=settings.s3_addressing_style,
        )
    return LocalBlobStore(settings.blob_dir)


def upload_dir(blobs: BlobStore, prefix: str, directory: str | Path) -> list[str]:
    """Copy a local directory tree (an adapter) under ``prefix``."""
    root = Path(directory)
    keys = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = check_key(f"{prefix}/{path.relative_to(root).as_posix()}")
        blobs.put_file(key, path)
        keys.append(key)
    return keys


def download_dir(blobs: BlobStore, prefix: str, directory: str | Path) -> list[Path]:
    """Copy every blob under ``prefix`` into ``directory`` (``upload_dir`` the other way)."""
    root = Path(directory)
    paths = []
    for key in blobs.list_prefix(prefix):
        path = root.joinpath(*key[len(prefix) + 1 :].split("/"))
        blobs.get_file(key, path)
        paths.append(path)
    return paths
