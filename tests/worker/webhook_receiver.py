"""A real webhook receiver on loopback for tests: records requests, answers from a script.

Delivery tests, and the integration tests where RQ worker processes deliver webhooks, need a
server that behaves like a tenant's endpoint: it fails a few times, then accepts; answers 410;
hangs past the timeout; redirects. A thread running ``http.server`` on 127.0.0.1 is enough and
keeps the traffic real (sockets, headers, Content-Length) without any mock.

    with WebhookReceiver([500, 500, 200]) as receiver:
        ...deliver to receiver.url (allow_hosts=["127.0.0.1"])...
        first, second, third = receiver.wait_for(3)
        third.verify(secret)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook

__all__ = ["ReceivedRequest", "Reply", "WebhookReceiver"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer; ``delay_s`` holds the answer back (for timeout tests)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased, as receivers look them up
    body: bytes

    def verify(self, secret: str) -> Any:
        """The parsed body if the Standard Webhooks signature checks out; raises otherwise."""
        return Webhook(secret).verify(self.body, self.headers)


class WebhookReceiver:
    """Answers request n with ``replies[n]``; once the script runs out, the last one repeats."""

    def __init__(self, replies: Sequence[int | Reply] = (200,), *, path: str = "/hook") -> None:
        if not replies:
            raise ValueError("a receiver needs at least one reply")
        self._replies = [r if isinstance(r, Reply) else Reply(status=r) for r in replies]
        self._path = path
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WebhookReceiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()  # wakes handlers sleeping on a delayed reply
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.base_url + self._path

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived (deliveries from other processes are async)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._requests)} of {count} requests in {timeout} s")
                self._changed.wait(left)
            return list(self._requests)

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._changed:
            reply = self._replies[min(len(self._requests), len(self._replies) - 1)]
            self._requests.append(request)
            self._changed.notify_all()
        return reply


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = receiver._record(ReceivedRequest(self.command, self.path, headers, body))
            if reply.delay_s and receiver._stopping.wait(reply.delay_s):
                return
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up first (a timeout test); nothing to answer

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
