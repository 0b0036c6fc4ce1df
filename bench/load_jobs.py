"""Trainings and generations sent through the API while ``bench/api_load.py --mixed`` chats.

Each job goes through the doors an integrator uses (docs/integrate.md): a training is
``POST /v1/subjects``, one ``POST /v1/uploads`` per photo, ``POST /v1/subjects/{id}/photos``
and ``POST /v1/subjects/{id}/train``; a generation is ``POST /v1/generations`` on a subject
trained before the load began (the primer, which also warms the model worker and fills the
class-prior cache). Every job is then polled on ``GET /v1/jobs/{id}``: the first poll that
sees it ``started`` and the one that sees it finished bound its window, to within the poll
interval (``--poll``). A job not finished by the deadline is cancelled and counted ``unfinished``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["Job", "JobPlan", "primer_subject", "run_jobs", "summarize_jobs", "training_windows"]

# The demo's committed ToyWorld photos: PNG, 256 px, pass every check for a dog.
PHOTOS = tuple(
    sorted((Path(__file__).resolve().parents[1] / "plugin/static/samples").glob("*.png"))
)
FINISHED = ("succeeded", "failed", "cancelled")
PRIMER_USER = "bench-primer"


class JobRefused(Exception):
    """A request on the way to enqueueing a job answered with an error; ``kind`` names it."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class Job:
    kind: str  # "training" or "generation"
    user: str
    due_s: float  # when it is sent, in seconds since the load began
    id: str | None = None
    enqueued_s: float | None = None
    started_s: float | None = None
    finished_s: float | None = None
    status: str = "not_sent"  # then a JobStatus value, or "unfinished" past the deadline
    error: str | None = None
    polls: int = 0


@dataclass(frozen=True)
class JobPlan:
    trainings: int
    generations: int
    training_steps: int
    first_s: float
    """Jobs are sent evenly spread over [first_s, last_s), each kind from first_s on."""
    last_s: float
    deadline_s: float
    """Jobs still running then are cancelled."""
    poll_s: float = 1.0
    """A poll is a request like any other: part of the load the API serves."""

    def jobs(self) -> list[Job]:
        def spread(count: int) -> list[float]:
            span = self.last_s - self.first_s
            return [self.first_s + i * span / count for i in range(count)]

        return [
            *(
                Job("training", f"bench-train-{i}", due)
                for i, due in enumerate(spread(self.trainings))
            ),
            *(Job("generation", PRIMER_USER, due) for due in spread(self.generations)),
        ]


def _checked(response: httpx.Response) -> dict:
    if not response.is_success:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = str(response.status_code)
        raise JobRefused(f"{response.request.method} {response.request.url.path}: {code}")
    return response.json()


async def start_training(
    client: httpx.AsyncClient, *, user: str, name: str, steps: int
) -> tuple[dict, str]:
    """A new dog subject with the sample photos, its training queued: (subject, job id)."""
    headers = {"X-User-Id": user}
    subject = _checked(
        await client.post("/v1/subjects", json={"name": name, "class_noun": "dog"}, headers=headers)
    )
    uploads = []
    for photo in PHOTOS:
        files = {"file": (photo.name, photo.read_bytes(), "image/png")}
        uploads.append(
            _checked(await client.post("/v1/uploads", files=files, headers=headers))["upload_id"]
        )
    _checked(
        await client.post(
            f"/v1/subjects/{subject['id']}/photos", json={"upload_ids": uploads}, headers=headers
        )
    )
    queued = _checked(
        await client.post(
            f"/v1/subjects/{subject['id']}/train", json={"steps": steps}, headers=headers
        )
    )
    return subject, queued["job_id"]


