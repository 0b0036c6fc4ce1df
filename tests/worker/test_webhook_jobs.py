"""Webhook delivery jobs, to a real HTTP receiver on loopback: whole deliveries run by a real
``dreamchat worker`` process (its RQ scheduler moves due retries onto the queue), and single
attempts run in-process, where the test decides what happens next.

The worker is started once for the module (it takes seconds to import the ML stack); each test
uses its own tenant. Its settings come from its environment, as a deployed worker's do, with a
retry schedule of ``1,1`` seconds, so a three-attempt delivery takes about three seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.job import Job

from core.domain import Delivery, WebhookEndpoint, WebhookEvent
from core.settings import Settings, load_settings
from tests.worker.test_events import purge_queue
from tests.worker.webhook_receiver import ReceivedRequest, Reply, WebhookReceiver
from worker.context import WEBHOOKS, Context, context_from_settings
from worker.events import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    emit_event,
    list_deliveries,
    list_webhook_endpoints,
)
from worker.resources import WorkerResources, serving
from worker.webhook_jobs import (
    AttemptResult,
    deliver,
    deliver_webhook,
    delivery_job_id,
)

LOCAL = ["127.0.0.1", "localhost"]
SCHEDULE = [1, 1]


def settings_for(redis_url: str, key_prefix: str, data_dir: Path) -> Settings:
    return load_settings(
        redis_url=redis_url,
        key_prefix=key_prefix,
        data_dir=data_dir,
        webhook_allow_hosts=LOCAL,
        webhook_retry_schedule=SCHEDULE,
    )


class WorkerProcess:
    """``dreamchat worker --queues webhooks`` with the environment a deployment would give it."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        env = os.environ | {
            "REDIS_URL": str(settings.redis_url),
            "DREAMCHAT_KEY_PREFIX": settings.key_prefix,
            "DREAMCHAT_DATA_DIR": str(settings.data_dir),
            "DREAMCHAT_WEBHOOK_ALLOW_HOSTS": ",".join(LOCAL),
            "DREAMCHAT_WEBHOOK_RETRY_SCHEDULE": ",".join(map(str, SCHEDULE)),
        }
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dreamchat.cli", "worker", "--queues", WEBHOOKS],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown; stops the scheduler too
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Hooks:
    """One tenant's webhooks in one deployment, with the calls the tests repeat."""

    ctx: Context
    tenant_id: str
    worker: WorkerProcess | None = None

    def endpoint(self, receiver: WebhookReceiver, events: list[str]) -> tuple[str, str]:
        endpoint, secret = create_webhook_endpoint(
            self.ctx, tenant_id=self.tenant_id, url=receiver.url, events=events
        )
        return endpoint.id, secret

    def emit(self, event_type: str, data: dict[str, Any] | None = None) -> WebhookEvent:
        event = emit_event(
            self.ctx, tenant_id=self.tenant_id, event_type=event_type, data=data or {}
        )
        assert event is not None, "no endpoint subscribed"
        return event

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return self.ctx.store.get_webhook_endpoint(self.tenant_id, endpoint_id)

    def deliveries(self, endpoint_id: str) -> list[Delivery]:
        return list_deliveries(self.ctx, tenant_id=self.tenant_id, endpoint_id=endpoint_id)

    def attempt(self, endpoint_id: str, message_id: str, n: int = 1) -> AttemptResult:
        return deliver(
            self.ctx,
            tenant_id=self.tenant_id,
            endpoint_id=endpoint_id,
            message_id=message_id,
            attempt=n,
        )

    def job_result(self, job_id: str) -> Any:
        """The job's return value once it finished, else None."""
        job = Job.fetch(job_id, connection=self.ctx.redis)
        return job.return_value() if job.is_finished else None

    def received(self, receiver: WebhookReceiver, count: int) -> list[ReceivedRequest]:
        try:
            return receiver.wait_for(count, timeout=20)  # the first includes the worker's start
        except TimeoutError as exc:
            raise AssertionError(f"{exc}{self._log()}") from None

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := check():
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}{self._log()}")

    def _log(self) -> str:
        return f"\nworker log:\n{self.worker.log_tail()}" if self.worker else ""


@pytest.fixture(scope="module")
def deployment(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Context, WorkerProcess]]:
    """A key prefix, and so a webhooks queue, that only this module's worker serves."""
    data_dir = tmp_path_factory.mktemp("webhook-jobs")
    ctx = context_from_settings(
        settings_for(redis_url, f"dctest-{uuid.uuid4().hex[:12]}", data_dir)
    )
    worker = WorkerProcess(ctx.settings, data_dir / "worker.log")
    yield ctx, worker
    worker.stop()
    purge_queue(ctx.queue(WEBHOOKS))
    keys = list(ctx.redis.scan_iter(match=f"{ctx.settings.key_prefix}:*", count=1000))
    if keys:
        ctx.redis.delete(*keys)
    ctx.redis.close()


