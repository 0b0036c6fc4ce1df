"""``dreamchat worker``: an RQ worker that keeps its models warm and notices dead colleagues fast.

Two changes to RQ's ``SimpleWorker`` (which runs jobs in its own process: no fork, so the
pipeline loaded once stays loaded and CUDA is never forked):

- Heartbeats keep flowing while a long job runs. A ``SimpleWorker`` is busy inside the job, so a
  small thread renews the worker, job and started-registry entries every
  ``worker_heartbeat_seconds``; the registry entry lives only ``dead_job_after_seconds``.
- Maintenance (which requeues jobs whose registry entry expired, i.e. whose worker died) runs
  every few seconds instead of every ten minutes, and the idle dequeue wakes often enough to
  run it. A SIGKILLed training is therefore back in the queue well within a minute, and
  ``Retry`` hands it to a live worker, which resumes from the checkpoint.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading

import redis
from rq import SimpleWorker
from rq.job import Job

from core.settings import Settings, get_settings

from .context import GENERATE, QUEUE_ORDER, TRAIN, Context, context_from_settings
from .resources import WorkerResources, serving

__all__ = ["DreamWorker", "run_worker"]

log = logging.getLogger(__name__)


class DreamWorker(SimpleWorker):
    resources: WorkerResources
    """The context and warm runtime this process lends to every job (created once)."""
    preload: bool = False

    @property
    def settings(self) -> Settings:
        return self.resources.ctx.settings

    def work(self, *args, **kwargs) -> bool:
        with serving(self.resources):
            return super().work(*args, **kwargs)

    def request_stop(self, signum, frame) -> None:
        """SIGTERM/SIGINT: rq's warm shutdown waits for the running job, which for a training
        can be hours. Tell the job first: a training checkpoints at its next step and is put
        back on the queue (``run_training``), so the worker exits within seconds and another
        one resumes the run."""
        self.resources.stopping.set()
        super().request_stop(signum, frame)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.settings.dead_job_after_seconds

    def execute_job(self, job: Job, queue) -> None:
        stop = threading.Event()
        beat = threading.Thread(target=self._beat_while_running, args=(job, stop), daemon=True)
        beat.start()
        try:
            super().execute_job(job, queue)
        finally:
            stop.set()
            beat.join(timeout=5)

    def _beat_while_running(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(self.settings.worker_heartbeat_seconds):
            execution = self.execution
            if execution is None:
                continue
            try:
                self.maintain_heartbeats(job, execution)
            except redis.RedisError:
                log.warning("heartbeat for job %s failed; retrying", job.id, exc_info=True)

    def _start_scheduler(self, *args, **kwargs) -> None:
        # The scheduler is a forked process: start it before any model (and CUDA) is loaded.
        super()._start_scheduler(*args, **kwargs)
        if self.preload:  # a webhook-only worker never loads the ML stack
            self.resources.runtime.setup()
        self.log.info("dreamchat worker %s ready (model loaded: %s)", self.name, self.preload)


def build_worker(ctx: Context, queues: list[str], *, name: str | None = None) -> DreamWorker:
    unknown = set(queues) - set(QUEUE_ORDER)
    if unknown:
        raise ValueError(
            f"unknown queue(s) {sorted(unknown)}; choose from {', '.join(QUEUE_ORDER)}"
        )
    ordered = [q for q in QUEUE_ORDER if q in queues]  # generate is always served before train
    heartbeat = ctx.settings.worker_heartbeat_seconds
    worker = DreamWorker(
        [ctx.queue(q) for q in ordered],
        connection=ctx.redis,
        name=name,
        maintenance_interval=max(2, heartbeat),
        worker_ttl=max(
            ctx.settings.dead_job_after_seconds, 16
        ),  # idle dequeue wakes every ttl-15 s
        job_monitoring_interval=heartbeat,
    )
    worker.resources = WorkerResources(ctx)
    worker.preload = bool({GENERATE, TRAIN} & set(ordered))
    return worker


def run_worker(queues: list[str], *, burst: bool = False, name: str | None = None) -> bool:
    """Serve ``queues`` until stopped (SIGINT/SIGTERM: finish the current job, then exit)."""
    settings = get_settings()
    ctx = context_from_settings(settings)
    # In a container the pid is always the same and the host name is the pod's: a restarted
    # container would find its predecessor's registration (alive for up to the worker TTL) and
    # rq refuses a second worker of one name. The random part makes every start a new name.
    default = f"dreamchat-{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(3)}"
    worker = build_worker(ctx, queues, name=name or default)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
