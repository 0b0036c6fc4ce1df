"""ToyBench: the DreamBooth paper's evaluation protocol at toy scale, on the ToyWorld model.

For every held-out subject (``world.SUBJECTS``: specific instances the base model never saw)
and every method — the base model alone, LoRA DreamBooth with prior preservation, and without
it — the bench samples ``images`` pictures for each recontextualisation prompt ("a photo of sks
dog on the beach", one per world scene; the subjects' photos never show a beach) and
``pres_images`` pictures of the plain class prompt ("a photo of a dog"), and the ToyWorld
scorer says what each one shows. As in the paper's Tables 1 and 3:

- **subject fidelity** (DINO / CLIP-I analogue): the share of prompt pictures the scorer
  recognises as *this* subject;
- **prompt fidelity** (CLIP-T analogue): the share that show the prompt's scene;
- **PRES** (prior preservation score; language drift, lower is better): the share of plain
  class pictures recognised as the subject;
- **diversity** (DIV analogue, LPIPS replaced by a pixel distance): the mean RMS difference
  between two pictures of the same prompt, in 0..1.

The base model is prompted with the class ("a photo of a dog on the beach"), so its subject
fidelity is the floor: how often a plain dog happens to pass for the subject.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from . import world
from .scorer import load_scorer

__all__ = ["METHODS", "BenchSettings", "MethodResult", "markdown", "run_toybench"]

METHODS = ("base", "prior", "no-prior")
PLACES = world.PLACES
TOKEN = "sks"
_CHUNK = 4


@dataclass(frozen=True)
class BenchSettings:
    """What a trained method uses; the CLI fills it from the service's defaults."""

    steps: int
    lr: float
    rank: int
    num_class_images: int
    prior_loss_weight: float
    class_sampler_steps: int
    class_guidance_scale: float
    resolution: int
    sampler_steps: int
    guidance_scale: float
    batch_size: int = 1
    seed: int = 0
    photo_captions: str = "auto"
    """``TrainConfig.photo_captions``: ``off`` trains every photo with the plain instance
    prompt, as the paper does."""


@dataclass
class MethodResult:
    subject: str
    method: str
    subject_fidelity: float
    prompt_fidelity: float
    pres: float
    diversity: float
    per_scene: dict[str, dict[str, float]]
    train_seconds: float
    sample_seconds: float
    images: int
    grid: list[list[Image.Image]] = field(default_factory=list, repr=False)

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("grid")
        return data


def prompt_for(subject: str, scene: str, *, trained: bool) -> str:
    cls = world.SUBJECTS[subject].cls
    who = f"{TOKEN} {cls}" if trained else f"a {cls}"
    return f"a photo of {who} {PLACES[scene]}"


def _diversity(images: Sequence[Image.Image]) -> float:
    arrays = [np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0 for im in images]
    pairs = list(itertools.combinations(arrays, 2))
    if not pairs:
        return 0.0
    return float(np.mean([np.sqrt(np.mean((a - b) ** 2)) for a, b in pairs]))


def _train(
    model: Path, subject: str, method: str, settings: BenchSettings, work: Path, cache: Path
) -> tuple[Path, float]:
    from trainer import TrainConfig, train

    photos = work / "photos" / subject
    if not photos.is_dir():
        world.write_subject_photos(subject, photos)
    out = work / "adapters" / f"{subject}-{method}"
    config = TrainConfig(
        base_model=str(model),
        photos=(str(photos),),
        token=TOKEN,
        class_noun=world.SUBJECTS[subject].cls,
        output_dir=str(out),
        steps=settings.steps,
        lr=settings.lr,
        rank=settings.rank,
        resolution=settings.resolution,
        batch_size=settings.batch_size,
        prior=method == "prior",
        prior_loss_weight=settings.prior_loss_weight,
        num_class_images=max(settings.num_class_images, 1),
        class_sampler_steps=settings.class_sampler_steps,
        class_guidance_scale=settings.class_guidance_scale,
        class_cache_dir=str(cache),
        seed=settings.seed,
        photo_captions=settings.photo_captions,
    )
    started = time.perf_counter()
    train(config)
    return out, time.perf_counter() - started


