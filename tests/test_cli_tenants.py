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


def test_show_and_change_a_tenants_widget_settings(redis_url, key_prefix, tmp_path):
    env = {
        "REDIS_URL": redis_url,
        "DREAMCHAT_KEY_PREFIX": key_prefix,
        "DREAMCHAT_DATA_DIR": str(tmp_path),
    }
    tenant_id = json.loads(_dreamchat("tenants", "create", "Acme", env=env).stdout)["tenant_id"]
    shown = _dreamchat("tenants", "widget", tenant_id, env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["primary_color"] is None

    changed = _dreamchat(
        "tenants", "widget", tenant_id, "--color", "#0B6E4F", "--position", "left",
        "--prompt", "Rex on the beach", "--prompt", "Rex in Paris", "--language", "fr",
        env=env,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    settings = json.loads(changed.stdout)
    assert settings["tenant_id"] == tenant_id
    assert (settings["primary_color"], settings["position"], settings["language"]) == (
        "#0b6e4f",
        "left",
        "fr",
    )
    assert settings["suggested_prompts"] == ["Rex on the beach", "Rex in Paris"]

    reset = _dreamchat("tenants", "widget", tenant_id, "--unset", "language", env=env)
    after = json.loads(reset.stdout)
    assert after["language"] is None and after["position"] == "left"

    pale = _dreamchat("tenants", "widget", tenant_id, "--color", "#ffee00", env=env)
    assert pale.returncode == 2 and "error [invalid_widget_settings]" in pale.stderr
    assert "contrast" in pale.stderr
    missing = _dreamchat("tenants", "widget", "ten_nobody", "--title", "x", env=env)
    assert missing.returncode == 2 and "error [tenant_not_found]" in missing.stderr
