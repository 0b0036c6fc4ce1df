"""The benchmarks under ``bench/`` still run and report every figure: ``bench/gpu.sh --smoke``
end to end on tiny pipelines (CPU here), its fallback where torch sees no GPU, the peak table,
and the mixed load's arithmetic (training windows, jobs per second) on made-up jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.api_load import Load, Turn, mixed_latency
from bench.gpu import peak_tflops
from bench.load_jobs import Job, JobPlan, training_windows

ROOT = Path(__file__).resolve().parents[1]
GPU_SH = ROOT / "bench" / "gpu.sh"
SIZE_FIGURES = {
    "resolution",
    "build_s",
    "load_s",
    "unet_params_m",
    "train_step_ms",
    "floor_step_ms",
    "ratio",
    "train_steps",
    "train_timings_s",
    "flops_per_step",
    "train_tflops",
    "floor_tflops",
    "train_peak_share",
    "floor_peak_share",
    "peak_vram_gib",
    "generate_s",
    "generate_steps",
    "adapter_ms",
}


@pytest.mark.slow
def test_gpu_smoke_reports_every_figure(tmp_path: Path) -> None:
    env = os.environ | {"OUT": str(tmp_path), "BENCH_PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(GPU_SH), "--smoke"], env=env, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((tmp_path / "gpu.json").read_text())
    assert figures["smoke"] is True and set(figures["sizes"]) == {"tiny", "tiny-xl"}
    cuda = torch.cuda.is_available()
    assert figures["cuda"] is cuda
    if not cuda:
        assert "CUDA IS NOT AVAILABLE" in done.stderr
    for size in figures["sizes"].values():
        assert set(size) == SIZE_FIGURES
        for name in ("train_step_ms", "floor_step_ms", "ratio", "generate_s", "train_tflops"):
            assert size[name] > 0, name
        assert size["flops_per_step"] > 10**6
        assert set(size["peak_vram_gib"]) == {"train", "floor", "generate"}
        assert set(size["adapter_ms"]) == {
            "load_ms",
            "hit_ms",
            "set_adapters_ms",
            "unload_ms",
            "repeats",
        }
        assert size["adapter_ms"]["load_ms"] > size["adapter_ms"]["hit_ms"]
        if not cuda:  # said plainly, not made up
            assert size["train_peak_share"] is None and size["peak_vram_gib"]["train"] is None
    # the table names both sizes
    assert "tiny 32px" in done.stdout and "tiny-xl 32px" in done.stdout


def test_gpu_sh_without_a_gpu_runs_the_smoke_and_exits_3(tmp_path: Path) -> None:
    """A stand-in Python that answers the probe like a CPU build of torch and records how
    bench/gpu.py would have been called."""
    calls = tmp_path / "calls"
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-c" ]; then\n'
        '  echo "cuda=0 torch=2.x+cpu built_for_cuda=None device=-"\n'
        "else\n"
        f'  echo "$@" >> {calls}\n'
        "fi\n"
    )
    fake.chmod(0o755)
    env = os.environ | {"OUT": str(tmp_path / "out"), "BENCH_PYTHON": str(fake)}
    done = subprocess.run(
        ["bash", str(GPU_SH), "--sizes", "sd15"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 3
    assert "CUDA IS NOT AVAILABLE" in done.stderr and "CPU-only build" in done.stderr
    assert calls.read_text().split() == [
        "bench/gpu.py",
        "--smoke",
        "--out",
        f"{tmp_path}/out/gpu.json",
        "--sizes",
        "sd15",
    ]


def test_peak_tflops_by_card_name() -> None:
    assert peak_tflops("NVIDIA H200") == 989.0
    assert peak_tflops("NVIDIA H100 80GB HBM3") == 989.0  # SXM
    assert peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert peak_tflops("NVIDIA GeForce RTX 4090") is None


def test_mixed_load_figures() -> None:
    done = {"status": "succeeded"}
    jobs = [
        Job("training", "t0", 10, "trn_a", enqueued_s=10, started_s=12, finished_s=20, **done),
        Job("training", "t1", 30, "trn_b", enqueued_s=30, started_s=31, status="unfinished"),
        Job("generation", "g", 10, "gen_a", enqueued_s=10, started_s=11, finished_s=12, **done),
        Job("generation", "g", 15, "gen_b", enqueued_s=15, started_s=21, finished_s=22, **done),
        Job("generation", "g", 20, error="POST /v1/generations: content_policy"),  # refused
    ]
    assert training_windows(jobs) == [(12, 20), (31, float("inf"))]

    load = Load(
        turns=[
            Turn(5, 999),  # warm-up
            Turn(11, 10),
            Turn(15, 200),  # a training runs
            Turn(25, 20),
            Turn(40, 300),  # the second one
            Turn(41, 5, error="500"),
        ],
        jobs=jobs,
    )
    figures = mixed_latency(load, warmup=10)
    assert figures["latency_ms_during_training"]["turns"] == 2
    assert figures["latency_ms_during_training"]["max"] == 300
    assert figures["latency_ms_outside_training"]["turns"] == 2
    generation = figures["jobs"]["generation"]
    assert generation["statuses"] == {"succeeded": 2, "not_sent": 1}
    assert generation["per_s"] == round(2 / (22 - 10), 3)
    assert generation["queued_s"] == {"p50": 3.5, "max": 6.0}
    assert figures["jobs"]["training"]["per_s"] == round(1 / (20 - 10), 3)
    assert figures["jobs"]["training_windows_s"] == [[12, 20], [31, None]]
    assert figures["jobs"]["all_done_s"] is None  # a job never finished
    assert figures["jobs"]["error_kinds"] == {"POST /v1/generations: content_policy": 1}


def test_job_plan_spreads_each_kind_over_the_window() -> None:
    plan = JobPlan(
        trainings=2, generations=4, training_steps=5, first_s=10, last_s=50, deadline_s=80
    )
    due = [(job.kind, job.due_s) for job in plan.jobs()]
    assert due == [
        ("training", 10),
        ("training", 30),
        ("generation", 10),
        ("generation", 20),
        ("generation", 30),
        ("generation", 40),
    ]
    assert len({job.user for job in plan.jobs() if job.kind == "training"}) == 2
