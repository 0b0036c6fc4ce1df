"""``dreamchat tenants create`` and ``set-origins``, run as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.store import RedisStore
from core.tenants import authenticate


def _dreamchat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dreamchat.cli", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_a_tenant_and_set_its_origins(redis_url, key_prefix, redis_client, tmp_path):
    env = {
        "REDIS_URL": redis_url,
        "DREAMCHAT_KEY_PREFIX": key_prefix,
        "DREAMCHAT_DATA_DIR": str(tmp_path),
    }
    created = _dreamchat("tenants", "create", "Acme Pets", env=env)
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    assert tenant["name"] == "Acme Pets" and tenant["api_key"].startswith("dck_")
    store = RedisStore(redis_client, prefix=key_prefix)
    assert authenticate(store, api_key=tenant["api_key"]).id == tenant["tenant_id"]

    origins = _dreamchat(
        "tenants", "set-origins", tenant["tenant_id"], "https://shop.example.com", env=env
    )
    assert origins.returncode == 0, origins.stderr
    assert json.loads(origins.stdout)["allowed_origins"] == ["https://shop.example.com"]
    assert store.get_tenant(tenant["tenant_id"]).allowed_origins == ["https://shop.example.com"]

    bad = _dreamchat("tenants", "set-origins", tenant["tenant_id"], "not an origin", env=env)
    assert bad.returncode == 2 and "error [invalid_origin]" in bad.stderr
