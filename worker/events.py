"""Webhook endpoints of a tenant, and events emitted to them.

The HTTP routes, the CLI and the worker's jobs all call these keyword-only service functions;
every one is scoped by the authenticated tenant, and another tenant's endpoint is reported as
not found. Delivery happens later, on the ``webhooks`` queue (:mod:`.webhook_jobs`).

:func:`emit_event` is called from training and generation jobs, several times per training, so
it does no network I/O: it stores the body once and enqueues one delivery job per subscribed
endpoint, all in one Redis transaction. An endpoint that is broken (unreachable, answering
errors, its host now private) only ever shows up in that endpoint's delivery log, never as an
exception in the job that emitted the event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from rq import Queue, Retry

from core.domain import WEBHOOK_EVENTS, Delivery, EventType, WebhookEndpoint, WebhookEvent
from core.errors import InvalidInput, LimitExceeded
from core.ids import ENDPOINT, check_external_id, check_id, new_id
from core.netguard import WebhookUrlError, check_webhook_url

from .context import WEBHOOKS, Context
from .webhook_jobs import deliver_webhook, delivery_job_id, save_message
from .webhooks import build_event, encode_event, new_message_id, new_secret

__all__ = [
    "MAX_ENDPOINTS_PER_TENANT",
    "create_webhook_endpoint",
    "delete_webhook_endpoint",
    "emit_event",
    "list_deliveries",
    "list_webhook_endpoints",
    "parse_event_types",
]

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_TENANT = 20
"""Every event fans out to every endpoint; the cap keeps one tenant from flooding the queue."""
_MAX_URL_CHARS = 2000


def parse_event_types(events: Iterable[str]) -> list[EventType]:
    """Event names as the API receives them; an unknown name is refused rather than ignored,
    since a typo would be a subscription that never fires."""
    if isinstance(events, str):
        raise InvalidInput(
            'events must be a list of event names, e.g. ["training.succeeded"].',
            code="invalid_webhook_events",
        )
    known = {kind.value: kind for kind in WEBHOOK_EVENTS}
    unknown = [name for name in events if name not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown webhook event(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(known)}.",
            code="unknown_webhook_event",
            details={"unknown": unknown, "known": list(known)},
        )
    return list(dict.fromkeys(known[name] for name in events))


def create_webhook_endpoint(
    ctx: Context, *, tenant_id: str, url: str, events: Iterable[str] = ()
) -> tuple[WebhookEndpoint, str]:
    """Register ``url`` for ``events`` (none: every event but ``training.progress``) and return
    the endpoint with its new ``whsec_`` signing secret.

    The URL must pass the SSRF guard (:class:`WebhookUrlError`, an ``InvalidInput``, otherwise);
    nothing is stored unless every check passes.
    """
    check_external_id(tenant_id, what="tenant id")
    kinds = parse_event_types(events)
    url = url.strip()
    if len(url) > _MAX_URL_CHARS:
        raise WebhookUrlError(
            WebhookUrlError.INVALID, f"webhook URL is longer than {_MAX_URL_CHARS} characters"
        )
    check_webhook_url(url, allow_hosts=ctx.settings.webhook_allow_hosts)
    existing = len(ctx.store.list_webhook_endpoints(tenant_id))
    if existing >= MAX_ENDPOINTS_PER_TENANT:
        raise LimitExceeded(
            f"You already have {existing} webhook endpoints (the limit is "
            f"{MAX_ENDPOINTS_PER_TENANT}); delete one you no longer use.",
            code="too_many_webhooks",
            details={"limit": MAX_ENDPOINTS_PER_TENANT},
        )
    secret = new_secret()
    now = ctx.store.now()
    endpoint = WebhookEndpoint(
        id=new_id(ENDPOINT),
        tenant_id=tenant_id,
        url=url,
        events=kinds,
        secret=secret,
        created_at=now,
        updated_at=now,
    )
    ctx.store.insert_webhook_endpoint(endpoint)
    return endpoint, secret


def list_webhook_endpoints(ctx: Context, *, tenant_id: str) -> list[WebhookEndpoint]:
    """Oldest first, disabled ones included (their ``disabled_reason`` says why)."""
    return ctx.store.list_webhook_endpoints(tenant_id)


def delete_webhook_endpoint(ctx: Context, *, tenant_id: str, endpoint_id: str) -> None:
    """Delete the endpoint and its delivery log; its queued attempts find it gone and stop."""
    check_id(endpoint_id, ENDPOINT, what="webhook")
    ctx.store.delete_webhook_endpoint(tenant_id, endpoint_id)


def list_deliveries(
    ctx: Context, *, tenant_id: str, endpoint_id: str, limit: int = 100
) -> list[Delivery]:
    """The endpoint's delivery log, newest attempt first."""
    check_id(endpoint_id, ENDPOINT, what="webhook")
    ctx.store.get_webhook_endpoint(tenant_id, endpoint_id)  # NotFound outside the tenant
    return ctx.store.list_deliveries(tenant_id, endpoint_id, limit=limit)


def emit_event(
    ctx: Context,
    *,
    tenant_id: str,
    event_type: EventType | str,
    data: Mapping[str, Any],
) -> WebhookEvent | None:
    """Queue ``event_type`` for every enabled endpoint of the tenant that subscribes to it.

    Returns the event (its ``id`` is the ``webhook-id`` receivers will see) or None when no
    endpoint wants it, in which case nothing is stored. ``data`` must be JSON-serializable.
    """
    kind = parse_event_types([str(event_type)])[0]
    endpoints = [e for e in ctx.store.list_webhook_endpoints(tenant_id) if e.wants(kind)]
    if not endpoints:
        return None
    event = WebhookEvent(id=new_message_id(), type=kind, timestamp=ctx.store.now(), data=dict(data))
    body = encode_event(build_event(kind, event.data, now=event.timestamp))
    timeout = ctx.settings.webhook_job_timeout_seconds
    jobs = [
        Queue.prepare_data(
            deliver_webhook,
            args=(tenant_id, endpoint.id, event.id),
            kwargs={"attempt": 1},
            timeout=timeout,
            job_id=delivery_job_id(event.id, endpoint.id, 1),
            retry=Retry(max=1),  # a worker killed mid-attempt: run the attempt again
            description=f"webhook {event.id} ({kind}) to {endpoint.id}, attempt 1",
        )
        for endpoint in endpoints
    ]
    with ctx.redis.pipeline(transaction=True) as pipe:
        save_message(ctx, tenant_id=tenant_id, message_id=event.id, body=body, pipeline=pipe)
        ctx.queue(WEBHOOKS).enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    logger.info("event %s (%s) queued for %d endpoint(s)", event.id, kind, len(endpoints))
    return event
