"""Webhook endpoint services and event emission, against a real Redis (no worker: the queued
jobs are inspected, not run; ``test_webhook_jobs.py`` runs them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from rq.job import Job
from standardwebhooks import Webhook

from core.domain import Delivery, EventType
from core.errors import InvalidInput, LimitExceeded, NotFound
from core.netguard import WebhookUrlError
from core.settings import load_settings
from worker.context import WEBHOOKS, Context, context_from_settings
from worker.events import (
    MAX_ENDPOINTS_PER_TENANT,
    create_webhook_endpoint,
    delete_webhook_endpoint,
    emit_event,
    list_deliveries,
    list_webhook_endpoints,
)
from worker.webhook_jobs import (
    deliver_webhook,
    delivery_job_id,
    load_message,
    message_ttl_seconds,
)
from worker.webhooks import build_event, encode_event

TENANT_A, TENANT_B = "ten_a", "ten_b"
URL = "http://127.0.0.1:9/hook"  # never contacted here: nothing runs the queued jobs
LOCAL = ["127.0.0.1", "localhost"]

MakeContext = Callable[..., Context]


def purge_queue(queue: Queue) -> None:
    """RQ keys are not under our key prefix, so the store fixture's cleanup misses them."""
    registries = [
        queue.scheduled_job_registry,
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.canceled_job_registry,
        queue.deferred_job_registry,
    ]
    job_ids = set(queue.get_job_ids())
    for registry in registries:
        job_ids.update(registry.get_job_ids())
        queue.connection.delete(registry.key)
    for job in Job.fetch_many(sorted(job_ids), connection=queue.connection):
        if job is not None:
            job.delete(remove_from_queue=False)
    queue.delete(delete_jobs=True)


@pytest.fixture
def make_ctx(
    redis_url: str, key_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[MakeContext]:
    """Contexts sharing this test's key prefix (and queue); ``overrides`` change settings."""
    made: list[Context] = []

    def make(**overrides: Any) -> Context:
        fields: dict[str, Any] = {"webhook_allow_hosts": LOCAL, "webhook_retry_schedule": [1, 1]}
        settings = load_settings(
            redis_url=redis_url, key_prefix=key_prefix, data_dir=tmp_path, **fields | overrides
        )
        made.append(context_from_settings(settings))
        return made[-1]

    yield make
    if made:
        purge_queue(made[0].queue(WEBHOOKS))
    for ctx in made:
        ctx.redis.close()


@pytest.fixture
def ctx(make_ctx: MakeContext) -> Context:
    return make_ctx()


def create(ctx: Context, events: list[str] | None = None, tenant_id: str = TENANT_A) -> str:
    endpoint, _ = create_webhook_endpoint(ctx, tenant_id=tenant_id, url=URL, events=events or [])
    return endpoint.id


# --- endpoints --------------------------------------------------------------------------------


def test_create_stores_the_endpoint_and_returns_a_whsec_secret(ctx: Context) -> None:
    endpoint, secret = create_webhook_endpoint(
        ctx, tenant_id=TENANT_A, url=f" {URL} ", events=["training.succeeded", "training.failed"]
    )
    assert endpoint.id.startswith("whe_") and secret.startswith("whsec_")
    Webhook(secret)  # receivers can use it as is
    assert endpoint.url == URL and endpoint.enabled
    assert endpoint.events == [
        EventType.TRAINING_SUCCEEDED,
        EventType.TRAINING_FAILED,
    ]
    (listed,) = list_webhook_endpoints(ctx, tenant_id=TENANT_A)
    assert listed == endpoint and listed.secret == secret


@pytest.mark.parametrize(
    "events", [["training.finished"], ["training.succeeded", "Training.Failed"], "training.started"]
)
def test_unknown_event_names_are_refused_and_nothing_is_stored(ctx: Context, events: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_webhook_endpoint(ctx, tenant_id=TENANT_A, url=URL, events=events)
    assert caught.value.code in {"unknown_webhook_event", "invalid_webhook_events"}
    assert list(ctx.store.iter_keys(tenant_id=TENANT_A)) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
    ],
)
def test_private_urls_are_refused_with_a_stable_code_and_nothing_is_stored(
    make_ctx: MakeContext, url: str
) -> None:
    ctx = make_ctx(webhook_allow_hosts=[])
    with pytest.raises(WebhookUrlError) as caught:
        create_webhook_endpoint(ctx, tenant_id=TENANT_A, url=url, events=["training.succeeded"])
    error = caught.value
    assert isinstance(error, InvalidInput) and error.http_status == 422
    assert error.code == "webhook_url_forbidden"
    assert "DREAMCHAT_WEBHOOK_ALLOW_HOSTS" in error.message
    assert list_webhook_endpoints(ctx, tenant_id=TENANT_A) == []
    assert list(ctx.store.iter_keys(tenant_id=TENANT_A)) == []


def test_the_allow_list_lets_named_local_hosts_through(make_ctx: MakeContext) -> None:
    ctx = make_ctx(webhook_allow_hosts=["127.0.0.1"])
    create_webhook_endpoint(ctx, tenant_id=TENANT_A, url="http://127.0.0.1:8080/hook")
    with pytest.raises(WebhookUrlError, match="10.0.0.5"):
        create_webhook_endpoint(ctx, tenant_id=TENANT_A, url="http://10.0.0.5/hook")
    assert len(list_webhook_endpoints(ctx, tenant_id=TENANT_A)) == 1


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "http://user:pw@example.com/hook", "hook", "http://x/" + "a" * 2000],
)
def test_malformed_urls_are_refused(ctx: Context, url: str) -> None:
    with pytest.raises(WebhookUrlError) as caught:
        create_webhook_endpoint(ctx, tenant_id=TENANT_A, url=url)
    assert caught.value.code == "webhook_url_invalid"
    assert list_webhook_endpoints(ctx, tenant_id=TENANT_A) == []