@pytest.fixture
def live(deployment: tuple[Context, WorkerProcess]) -> Hooks:
    ctx, worker = deployment
    return Hooks(ctx, f"ten_{uuid.uuid4().hex[:8]}", worker)


@pytest.fixture
def hooks(
    redis_url: str, key_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Hooks]:
    """No worker serves this test's queue: jobs wait there until the test runs them."""
    ctx = context_from_settings(settings_for(redis_url, key_prefix, tmp_path))
    yield Hooks(ctx, "ten_hooks")
    purge_queue(ctx.queue(WEBHOOKS))
    ctx.redis.close()


# --- through a real worker --------------------------------------------------------------------


def test_training_succeeded_reaches_the_receiver_with_a_valid_signature(live: Hooks) -> None:
    with WebhookReceiver([200]) as receiver:
        endpoint_id, secret = live.endpoint(receiver, ["training.succeeded"])
        data = {"training_id": "trn_1", "subject_id": "sub_1", "adapter": "adapters/sub_1"}
        event = live.emit("training.succeeded", data)

        (request,) = live.received(receiver, 1)
        payload = request.verify(secret)  # standardwebhooks.Webhook(secret).verify()
        assert payload["type"] == "training.succeeded" and payload["data"] == data
        assert request.headers["webhook-id"] == event.id
        assert request.headers["content-type"] == "application/json"

        (delivery,) = live.wait(lambda: live.deliveries(endpoint_id), "the delivery log")
        assert delivery.succeeded and delivery.status_code == 200 and delivery.attempt == 1
        assert delivery.message_id == event.id and delivery.event_type == "training.succeeded"
        job_id = delivery_job_id(event.id, endpoint_id, 1)
        assert live.wait(lambda: live.job_result(job_id), "the job result") == "delivered"


def test_a_failing_receiver_gets_the_same_webhook_id_until_it_accepts(live: Hooks) -> None:
    with WebhookReceiver([500, 500, 200]) as receiver:
        endpoint_id, secret = live.endpoint(receiver, ["generation.succeeded"])
        event = live.emit("generation.succeeded", {"generation_id": "gen_1"})

        requests = live.received(receiver, 3)
        assert [r.headers["webhook-id"] for r in requests] == [event.id] * 3
        for request in requests:
            request.verify(secret)  # each attempt is signed afresh, and validly
        live.wait(lambda: len(live.deliveries(endpoint_id)) == 3, "3 log entries")
        newest_first = live.deliveries(endpoint_id)
        assert [d.attempt for d in newest_first] == [3, 2, 1]
        assert [d.status_code for d in newest_first] == [200, 500, 500]
        assert [d.succeeded for d in newest_first] == [True, False, False]
        counts = live.ctx.store.webhook_outcome_counts()  # what /metrics reports
        assert counts.get("retryable", 0) >= 2 and counts.get("delivered", 0) >= 1
        for failed, retry in zip(newest_first[1:], newest_first, strict=False):
            assert failed.next_attempt_at is not None
            wait = failed.next_attempt_at - failed.attempted_at
            assert timedelta(seconds=1) <= wait < timedelta(seconds=2)
            assert retry.attempted_at >= failed.next_attempt_at  # never before it is due


def test_410_disables_the_endpoint_and_stops_retrying(live: Hooks) -> None:
    with WebhookReceiver([410, 200]) as receiver:
        endpoint_id, _ = live.endpoint(receiver, ["training.failed"])
        event = live.emit("training.failed")

        job_id = delivery_job_id(event.id, endpoint_id, 1)
        assert live.wait(lambda: live.job_result(job_id), "the job", timeout=20) == "disabled"
        disabled = live.get(endpoint_id)
        assert not disabled.enabled and "410" in (disabled.disabled_reason or "")
        (delivery,) = live.deliveries(endpoint_id)
        assert delivery.status_code == 410 and delivery.next_attempt_at is None
        scheduled = live.ctx.queue(WEBHOOKS).scheduled_job_registry.get_job_ids()
        assert not [job for job in scheduled if event.id in job]

        # A new event is not even queued for it, and no late retry of the first one arrives.
        assert (
            emit_event(live.ctx, tenant_id=live.tenant_id, event_type="training.failed", data={})
            is None
        )
        time.sleep(SCHEDULE[0] + 1.5)  # past when a retry would have been delivered
        assert len(receiver.requests) == 1


def test_an_endpoint_only_gets_the_events_it_subscribed_to(live: Hooks) -> None:
    with WebhookReceiver([200]) as trainings, WebhookReceiver([200]) as generations:
        live.endpoint(trainings, ["training.succeeded"])
        generations_id, secret = live.endpoint(generations, ["generation.succeeded"])
        live.emit("training.succeeded", {"n": 1})
        live.emit("generation.succeeded", {"n": 2})

        live.received(trainings, 1)
        (request,) = live.received(generations, 1)
        # One worker serves the queue in order, so the training event was handled first.
        assert request.verify(secret)["type"] == "generation.succeeded"
        (delivery,) = live.wait(lambda: live.deliveries(generations_id), "the delivery log")
        assert delivery.event_type == "generation.succeeded"
        assert len(trainings.requests) == 1


