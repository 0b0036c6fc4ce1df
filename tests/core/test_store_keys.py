"""Redis key names are built in one module, ``core/store.py``: no other module reads the key
prefix (except to build the store), and the keys others need come from store methods."""

from __future__ import annotations

import ast
from pathlib import Path

from core.domain import Scope
from core.store import RedisStore

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_store_reads_the_key_prefix() -> None:
    readers = []
    for package in ("core", "worker", "agent", "plugin", "dreamchat"):
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() in ("core/store.py", "core/settings.py"):
                continue
            text = path.read_text()
            lines = text.splitlines()
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Attribute) and node.attr in ("key_prefix", "prefix"):
                    if "RedisStore(" not in lines[node.lineno - 1]:  # handing it to the store
                        readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not readers, f"Redis key names outside core/store.py: {readers}"


def test_keys_others_need(redis_client) -> None:
    store = RedisStore(redis_client, prefix="kt")
    scope = Scope("ten_a", "alice")
    assert store.events_key(scope) == "kt:ten_a:alice:events"
    assert store.rate_limit_key("ten_a") == "kt:ten_a:_rl"
    assert store.rate_limit_key("ten_a", "alice") == "kt:ten_a:_rl:alice"
    assert store.queue_name("train") == "kt:train"
    assert RedisStore(redis_client).queue_name("train") == "train"
    message = "msg_" + "a" * 24
    store.save_webhook_message("ten_a", message, b"{}", ttl_seconds=30)
    try:
        assert store.load_webhook_message("ten_a", message) == b"{}"
        assert 0 < redis_client.ttl(store.webhook_message_key("ten_a", message)) <= 30
    finally:
        redis_client.delete(store.webhook_message_key("ten_a", message))
