"""One signed webhook attempt over HTTP, and what the caller should do next.

:func:`sign_and_send` never raises for anything the receiver or the network does: it returns a
:class:`DeliveryOutcome` for the delivery log, and its ``status`` tells the caller (the delivery
job) whether to stop, schedule a retry (:func:`worker.webhooks.next_retry_delay`) or
disable the endpoint. It raises only for caller bugs (a malformed secret, a naive timestamp).

Receivers are untrusted servers, so an attempt reads at most a short excerpt of an error
response, never follows redirects (a redirect could point anywhere, including places the SSRF
guard refused), and sends nothing but the body and the signature headers.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import httpx

from core.netguard import GuardedTransport, Resolver, WebhookUrlError, check_webhook_url
from worker.webhooks import signature_headers

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "USER_AGENT",
    "DeliveryOutcome",
    "DeliveryStatus",
    "sign_and_send",
    "webhook_client",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
# Names the sender and the payload format version, not the package version: receivers filter
# on it, and it should not change with every release.
USER_AGENT = "dreamchat-webhooks/1"
_EXCERPT_BYTES = 512
_ERROR_CHARS = 200
_RETRYABLE_4XX = frozenset({408, 425, 429})


class DeliveryStatus(StrEnum):
    """What one attempt means for the message and its endpoint."""

    DELIVERED = "delivered"  # 2xx: done
    RETRYABLE = "retryable"  # 5xx, 408, 425, 429, timeouts, network errors: try again later
    GONE = "gone"  # 410: the receiver asks us to stop; disable the endpoint
    FAILED = "failed"  # other 4xx, 3xx, refused URLs: retrying would not help


@dataclass(frozen=True)
class DeliveryOutcome:
    """One attempt, as the delivery log records it. Holds no secret and no signature."""

    status: DeliveryStatus
    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after_s: float | None = None  # the receiver's Retry-After, in seconds, when given

    @property
    def should_retry(self) -> bool:
        return self.status is DeliveryStatus.RETRYABLE


def webhook_client(
    *,
    allow_hosts: Iterable[str],
    timeout: float = DEFAULT_TIMEOUT_S,
    resolver: Resolver = socket.getaddrinfo,
) -> httpx.Client:
    """The client deliveries should use: SSRF-checked at connect time, no redirects.

    Create one per worker process and reuse it; its pool keeps connections to busy receivers.
    """
    transport = GuardedTransport(allow_hosts=allow_hosts, resolver=resolver)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)


def sign_and_send(
    *,
    url: str,
    secret: str,
    message_id: str,
    body: bytes,
    client: httpx.Client,
    timestamp: datetime,
    allow_hosts: Iterable[str],
    timeout: float = DEFAULT_TIMEOUT_S,
    resolver: Resolver = socket.getaddrinfo,
    monotonic: Callable[[], float] = time.monotonic,
) -> DeliveryOutcome:
    """Sign ``body`` for this attempt (``timestamp``) and POST it to ``url``.

    ``message_id`` and ``body`` must be the same on every retry of a message. The URL is checked
    here as well as at connect time (when ``client`` comes from :func:`webhook_client`): a plain
    client still gets the check, but only the guarded one also defeats DNS rebinding.
    """
    headers = {
        **signature_headers(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    started = monotonic()
    try:
        check_webhook_url(url, allow_hosts=allow_hosts, resolver=resolver)
        with client.stream(
            "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            outcome = _from_response(response, started, monotonic)
    except WebhookUrlError as exc:
        temporary = exc.code == WebhookUrlError.UNRESOLVABLE
        status = DeliveryStatus.RETRYABLE if temporary else DeliveryStatus.FAILED
        outcome = _outcome(status, None, f"{exc.code}: {exc}", started, monotonic)
    except httpx.TimeoutException:
        outcome = _outcome(
            DeliveryStatus.RETRYABLE, None, f"timed out after {timeout:g} s", started, monotonic
        )
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        outcome = _outcome(DeliveryStatus.FAILED, None, str(exc), started, monotonic)
    except httpx.TransportError as exc:
        error = f"{type(exc).__name__}: {exc}"
        outcome = _outcome(DeliveryStatus.RETRYABLE, None, error, started, monotonic)
    logger.info(
        "webhook %s to %s: %s (%s) in %.0f ms",
        message_id,
        _host(url),
        outcome.status,
        outcome.status_code,
        outcome.duration_ms,
    )
    return outcome


def _from_response(
    response: httpx.Response, started: float, monotonic: Callable[[], float]
) -> DeliveryOutcome:
    code = response.status_code
    if 200 <= code < 300:
        return _outcome(DeliveryStatus.DELIVERED, code, None, started, monotonic)
    if code == 410:
        status = DeliveryStatus.GONE
    elif code >= 500 or code in _RETRYABLE_4XX:
        status = DeliveryStatus.RETRYABLE
    else:
        status = DeliveryStatus.FAILED
    if response.is_redirect:
        detail = f"redirect to {response.headers.get('location', '?')} not followed"
    else:
        detail = _excerpt(response)
    error = f"HTTP {code}: {detail}" if detail else f"HTTP {code}"
    return _outcome(status, code, error, started, monotonic, _retry_after(response))


def _outcome(
    status: DeliveryStatus,
    code: int | None,
    error: str | None,
    started: float,
    monotonic: Callable[[], float],
    retry_after_s: float | None = None,
) -> DeliveryOutcome:
    if error is not None:
        error = " ".join(error.split())[:_ERROR_CHARS]
    duration_ms = round((monotonic() - started) * 1000.0, 1)
    return DeliveryOutcome(status, code, error, duration_ms, retry_after_s)


def _excerpt(response: httpx.Response) -> str:
    """The start of an error body; a receiver cannot make the worker read megabytes."""
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= _EXCERPT_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status code is what counts; a broken error body is not worth a retry
    return data[:_EXCERPT_BYTES].decode("utf-8", errors="replace")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _host(url: str) -> str:
    """Only the host goes to the log: query strings often carry the receiver's own tokens."""
    try:
        return httpx.URL(url).host or "?"
    except httpx.InvalidURL:
        return "?"