# --- single attempts, in-process ----------------------------------------------------------------


def queued_event(hooks: Hooks, receiver: WebhookReceiver) -> tuple[str, str]:
    """An endpoint, and the id of an event queued for it that the test delivers itself."""
    endpoint_id, _ = hooks.endpoint(receiver, ["training.succeeded"])
    return endpoint_id, hooks.emit("training.succeeded").id


def test_a_permanent_client_error_is_logged_and_not_retried(hooks: Hooks) -> None:
    with WebhookReceiver([Reply(400, body=b"unknown event")]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        assert hooks.attempt(endpoint_id, message_id) is AttemptResult.FAILED
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.status_code == 400 and "unknown event" in (delivery.error or "")
    assert delivery.next_attempt_at is None
    assert hooks.ctx.queue(WEBHOOKS).scheduled_job_registry.count == 0
    assert hooks.get(endpoint_id).enabled


def test_a_retryable_answer_schedules_the_next_attempt_of_the_same_message(hooks: Hooks) -> None:
    with WebhookReceiver([503]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        assert hooks.attempt(endpoint_id, message_id) is AttemptResult.RETRY_SCHEDULED
    registry = hooks.ctx.queue(WEBHOOKS).scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    assert job_id == delivery_job_id(message_id, endpoint_id, 2)
    job = Job.fetch(job_id, connection=hooks.ctx.redis)
    assert job.args == (hooks.tenant_id, endpoint_id, message_id)
    assert job.kwargs == {"attempt": 2}
    assert job.timeout == hooks.ctx.settings.webhook_job_timeout_seconds
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.next_attempt_at is not None
    assert registry.get_scheduled_time(job_id) == delivery.next_attempt_at


def test_retry_after_stretches_the_delay_up_to_the_longest_scheduled_one(hooks: Hooks) -> None:
    with WebhookReceiver([Reply(429, headers={"retry-after": "3600"})]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        assert hooks.attempt(endpoint_id, message_id) is AttemptResult.RETRY_SCHEDULED
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - delivery.attempted_at
    assert timedelta(seconds=max(SCHEDULE)) <= wait < timedelta(seconds=max(SCHEDULE) + 1)


def test_the_last_attempt_records_giving_up(hooks: Hooks) -> None:
    last = len(SCHEDULE) + 1
    with WebhookReceiver([500]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        assert hooks.attempt(endpoint_id, message_id, last) is AttemptResult.GAVE_UP
    (delivery,) = hooks.deliveries(endpoint_id)
    assert f"gave up after {last} attempts" in (delivery.error or "")
    assert delivery.next_attempt_at is None
    assert hooks.ctx.queue(WEBHOOKS).scheduled_job_registry.count == 0


def test_an_attempt_for_a_deleted_or_disabled_endpoint_stops_quietly(hooks: Hooks) -> None:
    with WebhookReceiver([200]) as receiver:
        deleted_id, deleted_message = queued_event(hooks, receiver)
        delete_webhook_endpoint(hooks.ctx, tenant_id=hooks.tenant_id, endpoint_id=deleted_id)
        assert hooks.attempt(deleted_id, deleted_message) is AttemptResult.SKIPPED

        disabled_id, disabled_message = queued_event(hooks, receiver)
        hooks.ctx.store.update_webhook_endpoint(
            hooks.tenant_id, disabled_id, lambda e: setattr(e, "enabled", False)
        )
        assert hooks.attempt(disabled_id, disabled_message) is AttemptResult.SKIPPED
        assert hooks.deliveries(disabled_id) == []
        assert receiver.requests == []
    remaining = list_webhook_endpoints(hooks.ctx, tenant_id=hooks.tenant_id)
    assert [e.id for e in remaining] == [disabled_id]


def test_an_expired_message_is_not_sent(hooks: Hooks) -> None:
    with WebhookReceiver([200]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        hooks.ctx.redis.delete(hooks.ctx.store.webhook_message_key(hooks.tenant_id, message_id))
        assert hooks.attempt(endpoint_id, message_id) is AttemptResult.SKIPPED
        assert receiver.requests == []


def test_the_job_entry_point_uses_the_context_its_worker_serves(hooks: Hooks) -> None:
    with WebhookReceiver([200]) as receiver:
        endpoint_id, message_id = queued_event(hooks, receiver)
        with pytest.raises(RuntimeError, match="no worker resources"):
            deliver_webhook(hooks.tenant_id, endpoint_id, message_id)
        with serving(WorkerResources(hooks.ctx)):
            assert deliver_webhook(hooks.tenant_id, endpoint_id, message_id) == "delivered"
        (request,) = receiver.requests
    assert json.loads(request.body)["type"] == "training.succeeded"
