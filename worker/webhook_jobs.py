"""The webhook delivery job: one attempt per RQ job, the next attempt scheduled as a new job.

Why not RQ's ``Retry``: it reacts to exceptions only, and a webhook attempt has four outcomes
(delivered, retry later, 410 Gone, permanent failure) that each need their own bookkeeping,
every attempt belongs in the endpoint's delivery log, and a receiver's ``Retry-After`` should
stretch the wait. So :func:`deliver` records the attempt and, when the answer is retryable,
schedules ``deliver_webhook(..., attempt=n + 1)`` with ``enqueue_at``. That needs a worker
started with the scheduler, which moves due jobs onto the queue about once a second. All
attempts carry the same message id, so the receiver sees the same ``webhook-id`` every time and
can deduplicate.

An event's body is stored once, when it is emitted (:func:`save_message`, in the store), and
every attempt to every endpoint sends
exactly those bytes. The key expires a day after the whole retry schedule could have run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import httpx
import redis
from rq.exceptions import DuplicateJobError

from core.domain import Delivery, EventType, WebhookEndpoint, utc_now
from core.errors import NotFound
from core.ids import ENDPOINT, MESSAGE, check_external_id, check_id
from core.settings import Settings

from .context import WEBHOOKS, Context
from .resources import current
from .webhook_delivery import DeliveryOutcome, DeliveryStatus, sign_and_send, webhook_client
from .webhooks import next_retry_delay

__all__ = [
    "AttemptResult",
    "deliver",
    "deliver_webhook",
    "delivery_job_id",
    "load_message",
    "message_ttl_seconds",
    "save_message",
]

logger = logging.getLogger(__name__)

# Queued jobs can wait behind a backlog, so the stored body outlives the schedule by a margin.
_MESSAGE_TTL_MARGIN_S = 24 * 3600


class AttemptResult(StrEnum):
    """What a delivery job did; its RQ result, for dashboards and tests."""

    DELIVERED = "delivered"
    RETRY_SCHEDULED = "retry_scheduled"
    GAVE_UP = "gave_up"  # still failing when the retry schedule ran out
    FAILED = "failed"  # a permanent failure (4xx, refused URL): retrying would not help
    DISABLED = "disabled"  # 410 Gone: the endpoint is now disabled
    SKIPPED = "skipped"  # endpoint deleted or disabled, or the message expired: nothing sent


# Messages -----------------------------------------------------------------------------------


def message_ttl_seconds(settings: Settings) -> int:
    """Long enough for every attempt: the delays, each attempt's job timeout, and a margin."""
    schedule = settings.webhook_retry_schedule
    attempts = len(schedule) + 1
    return sum(schedule) + attempts * settings.webhook_job_timeout_seconds + _MESSAGE_TTL_MARGIN_S


def save_message(
    ctx: Context,
    *,
    tenant_id: str,
    message_id: str,
    body: bytes,
    pipeline: redis.client.Pipeline | None = None,
) -> None:
    """Store the exact bytes every attempt will send; pass ``pipeline`` to commit them together
    with the jobs that need them."""
    ctx.store.save_webhook_message(
        tenant_id,
        message_id,
        body,
        ttl_seconds=message_ttl_seconds(ctx.settings),
        pipeline=pipeline,
    )


def load_message(ctx: Context, *, tenant_id: str, message_id: str) -> bytes | None:
    return ctx.store.load_webhook_message(tenant_id, message_id)


def delivery_job_id(message_id: str, endpoint_id: str, attempt: int) -> str:
    """One RQ job id per attempt, so a job that runs twice (a worker died after sending) cannot
    schedule the same next attempt twice."""
    return f"{message_id}-{endpoint_id}-{attempt}"


# The job ------------------------------------------------------------------------------------


def deliver_webhook(tenant_id: str, endpoint_id: str, message_id: str, attempt: int = 1) -> str:
    """RQ entry point: one attempt to deliver a stored message to one endpoint.

    Takes only ids, so a job enqueued by any process runs in any worker; the worker's own
    context (:mod:`worker.resources`) supplies the settings and the connections.
    """
    result = deliver(
        current().ctx,
        tenant_id=tenant_id,
        endpoint_id=endpoint_id,
        message_id=message_id,
        attempt=attempt,
    )
    return result.value


