"""An API per test on the real Redis of ``tests/conftest.py``: its own key prefix, queues and
data dir, a clock the test can move, and FastAPI's ``TestClient`` in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.blobs import open_blob_store
from core.domain import Scope
from core.settings import load_settings
from core.store import RedisStore
from core.tenants import create_tenant
from plugin.app import create_app
from worker.context import Context

from . import photos

API_SETTINGS = {
    "rate_limit_tenant_per_minute": 0,
    "rate_limit_user_per_minute": 0,
    "max_upload_bytes": 2_000_000,
    "secret_key": "test-secret-" + "x" * 40,
}


@dataclass
class Clock:
    """Wall time plus an offset the test controls."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Caller:
    """A tenant's end user, with the headers the API wants from them."""

    tenant_id: str
    api_key: str
    user_id: str

    @property
    def scope(self) -> Scope:
        return Scope(self.tenant_id, self.user_id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "X-User-Id": self.user_id}

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def as_user(self, user_id: str) -> Caller:
        return Caller(self.tenant_id, self.api_key, user_id)


@dataclass
class Api:
    ctx: Context
    app: FastAPI
    client: TestClient
    clock: Clock

    def caller(self, name: str = "acme", user_id: str = "alice") -> Caller:
        tenant, key = create_tenant(self.ctx.store, name=name)
        return Caller(tenant.id, key, user_id)

    def blob_keys(self) -> list[str]:
        return self.ctx.blobs.list_prefix("")

    def redis_keys(self) -> set[str]:
        return set(self.ctx.store.iter_keys())

    def upload(self, caller: Caller, data: bytes, name: str = "photo.jpg", **form: str) -> Any:
        return self.client.post(
            "/v1/uploads", headers=caller.headers, files={"file": (name, data)}, data=form
        )

    def upload_ok(self, caller: Caller, seed: int, **form: str) -> str:
        response = self.upload(caller, photos.photo(seed), **form)
        assert response.status_code == 201, response.text
        return response.json()["upload_id"]

    def subject(self, caller: Caller, name: str = "Rex", class_noun: str = "dog") -> dict:
        response = self.client.post(
            "/v1/subjects", headers=caller.headers, json={"name": name, "class_noun": class_noun}
        )
        assert response.status_code == 201, response.text
        return response.json()


def purge_rq(client: redis.Redis, key_prefix: str) -> None:
    keys = list(client.scan_iter(match=f"rq:*{key_prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def make_api(redis_client, redis_url, key_prefix, tmp_path) -> Iterator:
    """``make_api(**settings)``: an API over a fresh context; tests that need other settings
    (rate limits, photo limits) call it themselves."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> Api:
        clock = Clock()
        settings = load_settings(
            redis_url=redis_url,
            key_prefix=key_prefix,
            data_dir=tmp_path / "data",
            **{**API_SETTINGS, **overrides},
        )
        store = RedisStore(redis_client, prefix=key_prefix, clock=clock.now)
        ctx = Context(settings, redis_client, store, open_blob_store(settings))
        app = create_app(ctx)
        client = TestClient(app)
        clients.append(client)
        return Api(ctx, app, client, clock)

    yield make
    for client in clients:
        client.close()
    purge_rq(redis_client, key_prefix)


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


@pytest.fixture
def alice(api: Api) -> Caller:
    return api.caller("acme", "alice")
