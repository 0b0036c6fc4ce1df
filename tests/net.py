"""Loopback helpers for tests that talk over real sockets: a free port, an app served by
uvicorn in a thread, and waiting for a server started in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import httpx
import uvicorn

__all__ = ["free_port", "uvicorn_thread", "wait_until_up"]


def free_port() -> int:
    """A port nobody listens on right now (another program may still take it first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def uvicorn_thread(app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto") -> Iterator[str]:
    """Serve ``app`` on a loopback port from a thread; yields the base URL, stops on the way
    out. The socket is bound before the server starts, so no other program can take the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> httpx.Response:
    """Poll ``url`` until it answers 200; fails with the process's output if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the server exited before {url} answered:\n{output}")
        assert time.monotonic() < deadline, f"{url} did not answer 200 in {timeout:.0f} s"
        time.sleep(0.3)