def test_endpoints_per_tenant_are_limited(ctx: Context) -> None:
    for _ in range(MAX_ENDPOINTS_PER_TENANT):
        create(ctx)
    with pytest.raises(LimitExceeded) as caught:
        create(ctx)
    assert caught.value.code == "too_many_webhooks"
    create(ctx, tenant_id=TENANT_B)  # the limit is per tenant


def test_delete_removes_the_endpoint_and_its_log(ctx: Context) -> None:
    endpoint_id = create(ctx)
    delivery = Delivery(
        message_id="msg_" + "a" * 24,
        endpoint_id=endpoint_id,
        event_type=EventType.TRAINING_SUCCEEDED,
        attempt=1,
        status_code=200,
        succeeded=True,
    )
    ctx.store.record_delivery(TENANT_A, delivery)
    assert list_deliveries(ctx, tenant_id=TENANT_A, endpoint_id=endpoint_id) == [delivery]
    delete_webhook_endpoint(ctx, tenant_id=TENANT_A, endpoint_id=endpoint_id)
    assert list_webhook_endpoints(ctx, tenant_id=TENANT_A) == []
    assert list(ctx.store.iter_keys(tenant_id=TENANT_A)) == []
    with pytest.raises(NotFound):
        delete_webhook_endpoint(ctx, tenant_id=TENANT_A, endpoint_id=endpoint_id)


def test_malformed_endpoint_ids_are_unknown_ones(ctx: Context) -> None:
    for call in (delete_webhook_endpoint, list_deliveries):
        with pytest.raises(NotFound) as caught:
            call(ctx, tenant_id=TENANT_A, endpoint_id="../_tenant")
        assert caught.value.code == "webhook_not_found"


def test_a_tenant_cannot_see_or_touch_another_tenants_endpoints(ctx: Context) -> None:
    endpoint_id = create(ctx, tenant_id=TENANT_A)
    assert list_webhook_endpoints(ctx, tenant_id=TENANT_B) == []
    for call in (delete_webhook_endpoint, list_deliveries):
        with pytest.raises(NotFound) as caught:
            call(ctx, tenant_id=TENANT_B, endpoint_id=endpoint_id)
        assert caught.value.code == "webhook_not_found"
    assert emit_event(ctx, tenant_id=TENANT_B, event_type="training.succeeded", data={}) is None
    assert ctx.queue(WEBHOOKS).count == 0
    assert [e.id for e in list_webhook_endpoints(ctx, tenant_id=TENANT_A)] == [endpoint_id]


# --- emitting ---------------------------------------------------------------------------------


def queued(ctx: Context) -> list[Job]:
    return ctx.queue(WEBHOOKS).get_jobs()


def test_emit_queues_one_delivery_job_per_subscribed_endpoint(ctx: Context) -> None:
    every = create(ctx)  # no list: every event but training.progress
    training = create(ctx, ["training.succeeded", "training.failed"])
    create(ctx, ["generation.succeeded"])
    disabled = create(ctx, ["training.succeeded"])
    ctx.store.update_webhook_endpoint(TENANT_A, disabled, lambda e: setattr(e, "enabled", False))

    data = {"training_id": "trn_1", "subject_id": "sub_1", "adapter": "café"}
    event = emit_event(ctx, tenant_id=TENANT_A, event_type="training.succeeded", data=data)

    assert event is not None and event.id.startswith("msg_")
    assert event.type is EventType.TRAINING_SUCCEEDED and event.data == data
    jobs = queued(ctx)
    assert {job.args[1] for job in jobs} == {every, training}
    for job in jobs:
        assert job.func is deliver_webhook
        assert job.args == (TENANT_A, job.args[1], event.id)
        assert job.kwargs == {"attempt": 1}
        assert job.id == delivery_job_id(event.id, job.args[1], 1)
        assert job.timeout == ctx.settings.webhook_job_timeout_seconds

    body = load_message(ctx, tenant_id=TENANT_A, message_id=event.id)
    assert body == encode_event(build_event(event.type, data, now=event.timestamp))
    ttl = ctx.redis.ttl(ctx.store.webhook_message_key(TENANT_A, event.id))
    assert sum(ctx.settings.webhook_retry_schedule) < ttl <= message_ttl_seconds(ctx.settings)


def test_training_progress_goes_only_to_endpoints_that_opt_in(ctx: Context) -> None:
    create(ctx)
    opted_in = create(ctx, ["training.progress"])
    emit_event(ctx, tenant_id=TENANT_A, event_type="training.progress", data={"progress": 0.5})
    assert [job.args[1] for job in queued(ctx)] == [opted_in]


def test_emit_without_subscribers_stores_and_queues_nothing(ctx: Context) -> None:
    create(ctx, ["generation.succeeded"])
    keys_before = set(ctx.store.iter_keys(tenant_id=TENANT_A))
    event = emit_event(ctx, tenant_id=TENANT_A, event_type=EventType.TRAINING_SUCCEEDED, data={})
    assert event is None
    assert queued(ctx) == []
    assert set(ctx.store.iter_keys(tenant_id=TENANT_A)) == keys_before


def test_emit_refuses_unknown_event_types(ctx: Context) -> None:
    create(ctx)
    with pytest.raises(InvalidInput):
        emit_event(ctx, tenant_id=TENANT_A, event_type="training.finished", data={})
    assert queued(ctx) == []
