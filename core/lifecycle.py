"""Processes that never outlive the one that started them.

``dreamchat run`` starts Redis, API processes and workers. However it ends — Ctrl-C, SIGTERM,
or SIGKILL, which it cannot catch — they must go with it, within seconds:

- A child we can run code in (a worker, an API process) calls ``watch_parent(pid)``: a daemon
  thread that notices the parent is gone (the child was re-parented), asks the process to stop
  with SIGTERM (a worker checkpoints or requeues; an API process drains) and, if it is still
  there after ``grace_seconds``, SIGKILLs its whole process group (rq's scheduler child too).
- A child we can't (``redis-server``) gets the kernel's parent-death signal (Linux
  ``prctl(PR_SET_PDEATHSIG)``) through ``die_with_parent``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["die_with_parent", "watch_parent"]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that has the kernel send ``sig`` to the child
    when the process that started it dies; None where the kernel has no such feature."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec


def watch_parent(
    parent_pid: int, *, grace_seconds: float = 10.0, interval: float = 0.5
) -> threading.Thread | None:
    """Stop this process when ``parent_pid`` is no longer its parent. Nothing is watched when
    this process *is* ``parent_pid`` (the launcher serving the API in its own process)."""
    if parent_pid == os.getpid():
        return None

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        log.warning("parent process %d is gone; stopping", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_seconds)
        log.error("still running %.0f s after the parent died; killing", grace_seconds)
        with contextlib.suppress(OSError):
            if os.getpgid(0) == os.getpid():  # our own group (workers run in one): all of it
                os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread
