"""Queue overhead of a training on a warm worker, and adapter switches on a warm runtime.

    .venv/bin/python bench/worker_latency.py [--steps 100]

1. An embedded Redis, a model worker (generate,train) and a webhook worker, as ``dreamchat run``
   starts them; a warm-up training loads the model and fills the class cache.
2. Measured: wall time from ``start_training`` to the ``training.succeeded`` webhook arriving
   at a local receiver, divided by steps × the run's own median step time. Target <= 1.15.
3. Adapter switch on a warm ``GenerationRuntime``: LRU miss (load) and hit, in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.domain import Scope  # noqa: E402
from core.redis_server import EmbeddedRedis  # noqa: E402
from dreamchat.demo import synthetic_photos  # noqa: E402
from tests.worker.harness import ServiceEnv, wait_for  # noqa: E402
from tests.worker.webhook_receiver import WebhookReceiver  # noqa: E402
from trainer import TrainConfig, train  # noqa: E402
from trainer.generate import AdapterRef, GenerationRuntime  # noqa: E402
from trainer.quiet import quiet_libraries  # noqa: E402
from trainer.tiny import build_tiny_pipeline  # noqa: E402
from worker import services  # noqa: E402
from worker.events import create_webhook_endpoint  # noqa: E402


def _train_once(service, scope, photos, steps, receiver):
    ctx = service.ctx
    subject = service.trainable_subject(scope, photos, name=f"S{time.monotonic_ns()}")
    seen = len(receiver.requests)
    started = time.perf_counter()
    run = services.start_training(
        ctx, scope=scope, subject_id=subject.id, overrides={"steps": steps}
    )

    def succeeded():
        return any(
            json.loads(r.body)["type"] == "training.succeeded"
            and json.loads(r.body)["data"]["training_id"] == run.id
            for r in receiver.requests[seen:]
        )

    wait_for(succeeded, 600, "training.succeeded")
    wall = time.perf_counter() - started
    adapter = ctx.store.get_subject(scope, subject.id).adapter
    report = json.loads(ctx.blobs.get(f"{adapter}/training.json"))
    return wall, report


def queue_overhead(steps: int, work: Path) -> dict:
    model = build_tiny_pipeline(work / "model")
    photos = work / "photos"
    synthetic_photos(photos, count=4)
    with EmbeddedRedis(work / "redis") as redis_server, WebhookReceiver() as receiver:
        service = ServiceEnv(
            redis_server.url,
            work / "data",
            model,
            DREAMCHAT_CHECKPOINT_EVERY="0",
            DREAMCHAT_NUM_CLASS_IMAGES="4",
            DREAMCHAT_WORKER_HEARTBEAT_SECONDS="5",
            DREAMCHAT_DEAD_JOB_AFTER_SECONDS="30",
        )
        try:
            service.start_worker("generate,train")
            service.start_worker("webhooks")
            scope = Scope("ten_bench", "u1")
            create_webhook_endpoint(
                service.ctx, tenant_id=scope.tenant_id, url=receiver.url, events=[]
            )
            _train_once(service, scope, photos, 5, receiver)  # warm: class cache, first-call costs
            wall, report = _train_once(service, scope, photos, steps, receiver)
        finally:
            service.close()
    floor = steps * report["step_ms_median"] / 1000
    return {
        "steps": steps,
        "wall_s_start_to_webhook": round(wall, 3),
        "step_ms_median": report["step_ms_median"],
        "steps_x_median_s": round(floor, 3),
        "ratio": round(wall / floor, 3),
        "class_images_cached": report["class_images"]["cached"],
        "trainer_seconds_total": report["seconds_total"],
        "trainer_timings_s": report["timings"],
    }


def adapter_switch(work: Path, repeats: int = 5) -> dict:
    model = work / "model"
    adapters = []
    for i in range(3):
        out = work / f"adapter{i}"
        train(
            TrainConfig(
                base_model=str(model),
                photos=(str(work / "photos"),),
                token="sks",
                class_noun="dog",
                output_dir=str(out),
                steps=1,
                resolution=64,
                batch_size=1,
                prior=False,
                seed=i,
            )
        )
        adapters.append(AdapterRef(f"sub{i}", str(out)))
    runtime = GenerationRuntime(model, max_adapters=2)
    runtime.setup()
    miss, hit = [], []
    for _ in range(repeats):
        for ref in adapters:  # 3 adapters through an LRU of 2: every first touch is a miss
            t0 = time.perf_counter()
            was_hit = runtime.ensure_adapter(ref)
            (hit if was_hit else miss).append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            assert runtime.ensure_adapter(ref)
            hit.append((time.perf_counter() - t0) * 1000)
    return {
        "miss_ms_median": round(statistics.median(miss), 2),
        "hit_ms_median": round(statistics.median(hit), 4),
        "misses": len(miss),
        "hits": len(hit),
        "evictions": runtime.stats["evictions"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    quiet_libraries()
    work = Path(tempfile.mkdtemp(prefix="dreamchat-bench-worker-"))
    figures = {
        "queue_overhead": queue_overhead(args.steps, work),
        "adapter_switch": adapter_switch(work),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
