from __future__ import annotations

from pathlib import Path

import pytest

import core
from core.blobs import LocalBlobStore, S3BlobStore, open_blob_store
from core.errors import InvalidSettings
from core.settings import Settings, get_settings, load_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("DREAMCHAT_DATA_DIR", str(tmp_path))
    settings = get_settings()
    assert settings.redis_url is None
    assert (settings.min_photos, settings.max_photos, settings.max_concurrent_trainings) == (
        3,
        25,
        2,
    )
    assert settings.webhook_retry_schedule == [5, 30, 120, 600, 1800, 7200]
    assert settings.webhook_timeout_seconds == 10
    assert settings.dead_job_after_seconds <= 60
    assert settings.photo_retention_seconds is None
    assert settings.key_prefix == "dc"
    # The committed ToyWorld model, wherever the data dir is.
    assert settings.resolved_base_model == str(
        Path(core.__file__).parents[1] / "models" / "toyworld"
    )
    assert settings.redis_dir == tmp_path / "redis"
    assert get_settings() is settings  # cached


def test_environment_names(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_URL", "redis://localhost:6390/2")
    env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    env.setenv("OPENAI_API_KEY", "sk-test")
    env.setenv("DREAMCHAT_AGENT_MODEL", "gpt-x")
    env.setenv("DREAMCHAT_BASE_MODEL", "/models/sd15")
    env.setenv("DREAMCHAT_WEBHOOK_ALLOW_HOSTS", " 127.0.0.1, LocalHost ,,[::1]")
    env.setenv("DREAMCHAT_WEBHOOK_RETRY_SCHEDULE", "1,2,3")
    env.setenv("DREAMCHAT_PHOTO_RETENTION_SECONDS", "0")
    env.setenv("DREAMCHAT_KEY_PREFIX", "dctest-1")
    settings = get_settings()
    assert settings.redis_url == "redis://localhost:6390/2"
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)
    assert settings.agent_model == "gpt-x"
    assert settings.resolved_base_model == "/models/sd15"
    assert settings.webhook_allow_hosts == ["127.0.0.1", "localhost", "[::1]"]
    assert settings.webhook_retry_schedule == [1, 2, 3]
    assert settings.photo_retention_seconds == 0
    assert settings.key_prefix == "dctest-1"


def test_json_lists_and_cache_clear(env: pytest.MonkeyPatch) -> None:
    env.setenv("DREAMCHAT_WEBHOOK_ALLOW_HOSTS", '["example.internal"]')
    assert get_settings().webhook_allow_hosts == ["example.internal"]
    env.setenv("DREAMCHAT_WEBHOOK_ALLOW_HOSTS", "")
    assert get_settings().webhook_allow_hosts == ["example.internal"]
    get_settings.cache_clear()
    assert get_settings().webhook_allow_hosts == []


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DREAMCHAT_MAX_PHOTOS", "many", "DREAMCHAT_MAX_PHOTOS"),
        ("DREAMCHAT_MAX_PHOTOS", "2", "DREAMCHAT_MAX_PHOTOS (2) must be a whole number from 3"),
        ("DREAMCHAT_MIN_PHOTOS", "0", "DREAMCHAT_MIN_PHOTOS"),
        ("DREAMCHAT_DEFAULT_TRAINING_STEPS", "5000", "DREAMCHAT_MAX_TRAINING_STEPS"),
        ("DREAMCHAT_MAX_CONCURRENT_TRAININGS", "0", "DREAMCHAT_MAX_CONCURRENT_TRAININGS"),
        ("DREAMCHAT_PHOTO_RETENTION_SECONDS", "-1", "DREAMCHAT_PHOTO_RETENTION_SECONDS"),
        ("DREAMCHAT_WEBHOOK_RETRY_SCHEDULE", "5,-1", "retry delays must be >= 0"),
        ("DREAMCHAT_WEBHOOK_RETRY_SCHEDULE", "[5,", "neither a comma list nor a JSON array"),
        ("DREAMCHAT_WEBHOOK_ALLOW_HOSTS", "http://10.0.0.1/hook", "no scheme or path"),
        ("DREAMCHAT_WEBHOOK_TIMEOUT_SECONDS", "0", "DREAMCHAT_WEBHOOK_TIMEOUT_SECONDS"),
        ("DREAMCHAT_DEAD_JOB_AFTER_SECONDS", "120", "DREAMCHAT_DEAD_JOB_AFTER_SECONDS"),
        ("DREAMCHAT_DEAD_JOB_AFTER_SECONDS", "9", "two heartbeats"),
        ("DREAMCHAT_KEY_PREFIX", "dc:evil", "DREAMCHAT_KEY_PREFIX"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL: must start with redis://"),
        ("DREAMCHAT_BLOB_BACKEND", "s3", "DREAMCHAT_BLOB_BACKEND=s3 needs DREAMCHAT_S3_BUCKET"),
        ("DREAMCHAT_BLOB_BACKEND", "gcs", "DREAMCHAT_BLOB_BACKEND"),
        ("DREAMCHAT_S3_BUCKET", "My_Bucket", "DREAMCHAT_S3_BUCKET: must be an S3 bucket name"),
        ("DREAMCHAT_S3_ENDPOINT_URL", "minio:9000", "DREAMCHAT_S3_ENDPOINT_URL: must start"),
        ("DREAMCHAT_S3_PREFIX", "prod/../other", "DREAMCHAT_S3_PREFIX"),
    ],
)
def test_bad_values_are_refused_with_the_variable_name(
    env: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(InvalidSettings) as exc:
        get_settings()
    assert fragment in exc.value.message
    assert exc.value.code == "invalid_settings"


def test_the_blob_store_follows_the_settings(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("DREAMCHAT_DATA_DIR", str(tmp_path))
    local = open_blob_store(get_settings())
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "blobs"

    env.setenv("DREAMCHAT_BLOB_BACKEND", "s3")
    env.setenv("DREAMCHAT_S3_BUCKET", "dreamchat-prod")
    env.setenv("DREAMCHAT_S3_ENDPOINT_URL", "http://minio:9000")
    env.setenv("DREAMCHAT_S3_PREFIX", "/eu/prod/")
    env.setenv("DREAMCHAT_S3_ADDRESSING_STYLE", "path")
    get_settings.cache_clear()
    remote = open_blob_store(get_settings())
    assert isinstance(remote, S3BlobStore)
    assert (remote.bucket, remote.root) == ("dreamchat-prod", "eu/prod")
    assert remote.local_path("eu/prod") is None


def test_overrides_by_field_name() -> None:
    settings = load_settings(max_photos=5, redis_url="redis://h:1/0", data_dir="/srv/dc")
    assert (settings.max_photos, settings.redis_url) == (5, "redis://h:1/0")
    assert settings.blob_dir == Path("/srv/dc/blobs")
    assert isinstance(settings, Settings)
    with pytest.raises(Exception, match="frozen"):
        settings.max_photos = 6  # type: ignore[misc]