async def primer_subject(client: httpx.AsyncClient, *, timeout: float) -> dict:
    """The subject every generation uses, trained (one step is enough) before the load begins;
    it also loads the model in the worker and fills the class-prior cache."""
    subject, job_id = await start_training(client, user=PRIMER_USER, name="Primer", steps=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _checked(
            await client.get(f"/v1/jobs/{job_id}", headers={"X-User-Id": PRIMER_USER})
        )
        if status["status"] == "succeeded":
            return subject
        if status["status"] in FINISHED:
            raise SystemExit(f"the primer training ended {status['status']}: {status['error']}")
        await asyncio.sleep(0.5)
    raise SystemExit(f"the primer training did not finish in {timeout:.0f} s")


async def _follow(client: httpx.AsyncClient, job: Job, began: float, plan: JobPlan) -> None:
    """Poll the job until it is finished or the deadline passes (then cancel it)."""
    headers = {"X-User-Id": job.user}
    while True:
        status = _checked(await client.get(f"/v1/jobs/{job.id}", headers=headers))
        job.polls += 1
        now = time.monotonic() - began
        job.status = status["status"]
        if job.status != "queued" and job.started_s is None:
            job.started_s = now
        if job.status in FINISHED:
            job.finished_s = now
            if job.status == "failed":
                job.error = f"{job.kind} failed: {(status['error'] or {}).get('code')}"
            return
        if now >= plan.deadline_s:
            await client.post(f"/v1/jobs/{job.id}/cancel", headers=headers)
            job.status = "unfinished"
            return
        await asyncio.sleep(plan.poll_s)


async def _run_one(
    client: httpx.AsyncClient, job: Job, index: int, began: float, plan: JobPlan, primer: dict
) -> None:
    await asyncio.sleep(max(0.0, began + job.due_s - time.monotonic()))
    try:
        if job.kind == "training":
            _, job.id = await start_training(
                client, user=job.user, name=f"Load{index}", steps=plan.training_steps
            )
        else:
            body = {
                "subject_ids": [primer["id"]],
                "prompt": f"a photo of {primer['token']} dog on the beach",
                "seed": index,
            }
            created = _checked(
                await client.post("/v1/generations", json=body, headers={"X-User-Id": job.user})
            )
            job.id = created["id"]
        job.enqueued_s = time.monotonic() - began
        job.status = "queued"
        await _follow(client, job, began, plan)
    except JobRefused as exc:
        job.error = exc.kind
    except httpx.HTTPError as exc:
        job.error = f"{job.kind}: {type(exc).__name__}"


async def run_jobs(
    client: httpx.AsyncClient, plan: JobPlan, began: float, primer: dict
) -> list[Job]:
    jobs = plan.jobs()
    await asyncio.gather(
        *(_run_one(client, job, i, began, plan, primer) for i, job in enumerate(jobs))
    )
    return jobs


def training_windows(jobs: list[Job]) -> list[tuple[float, float]]:
    """When a training was running, as seen by the polls: (started, finished or deadline)."""
    return [
        (job.started_s, job.finished_s if job.finished_s is not None else float("inf"))
        for job in jobs
        if job.kind == "training" and job.started_s is not None
    ]


def _seconds(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"p50": round(statistics.median(values), 2), "max": round(max(values), 2)}


def summarize_jobs(jobs: list[Job]) -> dict:
    figures: dict = {}
    for kind in ("training", "generation"):
        mine = [job for job in jobs if job.kind == kind]
        statuses = Counter(job.status for job in mine)
        done = [job for job in mine if job.status == "succeeded"]
        sent = [job.enqueued_s for job in mine if job.enqueued_s is not None]
        last = max((job.finished_s for job in done if job.finished_s is not None), default=None)
        span = last - min(sent) if last is not None and sent else None
        figures[kind] = {
            "planned": len(mine),
            "statuses": dict(statuses),
            "per_s": round(len(done) / span, 3) if span else None,
            "first_sent_to_last_done_s": round(span, 1) if span is not None else None,
            "queued_s": _seconds(
                [
                    j.started_s - j.enqueued_s
                    for j in done
                    if j.started_s is not None and j.enqueued_s is not None
                ]
            ),
            "sent_to_done_s": _seconds(
                [
                    j.finished_s - j.enqueued_s
                    for j in done
                    if j.finished_s is not None and j.enqueued_s is not None
                ]
            ),
        }
    finished = [job.finished_s for job in jobs if job.finished_s is not None]
    figures["training_windows_s"] = [  # null: still running at the deadline
        [round(a, 1), round(b, 1) if b != float("inf") else None] for a, b in training_windows(jobs)
    ]
    figures["all_done_s"] = (
        round(max(finished), 1)
        if finished and all(job.finished_s is not None for job in jobs)
        else None
    )
    figures["polls"] = sum(job.polls for job in jobs)
    figures["error_kinds"] = dict(Counter(job.error for job in jobs if job.error))
    return figures