def deliver(
    ctx: Context,
    *,
    tenant_id: str,
    endpoint_id: str,
    message_id: str,
    attempt: int = 1,
    client: httpx.Client | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AttemptResult:
    """Send attempt number ``attempt``, log it, then stop, disable the endpoint or schedule the
    next attempt. Raises only when Redis fails, so RQ keeps the job in its failed registry."""
    check_external_id(tenant_id, what="tenant id")
    check_id(endpoint_id, ENDPOINT, what="webhook")
    check_id(message_id, MESSAGE, what="message")
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")

    try:
        endpoint = ctx.store.get_webhook_endpoint(tenant_id, endpoint_id)
    except NotFound:
        logger.info("webhook %s: endpoint %s was deleted; not sending", message_id, endpoint_id)
        return AttemptResult.SKIPPED
    if not endpoint.enabled:
        logger.info("webhook %s: endpoint %s is disabled; not sending", message_id, endpoint_id)
        return AttemptResult.SKIPPED
    body = load_message(ctx, tenant_id=tenant_id, message_id=message_id)
    if body is None:
        # The retry schedule outlived the stored body (a huge backlog); nothing left to send.
        logger.error(
            "webhook %s for %s expired before attempt %d", message_id, endpoint_id, attempt
        )
        return AttemptResult.SKIPPED

    settings = ctx.settings
    if client is None:
        client = _shared_client(
            tuple(settings.webhook_allow_hosts), settings.webhook_timeout_seconds
        )
    attempted_at = clock()
    outcome = sign_and_send(
        url=endpoint.url,
        secret=endpoint.secret,
        message_id=message_id,
        body=body,
        client=client,
        timestamp=attempted_at,
        allow_hosts=settings.webhook_allow_hosts,
        timeout=settings.webhook_timeout_seconds,
    )
    delay = _retry_delay(outcome, attempt, settings.webhook_retry_schedule)
    retry_at = None if delay is None else _whole_second_after(attempted_at, delay)
    delivery = Delivery(
        message_id=message_id,
        endpoint_id=endpoint_id,
        event_type=EventType(json.loads(body)["type"]),
        attempt=attempt,
        status_code=outcome.status_code,
        error=outcome.error,
        succeeded=outcome.status is DeliveryStatus.DELIVERED,
        duration_ms=outcome.duration_ms,
        attempted_at=attempted_at,
        next_attempt_at=retry_at,
    )
    if outcome.should_retry and retry_at is None:
        delivery.error = f"{outcome.error}; gave up after {attempt} attempts"
    ctx.store.record_delivery(tenant_id, delivery, keep=settings.webhook_delivery_log_size)
    ctx.store.count_webhook_outcome(str(outcome.status))

    if outcome.status is DeliveryStatus.DELIVERED:
        return AttemptResult.DELIVERED
    if outcome.status is DeliveryStatus.GONE:
        _disable(ctx, endpoint, attempted_at)
        return AttemptResult.DISABLED
    if outcome.status is DeliveryStatus.FAILED:
        return AttemptResult.FAILED
    if retry_at is None:
        logger.warning(
            "webhook %s to %s: giving up after %d attempts", message_id, endpoint_id, attempt
        )
        return AttemptResult.GAVE_UP
    _schedule(ctx, endpoint, message_id, attempt + 1, retry_at)
    return AttemptResult.RETRY_SCHEDULED


def _retry_delay(outcome: DeliveryOutcome, attempt: int, schedule: list[int]) -> float | None:
    """The schedule's delay, stretched to the receiver's ``Retry-After`` up to the schedule's
    longest delay, so a receiver cannot park a message for days."""
    if not outcome.should_retry:
        return None
    delay = next_retry_delay(attempt, schedule)
    if delay is not None and outcome.retry_after_s is not None:
        delay = max(delay, min(outcome.retry_after_s, float(max(schedule))))
    return delay


def _whole_second_after(moment: datetime, delay: float) -> datetime:
    """``moment + delay`` rounded up to a whole second: RQ's scheduled registry drops the
    fraction, which would otherwise let a retry run up to a second before its delay is over."""
    due = moment + timedelta(seconds=delay)
    return due if due.microsecond == 0 else due.replace(microsecond=0) + timedelta(seconds=1)


def _disable(ctx: Context, endpoint: WebhookEndpoint, when: datetime) -> None:
    reason = (
        f"The receiver answered 410 Gone at {when.isoformat(timespec='seconds')}; "
        "create a new endpoint to receive events again."
    )

    def mutate(stored: WebhookEndpoint) -> None:
        stored.enabled = False
        stored.disabled_reason = reason

    try:
        ctx.store.update_webhook_endpoint(endpoint.tenant_id, endpoint.id, mutate)
    except NotFound:
        return  # deleted meanwhile: nothing left to disable
    logger.warning("webhook endpoint %s disabled: its receiver answered 410", endpoint.id)


def _schedule(
    ctx: Context, endpoint: WebhookEndpoint, message_id: str, attempt: int, when: datetime
) -> None:
    try:
        ctx.queue(WEBHOOKS).enqueue_at(
            when,
            deliver_webhook,
            endpoint.tenant_id,
            endpoint.id,
            message_id,
            attempt=attempt,
            job_id=delivery_job_id(message_id, endpoint.id, attempt),
            job_timeout=ctx.settings.webhook_job_timeout_seconds,
            description=f"webhook {message_id} to {endpoint.id}, attempt {attempt}",
            unique=True,
        )
    except DuplicateJobError:
        logger.info(
            "webhook %s attempt %d to %s is already scheduled", message_id, attempt, endpoint.id
        )


@lru_cache(maxsize=8)
def _shared_client(allow_hosts: tuple[str, ...], timeout: float) -> httpx.Client:
    """One guarded client per worker process and configuration, so busy receivers keep their
    pooled connections across jobs."""
    return webhook_client(allow_hosts=allow_hosts, timeout=timeout)
