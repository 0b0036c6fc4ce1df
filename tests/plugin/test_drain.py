"""SIGTERM on a real ``dreamchat serve`` process, over real HTTP (plugin/drain.py): ``/readyz``
turns 503 first, an open event stream ends cleanly at once, a request in flight finishes, the
listener closes, and the process exits with status 0 within 10 s — with one API process and
with ``--api-workers 2``. The measured times are printed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from rq import Queue, Worker

from core.domain import Scope, SubjectStatus
from core.tenants import create_tenant

from ..net import free_port, wait_until_up
from .conftest import purge_rq

pytestmark = pytest.mark.slow

DELAY = 1.5
"""``DREAMCHAT_SHUTDOWN_DELAY_SECONDS``: still serving, but unready, before the listener closes."""
CHAT_WAIT = 5.0
"""A chat turn waits this long for a generation that no worker takes: in flight across SIGTERM."""
GOODBYE = ": shutting down: reconnect with Last-Event-ID"


@dataclass
class Outcome:
    """What a client thread saw, and when (``time.monotonic()``)."""

    lines: list[str] = field(default_factory=list)
    error: str | None = None
    response: httpx.Response | None = None
    ended: float = 0.0


def _listen(url: str, headers: dict[str, str], seen: Outcome) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            for line in response.iter_lines():  # raises if the body is cut off
                seen.lines.append(line)
    except httpx.HTTPError as exc:
        seen.error = repr(exc)
    seen.ended = time.monotonic()


def _chat(url: str, headers: dict[str, str], seen: Outcome) -> None:
    try:
        seen.response = httpx.post(
            url, headers=headers, json={"message": "show Rex on the beach"}, timeout=30
        )
    except httpx.HTTPError as exc:
        seen.error = repr(exc)
    seen.ended = time.monotonic()


def _wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {timeout:.0f} s"
        time.sleep(0.05)


@pytest.mark.parametrize("api_workers", [1, 2])
def test_sigterm_drains_streams_and_requests_and_exits_within_10_s(
    api_workers, redis_url, key_prefix, redis_client, store, tmp_path
):
    tenant, api_key = create_tenant(store, name="drain")
    headers = {"Authorization": f"Bearer {api_key}", "X-User-Id": "u1"}
    # /readyz wants a live worker; a registered one that takes no jobs keeps the chat waiting.
    queue = Queue(store.queue_name("generate"), connection=redis_client)
    worker = Worker([queue], connection=redis_client)
    worker.register_birth()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "REDIS_URL": redis_url,
        "DREAMCHAT_KEY_PREFIX": key_prefix,
        "DREAMCHAT_DATA_DIR": str(tmp_path),
        "DREAMCHAT_SECRET_KEY": "drain-test-" + "k" * 40,
        "DREAMCHAT_CHAT_WAIT_SECONDS": str(CHAT_WAIT),
        "DREAMCHAT_SHUTDOWN_DELAY_SECONDS": str(DELAY),
    }
    command = ["serve", "--port", str(port), "--log-format", "text"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dreamchat.cli", *command, "--api-workers", str(api_workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until_up(f"{base}/readyz", proc, timeout=60).json()["draining"] is False
        subject = httpx.post(
            f"{base}/v1/subjects", headers=headers, json={"name": "Rex", "class_noun": "dog"}
        ).json()

        def trained(s):  # as a worker would have: the API only checks the record
            s.status, s.adapter = SubjectStatus.READY, f"adapters/{s.id}"

        store.update_subject(Scope(tenant.id, "u1"), subject["id"], trained)

        stream, chat = Outcome(), Outcome()
        listener = threading.Thread(target=_listen, args=(f"{base}/v1/events", headers, stream))
        listener.start()
        _wait_for(lambda: ": connected" in stream.lines, "connected event stream")
        talker = threading.Thread(target=_chat, args=(f"{base}/v1/chat", headers, chat))
        talker.start()
        _wait_for(lambda: queue.count > 0, "generation enqueued by the chat turn")

        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        answers: list[tuple[float, int, bool]] = []  # (seconds after SIGTERM, status, draining)
        refused_while_alive = False
        while proc.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1)
            except httpx.HTTPError:
                refused_while_alive = proc.poll() is None
                break
            answers.append(
                (time.monotonic() - stopped, ready.status_code, ready.json()["draining"])
            )
            time.sleep(0.1)
        proc.wait(timeout=20)
        exited = time.monotonic() - stopped
        listener.join(10)
        talker.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        worker.register_death()
        purge_rq(redis_client, key_prefix)
    output = proc.stdout.read() if proc.stdout else ""

    stream_ended = stream.ended - stopped
    chat_ended = chat.ended - stopped
    print(
        f"\n--api-workers {api_workers}: stream ended {stream_ended:.2f} s after SIGTERM, "
        f"the chat turn in flight {chat_ended:.2f} s, exit {exited:.2f} s (delay {DELAY} s); "
        f"/readyz answers: {[(round(t, 1), s) for t, s, _ in answers]}"
    )
    assert proc.returncode == 0, output
    assert exited < 10, output
    # Unready first: 503 with "draining" (after at most the supervisor's 0.5 s poll with 2).
    unready = [t for t, status, draining in answers if status == 503 and draining]
    assert unready, (answers, output)
    assert all(status == 503 for t, status, _ in answers if t >= unready[0]), answers
    # The stream ended at once, as a complete response, long before uvicorn's graceful timeout.
    assert stream.error is None and stream.lines[-2:] == [GOODBYE, ""], (stream, output)
    assert stream_ended < 2, stream_ended
    # The request in flight finished after SIGTERM, with its answer.
    assert chat.response is not None and chat.response.status_code == 200, (chat, output)
    assert chat.response.json()["generation_id"] and 0 < chat_ended < exited
    if api_workers == 1:
        # Then the listener closed: new connections are refused while the chat turn finishes.
        # (With --api-workers the supervisor keeps the socket until its processes are gone.)
        assert refused_while_alive, answers
