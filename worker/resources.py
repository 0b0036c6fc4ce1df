"""What a worker process lends its jobs, created once per process and passed in.

RQ calls a job function with the ids it was enqueued with and nothing else, so the worker
(``DreamWorker.work``) serves its ``WorkerResources`` for the length of its work loop and each job
takes it with :func:`current`. A test runs a job function in process the same way:
``with serving(WorkerResources(ctx)): train_subject(...)``. Kept free of the ML stack, so a worker
that only delivers webhooks never imports torch.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .context import Context

if TYPE_CHECKING:
    from .runtime import WorkerRuntime

__all__ = ["WorkerResources", "current", "serving"]


class WorkerResources:
    """What one worker process lends its jobs. The runtime (the model) is created on first
    use, so a worker that only delivers webhooks never loads one."""

    def __init__(self, ctx: Context, runtime: WorkerRuntime | None = None) -> None:
        self.ctx = ctx
        self._runtime = runtime
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        """Set when the worker was asked to stop (SIGTERM): a running training checkpoints at
        its next step and goes back to the queue instead of holding the shutdown up."""

    @property
    def runtime(self) -> WorkerRuntime:
        with self._lock:
            if self._runtime is None:
                from .runtime import WorkerRuntime

                self._runtime = WorkerRuntime(self.ctx.settings)
            return self._runtime


_serving: WorkerResources | None = None


@contextlib.contextmanager
def serving(resources: WorkerResources) -> Iterator[WorkerResources]:
    """Make ``resources`` the ones the jobs of this process run with, for the block's duration."""
    global _serving
    previous, _serving = _serving, resources
    try:
        yield resources
    finally:
        _serving = previous


def current() -> WorkerResources:
    if _serving is None:
        raise RuntimeError(
            "no worker resources: dreamchat jobs run in `dreamchat worker` (DreamWorker), "
            "or inside `with worker.resources.serving(WorkerResources(ctx)):`"
        )
    return _serving
