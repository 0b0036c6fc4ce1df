"""``dreamchat run`` as a user runs it: embedded Redis, API, worker; Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import psutil
import pytest
import redis

from .net import free_port, wait_until_up

pytestmark = pytest.mark.slow


def _start_run(tmp_path, tiny_sd) -> tuple[subprocess.Popen, int]:
    """``dreamchat run`` in a subprocess, once ``/readyz`` says Redis and a worker are up."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DREAMCHAT_PARENT_PID")}
    env |= {"DREAMCHAT_DATA_DIR": str(tmp_path), "DREAMCHAT_BASE_MODEL": str(tiny_sd)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dreamchat.cli", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = wait_until_up(f"http://127.0.0.1:{port}/readyz", proc, timeout=90)
    assert ready.json() == {
        "ready": True,
        "draining": False,
        "checks": {"redis": True, "worker": True},
    }
    return proc, port


def _listen(url: str, headers: dict[str, str], lines: list[str]) -> None:
    """Read an event stream to its end; a stream cut off mid-body leaves its error last."""
    try:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            for line in response.iter_lines():
                lines.append(line)
    except httpx.HTTPError as exc:
        lines.append(repr(exc))


def test_run_starts_redis_api_worker_and_stops_them_on_ctrl_c(tmp_path, tiny_sd):
    proc, port = _start_run(tmp_path, tiny_sd)
    stream: list[str] = []
    try:
        tenant = json.loads((tmp_path / "dev-tenant.json").read_text())
        assert tenant["tenant_id"].startswith("ten_") and tenant["api_key"].startswith("dck_")
        redis_url = (tmp_path / "redis" / "redis.url").read_text()
        assert redis.Redis.from_url(redis_url).ping()
        # An open event stream (every widget holds one) must not hold Ctrl-C up.
        headers = {"Authorization": f"Bearer {tenant['api_key']}", "X-User-Id": "u1"}
        url = f"http://127.0.0.1:{port}/v1/events"
        listener = threading.Thread(target=_listen, args=(url, headers, stream), daemon=True)
        listener.start()
        deadline = time.monotonic() + 10
        while ": connected" not in stream:
            assert listener.is_alive() and time.monotonic() < deadline, stream
            time.sleep(0.05)
    finally:
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    stopped = time.monotonic() - interrupted
    print(f"\n`dreamchat run` stopped {stopped:.1f} s after Ctrl-C, with an event stream open")
    assert proc.returncode == 0, out
    assert stopped < 10, out
    listener.join(5)
    assert stream[-2:] == [": shutting down: reconnect with Last-Event-ID", ""], stream
    assert tenant["api_key"] in out and "stopped: API, worker and Redis" in out
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()


def test_nothing_outlives_a_sigkilled_run(tmp_path, tiny_sd):
    """SIGKILL can't be caught: the API processes, workers (with rq's scheduler children) and
    the embedded Redis notice their parent is gone and stop on their own, within seconds."""
    proc, _ = _start_run(tmp_path, tiny_sd)
    children = psutil.Process(proc.pid).children(recursive=True)
    names = " ".join(" ".join(c.cmdline()) for c in children)
    assert "redis-server" in names and "worker" in names, names
    assert len(children) >= 5, names  # Redis, two workers, two API processes
    proc.kill()
    proc.wait()
    killed = time.monotonic()
    gone, alive = psutil.wait_procs(children, timeout=20)
    for process in alive:  # don't leave them behind if the test fails
        process.kill()
    assert not alive, [" ".join(p.cmdline()) for p in alive]
    print(f"\n{len(gone)} processes gone {time.monotonic() - killed:.1f} s after SIGKILL")
