"""Limits on what one caller can send: requests per minute, and bytes per request.

Request rate limits per tenant and per end user are shared by every API process through Redis.

GCRA (the "generic cell rate algorithm", a token bucket stored as one timestamp): a limit of N
per minute lets a burst of N through and then one request every 60/N seconds. One Lua script
checks the tenant's and the user's limit together and charges both only when both allow the
request, so a user who is refused does not use up their tenant's budget. Time comes from the
Redis server, so API nodes with skewed clocks agree.

Keys: ``RedisStore.rate_limit_key`` (one bucket per tenant and one per user), each expiring as
soon as its bucket is full again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.store import RedisStore

from .errors import BodyTooLarge, RateLimited, error_response

__all__ = ["BodyLimit", "RateLimiter"]

# KEYS[i]: a bucket; ARGV[2i-1]: its emission interval (ms), ARGV[2i]: its burst tolerance (ms).
# Returns 0 when allowed, otherwise the milliseconds to wait.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, tats = 0, {}
for i, key in ipairs(KEYS) do
  local interval, tolerance = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local tat = math.max(tonumber(redis.call('GET', key) or now), now)
  if tat - now > tolerance then
    wait = math.max(wait, tat - now - tolerance)
  end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.max(tats[i] - now, 1))
end
return 0
"""


@dataclass(frozen=True)
class _Limit:
    key: str
    per_minute: int

    def args(self) -> tuple[int, int]:
        interval = 60_000 / self.per_minute
        return round(interval), round(interval * (self.per_minute - 1))


class RateLimiter:
    """``per_minute`` values of 0 switch a limit off."""

    def __init__(self, store: RedisStore, *, tenant_per_minute: int, user_per_minute: int) -> None:
        self.store = store
        self.tenant_per_minute = tenant_per_minute
        self.user_per_minute = user_per_minute
        self._script = store.client.register_script(_GCRA)

    def check(self, tenant_id: str, user_id: str | None = None) -> None:
        """Charge one request, or raise ``RateLimited`` saying when to retry."""
        limits = []
        if self.tenant_per_minute > 0:
            limits.append(_Limit(self.store.rate_limit_key(tenant_id), self.tenant_per_minute))
        if user_id is not None and self.user_per_minute > 0:
            key = self.store.rate_limit_key(tenant_id, user_id)
            limits.append(_Limit(key, self.user_per_minute))
        if not limits:
            return
        args = [value for limit in limits for value in limit.args()]
        wait_ms = int(self._script(keys=[limit.key for limit in limits], args=args))
        if wait_ms > 0:
            raise RateLimited(
                f"Too many requests; retry in {max(1, -(-wait_ms // 1000))} s.",
                retry_after=wait_ms / 1000,
            )


class BodyLimit:
    """Caps request bodies as they stream in: ``limits`` by path, ``default`` for the rest. A
    declared ``Content-Length`` above the cap is refused before a byte is read; a chunked body
    is cut off once it passes the cap, so no request can make the API hold more than the cap."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            error = BodyTooLarge(limit)
            response = error_response(413, error.code, error.message, error.details)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