def run_toybench(
    model: str | Path,
    settings: BenchSettings,
    *,
    work: str | Path,
    subjects: Sequence[str] = tuple(world.SUBJECTS),
    methods: Sequence[str] = METHODS,
    scenes: Sequence[str] = tuple(PLACES),
    images: int = 4,
    pres_images: int = 8,
    log: Callable[[str], object] = print,
) -> list[MethodResult]:
    from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime

    model, work = Path(model), Path(work)
    cache = work / "class-cache"
    runtime = GenerationRuntime(model, max_adapters=2)
    scorer = load_scorer()
    results = []
    for subject, method in itertools.product(subjects, methods):
        trained = method != "base"
        adapters: tuple[AdapterRef, ...] = ()
        train_seconds = 0.0
        if trained:
            log(f"training {subject} ({method})")
            path, train_seconds = _train(model, subject, method, settings, work, cache)
            adapters = (AdapterRef(f"{subject}-{method}", str(path)),)
        started = time.perf_counter()

        def sample(prompt: str, count: int, adapters=adapters) -> list[Image.Image]:
            # Requests of at most 4 pictures with consecutive seeds: the same pictures as one
            # request of ``count``, within the service's per-request limit.
            pictures: list[Image.Image] = []
            for start in range(0, count, _CHUNK):
                pictures += runtime.generate(
                    GenerationRequest(
                        prompt=prompt,
                        adapters=adapters,
                        count=min(_CHUNK, count - start),
                        width=settings.resolution,
                        height=settings.resolution,
                        steps=settings.sampler_steps,
                        guidance_scale=settings.guidance_scale,
                        seed=settings.seed + start,
                    )
                )
            return pictures

        per_scene, grid, diversities = {}, [], []
        hits_subject = hits_scene = 0
        for scene in scenes:
            pictures = sample(prompt_for(subject, scene, trained=trained), images)
            scores = scorer.score_batch(pictures)
            s_hits = sum(s.subject == subject for s in scores)
            p_hits = sum(s.scene == scene for s in scores)
            hits_subject, hits_scene = hits_subject + s_hits, hits_scene + p_hits
            per_scene[scene] = {"subject": s_hits / images, "scene": p_hits / images}
            diversities.append(_diversity(pictures))
            grid.append(pictures)
        cls = world.SUBJECTS[subject].cls
        plain = sample(f"a photo of a {cls}", pres_images)
        pres = sum(s.subject == subject for s in scorer.score_batch(plain)) / pres_images
        grid.append(plain)
        total = images * len(scenes)
        result = MethodResult(
            subject=subject,
            method=method,
            subject_fidelity=hits_subject / total,
            prompt_fidelity=hits_scene / total,
            pres=pres,
            diversity=float(np.mean(diversities)),
            per_scene=per_scene,
            train_seconds=round(train_seconds, 1),
            sample_seconds=round(time.perf_counter() - started, 1),
            images=total + pres_images,
            grid=grid,
        )
        log(
            f"  {subject:8s} {method:8s} subject {result.subject_fidelity:.2f}  "
            f"prompt {result.prompt_fidelity:.2f}  PRES {result.pres:.2f}  "
            f"DIV {result.diversity:.3f}  train {train_seconds:.0f} s"
        )
        results.append(result)
    return results


def summarise(results: Sequence[MethodResult]) -> dict[str, dict[str, float]]:
    """Per method, the mean over subjects."""
    table: dict[str, dict[str, float]] = {}
    for method in dict.fromkeys(r.method for r in results):
        rows = [r for r in results if r.method == method]
        table[method] = {
            key: round(float(np.mean([getattr(r, key) for r in rows])), 3)
            for key in (
                "subject_fidelity",
                "prompt_fidelity",
                "pres",
                "diversity",
                "train_seconds",
            )
        }
    return table


_NAMES = {
    "base": "base model (class prompt)",
    "prior": "LoRA DreamBooth + prior preservation",
    "no-prior": "LoRA DreamBooth, no prior",
}


def markdown(results: Sequence[MethodResult]) -> str:
    lines = [
        "| method | subject fidelity ↑ | prompt fidelity ↑ | PRES ↓ | diversity | train s |",
        "|---|---|---|---|---|---|",
    ]
    for method, row in summarise(results).items():
        lines.append(
            f"| {_NAMES.get(method, method)} | {row['subject_fidelity']:.2f} | "
            f"{row['prompt_fidelity']:.2f} | {row['pres']:.2f} | {row['diversity']:.3f} | "
            f"{row['train_seconds']:.0f} |"
        )
    lines += [
        "",
        "| subject | method | subject fidelity | prompt fidelity | PRES |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.subject} | {r.method} | {r.subject_fidelity:.2f} | "
            f"{r.prompt_fidelity:.2f} | {r.pres:.2f} |"
        )
    return "\n".join(lines)


def save_grid(results: Sequence[MethodResult], path: str | Path, cell: int = 64) -> Path:
    """One row per (subject, method): the scenes' pictures, then the plain class pictures."""
    rows = [list(itertools.chain.from_iterable(r.grid)) for r in results]
    width = cell * max(len(r) for r in rows)
    grid = Image.new("RGB", (width, cell * len(rows)), (255, 255, 255))
    for y, row in enumerate(rows):
        for x, image in enumerate(row):
            grid.paste(image.resize((cell, cell), Image.Resampling.NEAREST), (x * cell, y * cell))
    path = Path(path)
    grid.save(path)
    return path


def write_json(results: Sequence[MethodResult], settings: BenchSettings, path: str | Path) -> None:
    data = {
        "settings": asdict(settings),
        "summary": summarise(results),
        "results": [r.row() for r in results],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
