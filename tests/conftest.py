"""Fixtures every test package may use: a real Redis, a store that only this test sees, a
blob store in a temporary directory, and an S3-protocol server (``s3_server``) with a fresh
bucket per test (``s3_bucket``); ``blob_store`` is either kind of blob store, by parameter.

``REDIS_URL`` points the suite at an existing server; otherwise one embedded server is started
for the session. Each test gets its own key prefix and its keys are deleted afterwards, so
concurrent runs against one server never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.blobs import BlobStore, LocalBlobStore, S3BlobStore
from core.redis_server import EmbeddedRedis
from core.settings import get_settings
from core.store import RedisStore
from dreamchat.demo import synthetic_photos
from trainer.tiny import build_tiny_pipeline

from .s3 import CREDENTIALS, MotoS3, moto_s3


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        assert server.url is not None
        yield server.url


@pytest.fixture
def key_prefix() -> str:
    return f"dctest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_url: str, key_prefix: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    keys = list(client.scan_iter(match=f"{key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def store(redis_client: redis.Redis, key_prefix: str) -> RedisStore:
    return RedisStore(redis_client, prefix=key_prefix)


@pytest.fixture
def tmp_blob_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """moto's S3 server, with boto3's credentials in the environment while it runs."""
    with moto_s3(tmp_path_factory.mktemp("moto")) as server, pytest.MonkeyPatch.context() as env:
        for name, value in CREDENTIALS.items():
            env.setenv(name, value)
        yield server


@pytest.fixture
def s3_bucket(s3_server: MotoS3) -> str:
    return s3_server.create_bucket()


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """A fresh, empty blob store of each kind."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: MotoS3 = request.getfixturevalue("s3_server")
    return S3BlobStore(server.create_bucket(), endpoint_url=server.url, region="us-east-1")


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; a test that changes the environment must not leak
    its values into the next one."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The random tiny SD pipeline, built once per run (nothing is downloaded)."""
    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sdxl", xl=True)


@pytest.fixture(scope="session")
def photos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four synthetic photos of one made-up subject."""
    out = tmp_path_factory.mktemp("photos")
    synthetic_photos(out, count=4)
    return out
