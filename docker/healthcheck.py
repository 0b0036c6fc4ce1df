"""Health check of a dreamchat container: the images' HEALTHCHECK and the workers' exec probes.

    python healthcheck.py              # decide from the container's main command (PID 1)
    python healthcheck.py http [URL]   # the API answers URL (default: /healthz on port 8000)
    python healthcheck.py worker       # an rq worker of this host is registered in Redis

Exit status 0: healthy; 1: not. It runs every few seconds in every container, so it imports
only the standard library, plus redis and rq for a worker.

A worker is healthy while Redis holds a live registration of an rq worker whose hostname is
this container's: rq renews it on every heartbeat, also while a long training runs, and lets
it expire when the worker hangs or dies. When Redis cannot be reached the worker counts as
healthy: this is a liveness check, and restarting every worker during a Redis outage would
stop their trainings without bringing Redis back (the API's ``/healthz`` does not touch Redis
for the same reason).
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

DEFAULT_PORT = 8000
TIMEOUT_SECONDS = 3.0


def http_ok(url: str, *, timeout: float = TIMEOUT_SECONDS) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def worker_alive(redis_url: str, hostname: str, *, timeout: float = TIMEOUT_SECONDS) -> bool:
    import redis
    from rq.worker import Worker

    client = redis.Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        keys = Worker.all_keys(connection=client)
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, "hostname", "death")
            rows = pipe.execute()
    except redis.RedisError as exc:
        print(f"Redis unreachable ({exc}); counting the worker as alive", file=sys.stderr)
        return True
    finally:
        client.close()
    return any(
        host is not None and host.decode() == hostname and death is None for host, death in rows
    )


def mode_of(command: Sequence[str]) -> tuple[str, str | None]:
    """What the container runs, from its main command line (``dumb-init -- dreamchat serve
    --port 9000``): ``("http", url)`` for the API, ``("worker", None)`` for a worker, and
    ``("none", None)`` for anything else (a one-off command has nothing to check)."""
    words = list(command)
    if "worker" in words:
        return "worker", None
    if "serve" in words or "run" in words:
        port = DEFAULT_PORT
        for i, word in enumerate(words):
            if word == "--port" and i + 1 < len(words):
                port = int(words[i + 1])
            elif word.startswith("--port="):
                port = int(word.split("=", 1)[1])
        return "http", f"http://127.0.0.1:{port}/healthz"
    return "none", None


def main_command() -> list[str]:
    with open("/proc/1/cmdline", "rb") as f:
        return [part.decode(errors="replace") for part in f.read().split(b"\0") if part]


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "http":
        mode, url = "http", (argv[1] if len(argv) > 1 else None)
        url = url or f"http://127.0.0.1:{DEFAULT_PORT}/healthz"
    elif argv and argv[0] == "worker":
        mode, url = "worker", None
    elif not argv:
        mode, url = mode_of(main_command())
    else:
        print(f"usage: {sys.argv[0]} [http [URL] | worker]", file=sys.stderr)
        return 2
    if mode == "http":
        assert url is not None
        ok = http_ok(url)
        if not ok:
            print(f"{url} did not answer 200", file=sys.stderr)
        return 0 if ok else 1
    if mode == "worker":
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            print("REDIS_URL is not set", file=sys.stderr)
            return 1
        hostname = socket.gethostname()
        ok = worker_alive(redis_url, hostname)
        if not ok:
            print(f"no live rq worker registered for host {hostname}", file=sys.stderr)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
