"""Many people chatting at once with ``dreamchat run``, over loopback: turn latency, errors and
the API process's memory; with ``--mixed``, while trainings and generations run too.

    .venv/bin/python bench/api_load.py [--sessions 100] [--seconds 60] [--think 1.0]
    .venv/bin/python bench/api_load.py --mixed [--trainings 2] [--generations 20] [--drain 60]

``dreamchat run`` starts as a subprocess on the offline agent and the tiny model, with its own
data dir and embedded Redis. Each session is a distinct end user of the development tenant
(API key + ``X-User-Id``) running the script below in a loop: conversation turns without any
generation, a new conversation per pass, a new subject on each of the first passes so state
grows a little. Between turns a session pauses ``--think`` seconds on average (uniform, half
to one and a half times), as a person would; ``--think 0`` measures saturation instead.

Latency counts turns started after ``--warmup`` seconds; errors count every turn (any non-2xx
or exception). The API process's RSS and thread count (the sync routes run on a thread pool
that grows with concurrency) are sampled every second. Rate limits are set so high that they
never refuse but still run. Targets (issue 5): p95 <= 150 ms, no errors,
RSS flat after warm-up.

``--mixed`` (issue 10) also sends ``--trainings`` trainings and ``--generations`` generations
through the REST API during the load (``bench/load_jobs.py``), each kind spread evenly from the
end of warm-up to the end of ``--seconds``. They run on the same machine as the API, so the
model worker competes with it for the CPUs (or runs on a GPU), and on one model worker, which
serves the ``generate`` queue before ``train``: a steady stream of generations holds trainings
back. Generations use a subject trained before the load (one step, not measured). The load
stops at ``--seconds``; jobs get ``--drain`` more seconds, then the ones left are cancelled, so
the run is bounded: start-up, the primer training (``--primer-timeout``), ``--seconds``,
``--drain`` and the service's shutdown. Reported besides: the turn latency while a training
was running (and outside those windows), jobs finished per second and how long after the load
began the last one finished, errors by kind.

Everything the bench starts stops with it, Ctrl-C included: ``dreamchat run`` takes its API,
workers and Redis down; the bench then waits for each of its descendants to exit and reports
(and kills) any that did not (``leftover_pids``, normally empty).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_jobs import (  # noqa: E402
    Job,
    JobPlan,
    primer_subject,
    run_jobs,
    summarize_jobs,
    training_windows,
)
from tests.worker.harness import FAST_SETTINGS  # noqa: E402

NAMES = ("Rex", "Luna", "Milo", "Bella", "Otis", "Nala")
SCRIPT = (
    "what can you do?",
    "this is my dog {name}",
    "what subjects do I have?",
    "how's {name} coming along?",
    "rename {name} to {name}ie",
    "is {name}ie trained yet?",
    "rename {name}ie to {name}",
    "list my subjects",
)
NO_LIMIT = str(10**9)  # per minute: the limiter runs, never refuses


@dataclass
class Turn:
    started_s: float  # since the load began
    ms: float
    error: str | None = None


@dataclass
class Load:
    turns: list[Turn] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    api_cpu_s: float = 0.0  # user + system, over the load
    client_cpu_s: float = 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(
    data_dir: Path, port: int, api_workers: int = 1, **extra_env: str
) -> subprocess.Popen:
    """``dreamchat run`` in a session of its own: a Ctrl-C at the terminal reaches only the
    bench, which stops the service itself (``stop_service``)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # embedded Redis
    # The tests' fast settings, but the production heartbeat and maintenance cadence: the
    # workers idle through this bench, and the tests' 1 s heartbeats are pure overhead here.
    quiet = {k: v for k, v in FAST_SETTINGS.items() if "HEARTBEAT" not in k and "DEAD_JOB" not in k}
    env |= quiet | {
        "DREAMCHAT_DATA_DIR": str(data_dir),
        "DREAMCHAT_RATE_LIMIT_TENANT_PER_MINUTE": NO_LIMIT,
        "DREAMCHAT_RATE_LIMIT_USER_PER_MINUTE": NO_LIMIT,
        **extra_env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "run.log").open("wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dreamchat.cli",
                "run",
                "--port",
                str(port),
                "--api-workers",
                str(api_workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_service(process: subprocess.Popen, timeout: float = 60) -> list[int]:
    """Ctrl-C for ``dreamchat run`` (a kill of its group after ``timeout``), then wait for every
    process it had started to go; answers the pids of those that had not, killed now."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # Workers and Redis notice their parent is gone within seconds (core/lifecycle.py).
    _, alive = psutil.wait_procs(descendants, timeout=30)
    for leftover in alive:
        try:
            leftover.kill()
        except psutil.NoSuchProcess:
            pass
    return [p.pid for p in alive]


def wait_ready(process: subprocess.Popen, base_url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"dreamchat run exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"dreamchat run not ready after {timeout} s")


def api_processes(pid: int) -> list[psutil.Process]:
    """The API processes: ``dreamchat run`` itself and, with ``--api-workers`` > 1, the
    uvicorn worker processes it spawned (not the RQ workers or Redis)."""
    try:
        parent = psutil.Process(pid)
        children = parent.children()
    except psutil.NoSuchProcess:
        return []
    workers = []
    for child in children:
        try:
            if any("multiprocessing" in part for part in child.cmdline()):
                workers.append(child)
        except psutil.Error:
            continue
    return [parent, *workers]


def memory_and_threads(pid: int) -> tuple[int, int]:
    """RSS in kB and the thread count of the API processes, summed."""
    rss = threads = 0
    for process in api_processes(pid):
        try:
            with process.oneshot():
                rss += process.memory_info().rss // 1024
                threads += process.num_threads()
        except psutil.Error:
            continue
    return rss, threads


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the API processes, summed."""
    total = 0.0
    for process in api_processes(pid):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def sample_rss(pid: int, began: float, until: float, load: Load) -> None:
    while (now := time.monotonic()) < until:
        rss, threads = memory_and_threads(pid)
        load.rss_kb.append((now - began, rss))
        load.threads.append(threads)
        await asyncio.sleep(1.0)


async def session(
    client: httpx.AsyncClient, user: str, began: float, until: float, think: float, load: Load
) -> None:
    """One person: the script in a loop, a new conversation each pass."""
    rng = random.Random(user)
    headers = {"X-User-Id": user}
    passes = 0
    while time.monotonic() < until:
        conversation = None
        name = NAMES[passes % len(NAMES)]
        passes += 1
        for template in SCRIPT:
            if time.monotonic() >= until:
                return
            body = {"message": template.format(name=name), "conversation_id": conversation}
            started = time.monotonic()
            error = None
            try:
                response = await client.post("/v1/chat", json=body, headers=headers)
                if response.is_success:
                    conversation = response.json()["conversation_id"]
                else:
                    error = str(response.status_code)
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            load.turns.append(Turn(started - began, (time.monotonic() - started) * 1000, error))
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def run_load(
    base_url: str,
    api_key: str,
    pid: int,
    *,
    sessions: int,
    seconds: float,
    think: float,
    plan: JobPlan | None = None,
    primer_timeout: float = 300,
) -> Load:
    load = Load()
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends: reusing one the server
    # is closing fails the request, which would count against the API for a client-side race.
    limits = httpx.Limits(
        max_connections=sessions, max_keepalive_connections=sessions, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        limits=limits,
        timeout=30,
    ) as client:
        primer = None
        if plan is not None:
            primer = await primer_subject(client, timeout=primer_timeout)
        api_cpu, client_cpu = cpu_seconds(pid), time.process_time()
        began = time.monotonic()
        until = began + seconds

        async def jobs() -> None:
            if plan is not None and primer is not None:
                load.jobs = await run_jobs(client, plan, began, primer)

        await asyncio.gather(
            sample_rss(pid, began, until, load),
            jobs(),
            *(session(client, f"load-{i}", began, until, think, load) for i in range(sessions)),
        )
        load.api_cpu_s = cpu_seconds(pid) - api_cpu
        load.client_cpu_s = time.process_time() - client_cpu
    return load


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _latency(ms: list[float]) -> dict | None:
    if not ms:
        return None
    ordered = sorted(ms)
    return {
        "turns": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(_percentile(ordered, 0.95), 1),
        "p99": round(_percentile(ordered, 0.99), 1),
        "max": round(ordered[-1], 1),
    }


def _during(windows: list[tuple[float, float]], at: float) -> bool:
    return any(start <= at <= end for start, end in windows)


def mixed_latency(load: Load, *, warmup: float) -> dict:
    """Turn latency while a training was running, and outside those windows."""
    windows = training_windows(load.jobs)
    warm = [t for t in load.turns if t.started_s >= warmup and t.error is None]
    return {
        "latency_ms_during_training": _latency(
            [t.ms for t in warm if _during(windows, t.started_s)]
        ),
        "latency_ms_outside_training": _latency(
            [t.ms for t in warm if not _during(windows, t.started_s)]
        ),
        "jobs": summarize_jobs(load.jobs),
    }


def summarize(load: Load, *, seconds: float, warmup: float) -> dict:
    errors = Counter(t.error for t in load.turns if t.error is not None)
    warm = [t.ms for t in load.turns if t.started_s >= warmup and t.error is None]
    rss_mb = [round(kb / 1024, 1) for _, kb in load.rss_kb]
    # the first sample taken after warm-up (the last one if the run was shorter)
    settled = next((i for i, (at, _) in enumerate(load.rss_kb) if at >= warmup), len(rss_mb) - 1)
    return {
        "turns": len(load.turns),
        "turns_per_s": round(len(load.turns) / seconds, 1),
        "api_cpu_ms_per_turn": round(load.api_cpu_s * 1000 / max(len(load.turns), 1), 1),
        "api_cpu_share": round(load.api_cpu_s / seconds, 2),  # 1.0: one core, all the time
        "client_cpu_share": round(load.client_cpu_s / seconds, 2),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "latency_ms_after_warmup": _latency(warm),
        "api_rss_mb": {
            "warmup_end": rss_mb[settled],
            "end": rss_mb[-1],
            "max": max(rss_mb),
            "max_after_warmup": max(rss_mb[settled:]),
            "per_second": rss_mb,
        },
        "api_threads": {"warmup_end": load.threads[settled], "end": load.threads[-1]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="seconds left out of latency")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between turns, s")
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary directory")
    parser.add_argument("--api-workers", type=int, default=1, help="passed to dreamchat run")
    mixed = parser.add_argument_group("mixed load (--mixed)")
    mixed.add_argument("--mixed", action="store_true", help="trainings and generations too")
    mixed.add_argument("--trainings", type=int, default=2)
    mixed.add_argument("--generations", type=int, default=20)
    mixed.add_argument("--training-steps", type=int, default=10)
    mixed.add_argument(
        "--quality-samples", type=int, help="DREAMCHAT_QUALITY_SAMPLES (default: the service's)"
    )
    mixed.add_argument("--drain", type=float, default=60, help="s for jobs after the load")
    mixed.add_argument("--poll", type=float, default=1.0, help="s between job status polls")
    mixed.add_argument("--primer-timeout", type=float, default=300, help="s, before the load")
    args = parser.parse_args()
    if not 0 <= args.warmup < args.seconds:
        parser.error("--warmup must be shorter than --seconds")
    if min(args.trainings, args.generations, args.drain) < 0 or args.training_steps < 1:
        parser.error("--trainings, --generations and --drain can't be negative, steps >= 1")
    if args.poll <= 0:
        parser.error("--poll must be positive")
    plan = None
    if args.mixed:
        plan = JobPlan(
            trainings=args.trainings,
            generations=args.generations,
            training_steps=args.training_steps,
            first_s=args.warmup,
            last_s=args.seconds,
            deadline_s=args.seconds + args.drain,
            poll_s=args.poll,
        )

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dreamchat-bench-load-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    load_average = os.getloadavg()
    # Every training of the run may be active at once (the tenant's default cap is 2).
    extra = {"DREAMCHAT_MAX_CONCURRENT_TRAININGS": str(args.trainings + 1)} if plan else {}
    if args.quality_samples is not None:
        extra["DREAMCHAT_QUALITY_SAMPLES"] = str(args.quality_samples)
    process = start_service(data_dir, port, args.api_workers, **extra)
    try:
        wait_ready(process, base_url)
        api_key = json.loads((data_dir / "dev-tenant.json").read_text())["api_key"]
        load = asyncio.run(
            run_load(
                base_url,
                api_key,
                process.pid,  # `dreamchat run` serves the API in its own process
                sessions=args.sessions,
                seconds=args.seconds,
                think=args.think,
                plan=plan,
                primer_timeout=args.primer_timeout,
            )
        )
    except KeyboardInterrupt:
        print("interrupted: stopping dreamchat run", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        # A second Ctrl-C must not leave the service running: the stop is bounded anyway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        leftover = stop_service(process)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if leftover:
            print(f"killed processes left behind by dreamchat run: {leftover}", file=sys.stderr)
    figures = {
        "sessions": args.sessions,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "think_s": args.think,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_average],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **summarize(load, seconds=args.seconds, warmup=args.warmup),
        **(mixed_latency(load, warmup=args.warmup) if plan else {}),
        "wall_s": round(time.monotonic() - started, 1),
        "service_exit_code": process.returncode,
        "leftover_pids": leftover,
        "service_log": str(data_dir / "run.log"),
    }
    if plan:
        figures["mixed"] = {
            "trainings": args.trainings,
            "generations": args.generations,
            "training_steps": args.training_steps,
            "drain_s": args.drain,
            "quality_samples": args.quality_samples,
            "poll_s": args.poll,
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
