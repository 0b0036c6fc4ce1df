"""Standard Webhooks messages: event bodies, endpoint secrets, signatures, the retry schedule.

Pure functions, shared by the API (which creates secrets) and the worker (which builds, signs and
retries deliveries; the HTTP side is :mod:`worker.webhook_delivery`).

Standard Webhooks in brief: a message keeps one ``webhook-id`` across all its retries, so
receivers can deduplicate, while every attempt is signed afresh over
``"{webhook-id}.{webhook-timestamp}.{body}"`` with that attempt's timestamp, because receivers
reject timestamps more than a few minutes old to stop replays. So the caller creates the message
id and the body bytes once, stores them, and signs each attempt with the time of that attempt.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from core.domain import EventType
from core.ids import MESSAGE, new_id, new_webhook_secret

__all__ = [
    "SECRET_PREFIX",
    "build_event",
    "encode_event",
    "new_message_id",
    "new_secret",
    "next_retry_delay",
    "signature_headers",
]

SECRET_PREFIX = "whsec_"
# 256 bits, the size of the HMAC-SHA256 output; the spec accepts 24 to 64 bytes.
_SECRET_BYTES_RANGE = range(24, 65)


new_secret = new_webhook_secret
"""A fresh endpoint signing secret, ``whsec_`` + base64 of 32 random bytes."""


def new_message_id() -> str:
    """A message id (``msg_…``): created once per event, the ``webhook-id`` of every attempt to
    deliver it, to every endpoint, so receivers can deduplicate retries."""
    return new_id(MESSAGE)


def _require_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC)


def build_event(
    event_type: EventType | str, data: Mapping[str, Any], *, now: datetime
) -> dict[str, Any]:
    """The event body ``{type, timestamp, data}``; ``timestamp`` is when the event happened.

    An unknown ``event_type`` raises ValueError: receivers subscribe by type, so a typo would be
    an event nobody ever receives.
    """
    stamp = _require_utc(now, "now").isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"type": EventType(event_type).value, "timestamp": stamp, "data": dict(data)}


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The exact bytes to store, sign and send; retries must resend these, not re-encode."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _secret_key(secret: str) -> bytes:
    # Stricter than Webhook(secret), which silently drops characters that are not base64.
    # Messages never include the secret itself.
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("webhook secret is not valid base64 after 'whsec_'") from None
    if len(key) not in _SECRET_BYTES_RANGE:
        raise ValueError("webhook secret must decode to 24 to 64 bytes")
    return key


def signature_headers(
    *, secret: str, message_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for one attempt."""
    when = _require_utc(timestamp, "timestamp")
    signature = Webhook(_secret_key(secret)).sign(message_id, when, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": signature,
    }


def next_retry_delay(
    attempt: int,
    delays: Sequence[float],
    *,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), or None to give up.

    ``delays[n - 1]`` follows attempt ``n``, so a schedule of k delays allows k + 1 attempts.
    ``jitter`` (a fraction, e.g. 0.1 for ±10 %) spreads out the retries of many messages that
    failed together, so a receiver coming back from an outage is not hit by one burst; 0 keeps
    the schedule exact, which tests rely on.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be a fraction in [0, 1)")
    if attempt > len(delays):
        return None
    delay = float(delays[attempt - 1])
    if delay < 0:
        raise ValueError("retry delays must not be negative")
    if jitter:
        uniform = rng.uniform if rng is not None else random.uniform
        delay *= 1.0 + uniform(-jitter, jitter)
    return delay
