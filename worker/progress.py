"""Telling people how a job is going: RQ job meta, the run record, and the user's event log.

Training steps can be milliseconds apart, so everything here is throttled: a ``Throttle``
lets one update through per interval (and always the last one), and the step loop pays one
``time.monotonic()`` call for the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from rq import get_current_job

from core.domain import EventType, Scope

from .context import Context

__all__ = ["Throttle", "publish", "set_job_meta"]


class Throttle:
    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self.clock = clock
        self._last = -float("inf")

    def ready(self, *, force: bool = False) -> bool:
        now = self.clock()
        if force or now - self._last >= self.interval_s:
            self._last = now
            return True
        return False


def publish(
    ctx: Context, tenant_id: str, user_id: str, event_type: EventType, data: Mapping[str, Any]
) -> str:
    """Append ``{"type": event_type, **data}`` to the user's event log, which
    ``GET /v1/events`` streams; nobody listening is fine, and one who reconnects later still
    gets it. The type is an ``EventType``, the names webhooks use too. Returns the event's id."""
    settings = ctx.settings
    return ctx.store.append_event(
        Scope(tenant_id, user_id),
        {"type": EventType(event_type).value, **data},
        max_len=settings.event_log_length,
        ttl_seconds=settings.event_log_ttl_seconds,
    )


def set_job_meta(**fields: Any) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(fields)
        job.save_meta()
