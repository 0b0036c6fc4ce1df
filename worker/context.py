"""The connections a process needs to serve jobs and service calls, built once from settings.

The API, every worker and the CLI build one ``Context``; service functions and jobs take it
instead of reaching for globals. Queue and channel names come from the store (``core/store.py``
is the one module that knows Redis key names).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis
from rq import Queue

from core.blobs import BlobStore, open_blob_store
from core.recipe import Recipe, service_recipe
from core.settings import Settings
from core.store import RedisStore

__all__ = ["GENERATE", "QUEUE_ORDER", "TRAIN", "WEBHOOKS", "Context", "context_from_settings"]

GENERATE, TRAIN, WEBHOOKS = "generate", "train", "webhooks"
QUEUE_ORDER = (GENERATE, TRAIN, WEBHOOKS)
"""A worker listening on several queues serves them in this order: images before trainings."""


@dataclass
class Context:
    settings: Settings
    redis: redis.Redis
    store: RedisStore
    blobs: BlobStore

    def queue(self, name: str) -> Queue:
        queue_name = self.store.queue_name(name)
        return self._queues.setdefault(name, Queue(queue_name, connection=self.redis))

    @cached_property
    def _queues(self) -> dict[str, Queue]:
        return {}

    @cached_property
    def recipe(self) -> Recipe:
        """How this service trains and generates: settings, else the base model's recipe."""
        return service_recipe(self.settings)

    def async_redis(self):
        """An asyncio client to the same server (the SSE stream waits on the event log without
        a thread per listener)."""
        import redis.asyncio as aioredis

        kwargs = self.redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return aioredis.Redis(
                unix_socket_path=kwargs["path"],
                db=kwargs.get("db", 0),
                password=kwargs.get("password"),
                username=kwargs.get("username"),
            )
        return aioredis.Redis(
            host=kwargs.get("host", "localhost"),
            port=kwargs.get("port", 6379),
            db=kwargs.get("db", 0),
            password=kwargs.get("password"),
            username=kwargs.get("username"),
        )


def context_from_settings(settings: Settings, *, redis_url: str | None = None) -> Context:
    url = redis_url or settings.redis_url
    if not url:
        raise RuntimeError("no Redis URL: set REDIS_URL, or start through `dreamchat run`")
    client = redis.Redis.from_url(url)
    store = RedisStore(client, prefix=settings.key_prefix)
    return Context(settings, client, store, open_blob_store(settings))
