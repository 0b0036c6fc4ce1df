"""Real ``dreamchat worker`` processes for integration tests, and a service environment
(settings, Redis prefix, data dir, tiny model) shared by the test process and its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from rq import Worker

from core.blob_keys import upload_key
from core.domain import Scope, Subject
from core.ids import UPLOAD, new_id
from core.settings import load_settings
from core.subjects import attach_photos, create_subject
from worker.context import Context, context_from_settings

FAST_SETTINGS = {
    "DREAMCHAT_TRAIN_RESOLUTION": "64",
    "DREAMCHAT_NUM_CLASS_IMAGES": "2",
    "DREAMCHAT_CLASS_SAMPLER_STEPS": "2",
    "DREAMCHAT_IMAGE_SIZE": "64",
    "DREAMCHAT_GENERATION_STEPS": "2",
    "DREAMCHAT_DEFAULT_TRAINING_STEPS": "10",
    "DREAMCHAT_CHECKPOINT_EVERY": "5",
    "DREAMCHAT_WORKER_HEARTBEAT_SECONDS": "1",
    "DREAMCHAT_DEAD_JOB_AFTER_SECONDS": "4",
    "DREAMCHAT_WEBHOOK_ALLOW_HOSTS": "127.0.0.1,localhost",
    "DREAMCHAT_WEBHOOK_RETRY_SCHEDULE": "1,1,1",
}


class ServiceEnv:
    """One isolated deployment: its own key prefix (so queue names too) and data dir."""

    def __init__(
        self,
        redis_url: str,
        data_dir: Path,
        base_model: Path | None,
        *,
        fast: bool = True,
        **extra: str,
    ):
        """``base_model`` None and ``fast`` False: the service exactly as shipped (the
        committed ToyWorld model and the defaults that follow it)."""
        self.prefix = f"dctest-{uuid.uuid4().hex[:10]}"
        self.env = {
            **(FAST_SETTINGS if fast else {}),
            "REDIS_URL": redis_url,
            "DREAMCHAT_KEY_PREFIX": self.prefix,
            "DREAMCHAT_DATA_DIR": str(data_dir),
            **({"DREAMCHAT_BASE_MODEL": str(base_model)} if base_model is not None else {}),
            **extra,
        }
        settings = load_settings(
            **{
                k.removeprefix("DREAMCHAT_").lower(): v
                for k, v in self.env.items()
                if k.startswith("DREAMCHAT_")
            },
            redis_url=redis_url,
        )
        self.ctx: Context = context_from_settings(settings)
        self.workers: list[WorkerProcess] = []

    def start_worker(
        self, queues: str = "generate,train,webhooks", **extra_env: str
    ) -> WorkerProcess:
        worker = WorkerProcess(self, queues, {**self.env, **extra_env})
        self.workers.append(worker)
        return worker.wait_ready()

    def stop_workers(self) -> None:
        """For a test that must know which worker runs its job."""
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def close(self) -> None:
        self.stop_workers()
        keys = list(self.ctx.redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        keys += list(self.ctx.redis.scan_iter(match=f"rq:*{self.prefix}*", count=1000))
        if keys:
            self.ctx.redis.delete(*keys)

    def trainable_subject(
        self, scope: Scope, photos: Path, name: str = "Rex", class_noun: str = "dog"
    ) -> Subject:
        subject = create_subject(self.ctx.store, scope=scope, name=name, class_noun=class_noun)
        upload_ids = []
        for photo in sorted(photos.iterdir()):
            upload_id = new_id(UPLOAD)
            self.ctx.blobs.put(upload_key(scope, upload_id, photo.suffix), photo.read_bytes())
            upload_ids.append(upload_id)
        return attach_photos(
            self.ctx.store,
            self.ctx.blobs,
            scope=scope,
            subject_id=subject.id,
            upload_ids=upload_ids,
            settings=self.ctx.settings,
        )


class WorkerProcess:
    def __init__(self, service: ServiceEnv, queues: str, env: dict[str, str]):
        self.service = service
        self.name = f"w-{uuid.uuid4().hex[:8]}"
        self.log = Path(env["DREAMCHAT_DATA_DIR"]) / f"{self.name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dreamchat.cli",
                "worker",
                "--queues",
                queues,
                "--name",
                self.name,
            ],
            env=os.environ | env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, scheduler child included
        )

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        """Registered with RQ and its model loaded (the log says when it starts listening)."""
        wait_for(
            lambda: (
                any(w.name == self.name for w in Worker.all(connection=self.service.ctx.redis))
                and f"dreamchat worker {self.name} ready" in self.output()
            ),
            timeout,
            f"worker {self.name} to start",
            self,
        )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """Like a machine dying: the worker and its forked scheduler go at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever of its group is left (a scheduler child that outlived a worker stopped
        # while it was still starting) goes too: a test leaves no process behind.
        self.kill()
        self._log_file.close()


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, worker: WorkerProcess | None = None
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(
                f"worker exited while waiting for {what}:\n{worker.output()[-3000:]}"
            )
        time.sleep(0.1)
    tail = worker.output()[-3000:] if worker else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")
