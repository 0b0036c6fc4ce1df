"""Standard Webhooks signing and delivery, over real HTTP to a loopback receiver."""

from __future__ import annotations

import base64
import json
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import NoReturn

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from core.domain import WEBHOOK_EVENTS, EventType
from tests.worker.webhook_receiver import Reply, WebhookReceiver
from worker.webhook_delivery import (
    USER_AGENT,
    DeliveryOutcome,
    DeliveryStatus,
    sign_and_send,
    webhook_client,
)
from worker.webhooks import (
    build_event,
    encode_event,
    new_message_id,
    new_secret,
    next_retry_delay,
    signature_headers,
)

from ..net import free_port

LOCAL = ["127.0.0.1"]
BODY = encode_event(
    build_event(
        "training.succeeded",
        {"subject_id": "sub_1", "adapter": "café"},
        now=datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with webhook_client(allow_hosts=LOCAL, timeout=5.0) as client:
        yield client


def send(
    client: httpx.Client,
    url: str,
    secret: str,
    *,
    message_id: str = "msg_test",
    timestamp: datetime | None = None,
    timeout: float = 5.0,
    allow_hosts: list[str] = LOCAL,
) -> DeliveryOutcome:
    return sign_and_send(
        url=url,
        secret=secret,
        message_id=message_id,
        body=BODY,
        client=client,
        timestamp=timestamp or datetime.now(UTC),
        allow_hosts=allow_hosts,
        timeout=timeout,
    )


# --- secrets, events, signatures -------------------------------------------------------------


def test_new_secret_is_a_whsec_secret_that_standardwebhooks_accepts() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert 24 <= len(key) <= 32
    Webhook(secret)  # does not raise
    assert new_secret() != secret


def test_new_message_ids_are_unique_and_prefixed() -> None:
    first, second = new_message_id(), new_message_id()
    assert first.startswith("msg_") and first != second


def test_build_event_shape() -> None:
    event = build_event(
        EventType.GENERATION_SUCCEEDED,
        {"generation_id": "gen_1"},
        now=datetime(2030, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
    )
    assert event == {
        "type": "generation.succeeded",
        "timestamp": "2030-01-02T03:04:05.000Z",
        "data": {"generation_id": "gen_1"},
    }


def test_every_documented_event_type_exists() -> None:
    assert {e.value for e in WEBHOOK_EVENTS} == {
        "training.started",
        "training.progress",
        "training.succeeded",
        "training.failed",
        "generation.succeeded",
        "generation.failed",
        "subject.deleted",
    }


def test_build_event_refuses_unknown_types_and_naive_times() -> None:
    with pytest.raises(ValueError):
        build_event("training.finished", {}, now=datetime.now(UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        build_event("training.started", {}, now=datetime(2030, 1, 1))


def test_encode_event_is_compact_utf8_json() -> None:
    assert json.loads(BODY)["data"]["adapter"] == "café"
    assert b": " not in BODY and "café".encode() in BODY


def test_signature_headers_match_the_reference_implementation() -> None:
    secret = new_secret()
    when = datetime(2030, 1, 2, 4, 4, 5, 900000, tzinfo=timezone(timedelta(hours=1)))
    headers = signature_headers(secret=secret, message_id="msg_1", timestamp=when, body=BODY)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(when.timestamp()))
    utc = when.astimezone(UTC)
    assert headers["webhook-signature"] == Webhook(secret).sign("msg_1", utc, BODY.decode())


@pytest.mark.parametrize(
    "secret", ["", "whsec_", "abc", "whsec_!!!!", "whsec_" + base64.b64encode(b"short").decode()]
)
def test_malformed_secrets_are_refused_without_being_echoed(secret: str) -> None:
    with pytest.raises(ValueError) as caught:
        signature_headers(secret=secret, message_id="m", timestamp=datetime.now(UTC), body=b"{}")
    if len(secret) > len("whsec_"):
        assert secret not in str(caught.value)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signature_headers(secret=new_secret(), message_id="m", timestamp=datetime.now(), body=b"")


# --- delivery over real HTTP -----------------------------------------------------------------


def test_delivery_verifies_on_the_receiver(client: httpx.Client) -> None:
    secret = new_secret()
    with WebhookReceiver([200]) as receiver:
        outcome = send(client, receiver.url, secret, message_id="msg_abc")
        (request,) = receiver.requests

    assert outcome.status is DeliveryStatus.DELIVERED
    assert (outcome.status_code, outcome.error, outcome.should_retry) == (200, None, False)
    assert outcome.duration_ms >= 0
    assert request.method == "POST" and request.path == "/hook"
    assert request.body == BODY
    assert request.verify(secret)["type"] == "training.succeeded"
    assert request.headers["webhook-id"] == "msg_abc"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert secret not in repr(outcome)


def test_a_tampered_body_or_another_secret_fails_verification(client: httpx.Client) -> None:
    secret = new_secret()
    with WebhookReceiver([200]) as receiver:
        send(client, receiver.url, secret)
        (request,) = receiver.requests

    tampered = request.body.replace(b"sub_1", b"sub_2")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)
    with pytest.raises(WebhookVerificationError):
        request.verify(new_secret())


def test_retries_reuse_the_message_id_with_fresh_signatures(client: httpx.Client) -> None:
    secret = new_secret()
    message_id = new_message_id()
    # Three attempts, each signed at its own (distinct) second, as a retrying job would.
    attempt_times = [datetime.now(UTC) - timedelta(seconds=s) for s in (2, 1, 0)]
    with WebhookReceiver([500, 500, 200]) as receiver:
        outcomes = [
            send(client, receiver.url, secret, message_id=message_id, timestamp=when)
            for when in attempt_times
        ]
        requests = receiver.requests

    assert [o.status for o in outcomes] == ["retryable", "retryable", "delivered"]
    assert [o.status_code for o in outcomes] == [500, 500, 200]
    assert [r.headers["webhook-id"] for r in requests] == [message_id] * 3
    assert len({r.headers["webhook-timestamp"] for r in requests}) == 3
    assert len({r.headers["webhook-signature"] for r in requests}) == 3
    for request in requests:
        assert request.verify(secret)["data"]["subject_id"] == "sub_1"


def test_410_means_gone(client: httpx.Client) -> None:
    with WebhookReceiver([410]) as receiver:
        outcome = send(client, receiver.url, new_secret())
    assert (outcome.status, outcome.status_code, outcome.should_retry) == ("gone", 410, False)


def test_error_bodies_are_kept_short(client: httpx.Client) -> None:
    with WebhookReceiver([Reply(400, body=b"bad\n  request " + b"x" * 100_000)]) as receiver:
        outcome = send(client, receiver.url, new_secret())
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 400: bad request xxx") and len(outcome.error) <= 200


def test_timeouts_are_retryable(client: httpx.Client) -> None:
    with WebhookReceiver([Reply(200, delay_s=5.0)]) as receiver:
        outcome = send(client, receiver.url, new_secret(), timeout=0.2)
    assert outcome.status is DeliveryStatus.RETRYABLE
    assert outcome.status_code is None
    assert outcome.error == "timed out after 0.2 s"


def test_refused_connections_are_retryable(client: httpx.Client) -> None:
    outcome = send(client, f"http://127.0.0.1:{free_port()}/hook", new_secret())
    assert outcome.status is DeliveryStatus.RETRYABLE
    assert outcome.error is not None and outcome.error.startswith("ConnectError")


def test_redirects_are_not_followed() -> None:
    with WebhookReceiver([200]) as target:
        reply = Reply(307, headers={"location": target.url})
        with WebhookReceiver([reply]) as receiver:
            # Even a client configured to follow redirects does not follow them here.
            with httpx.Client(follow_redirects=True) as client:
                outcome = send(client, receiver.url, new_secret())
            assert len(receiver.requests) == 1
        assert target.requests == []
    assert (outcome.status, outcome.status_code) == ("failed", 307)
    assert outcome.error == f"HTTP 307: redirect to {target.url} not followed"


def test_a_forbidden_url_is_never_contacted(client: httpx.Client) -> None:
    with WebhookReceiver([200]) as receiver:
        outcome = send(client, receiver.url, new_secret(), allow_hosts=[])
        assert receiver.requests == []
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith("webhook_url_forbidden: ")


# --- classification edge cases (no network needed) -------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (200, "delivered"),
        (202, "delivered"),
        (204, "delivered"),
        (301, "failed"),
        (400, "failed"),
        (401, "failed"),
        (404, "failed"),
        (408, "retryable"),
        (410, "gone"),
        (413, "failed"),
        (429, "retryable"),
        (500, "retryable"),
        (502, "retryable"),
        (503, "retryable"),
    ],
)
def test_status_codes_are_classified(code: int, status: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(code))
    with httpx.Client(transport=transport) as client:
        outcome = send(client, "http://93.184.215.14/hook", new_secret(), allow_hosts=[])
    assert (outcome.status, outcome.status_code) == (status, code)


def test_retry_after_is_reported() -> None:
    reply = httpx.Response(429, headers={"retry-after": "120"})
    with httpx.Client(transport=httpx.MockTransport(lambda request: reply)) as client:
        outcome = send(client, "http://93.184.215.14/hook", new_secret(), allow_hosts=[])
    assert (outcome.status, outcome.retry_after_s) == ("retryable", 120.0)


def test_an_unresolvable_host_is_retryable() -> None:
    def unresolvable(host: str, port: int) -> NoReturn:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        outcome = sign_and_send(
            url="https://hooks.example.com/",
            secret=new_secret(),
            message_id="msg_1",
            body=BODY,
            client=client,
            timestamp=datetime.now(UTC),
            allow_hosts=[],
            resolver=unresolvable,
        )
    assert outcome.status is DeliveryStatus.RETRYABLE
    assert outcome.error is not None and outcome.error.startswith("webhook_url_unresolvable")


def test_duration_comes_from_the_injected_clock() -> None:
    ticks = iter([10.0, 10.25])
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        outcome = sign_and_send(
            url="http://93.184.215.14/hook",
            secret=new_secret(),
            message_id="msg_1",
            body=BODY,
            client=client,
            timestamp=datetime.now(UTC),
            allow_hosts=[],
            monotonic=lambda: next(ticks),
        )
    assert outcome.duration_ms == 250.0


def test_default_client_times_out_after_10_seconds() -> None:
    with webhook_client(allow_hosts=[]) as client:
        assert client.timeout == httpx.Timeout(10.0)
        assert client.follow_redirects is False


# --- retry schedule --------------------------------------------------------------------------


def test_retry_schedule_walks_the_delays_then_gives_up() -> None:
    schedule = [5, 30, 120, 600]
    assert [next_retry_delay(n, schedule) for n in range(1, 6)] == [5.0, 30.0, 120.0, 600.0, None]
    assert next_retry_delay(1, []) is None


def test_retry_jitter_stays_within_bounds_and_is_reproducible() -> None:
    delays = [next_retry_delay(2, [5, 100], jitter=0.1, rng=random.Random(7)) for _ in range(2)]
    assert delays[0] == delays[1]
    assert delays[0] is not None and 90.0 <= delays[0] <= 110.0 and delays[0] != 100.0


@pytest.mark.parametrize(
    ("attempt", "delays", "jitter"), [(0, [5], 0.0), (1, [-1], 0.0), (1, [5], 1.0)]
)
def test_retry_schedule_refuses_nonsense(attempt: int, delays: list[float], jitter: float) -> None:
    with pytest.raises(ValueError):
        next_retry_delay(attempt, delays, jitter=jitter)
