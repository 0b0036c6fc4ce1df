"""How much a fresh adapter learned, measured right after its last step.

A hosted trainer says "done"; this says whether the samples look like the photos and whether the
everyday class still looks like itself. With the LoRA still attached, the run samples a few
validation images of the instance prompt ("a photo of sks dog") and of the plain class prompt
("a photo of a dog", with the seeds of the first class-prior images, so the base model's own
pictures for the same seeds are already in the class cache), and an image embedding compares:

- ``subject_fidelity`` — how far the instance samples moved from the base model's class pictures
  toward the photos: ``(sim(samples, photos) - sim(class, photos)) / (sim(photos, photos) -
  sim(class, photos))``, clipped to 0..1. 0: they look like any dog; 1: as alike to the photos
  as the photos are to each other. (DreamBench's DINO / CLIP-I score, calibrated per subject.)
- ``class_drift`` — the same measure for the *plain class* samples: how much of the subject
  leaked into "a photo of a dog" (the paper's language drift; PRES). 0 is what we want.
- ``class_change`` — 1 minus the mean similarity of each plain class sample to the base model's
  picture for the same seed: how much the class prompt changed at all.

The embedding is the ToyWorld scorer's "what is it" part on the ToyWorld base (class, colour
and subject probabilities; the scene is left out, since the photos' scenes are not the
subject), else an image model named in settings (``DREAMCHAT_QUALITY_MODEL``: a local
transformers vision model such as CLIP's or DINOv2's). Without either, no report is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from PIL import Image

from .config import helper_model
from .data import to_image

__all__ = [
    "Embedder",
    "QualityVerdict",
    "affordable_samples",
    "load_embedder",
    "measure_quality",
    "verdict",
]

FIDELITY_GOOD = 0.5
FIDELITY_NONE = 0.2
DRIFT_HIGH = 0.3
_SAMPLE_SEED = 10_000
"""Seeds of the instance samples (the class samples use the class-prior seeds 0, 1, ...)."""


class Embedder(Protocol):
    name: str

    def embed(self, images: list[Image.Image]) -> torch.Tensor:
        """(n, d), rows of unit length."""
        ...


class _ToyWorldEmbedder:
    name = "toyworld-scorer"

    def __init__(self) -> None:
        from .toyworld.scorer import load_scorer

        self.scorer = load_scorer()

    def embed(self, images: list[Image.Image]) -> torch.Tensor:
        rows = []
        for score in self.scorer.score_batch(images):
            rows.append(
                [p for head in ("cls", "colour", "subject") for p in score.probs[head].values()]
            )
        return torch.nn.functional.normalize(torch.tensor(rows), dim=1)


class _VisionModelEmbedder:
    """A transformers vision model (CLIP vision, DINOv2, ...) from a local directory."""

    def __init__(self, path: str):
        import transformers
        from transformers import AutoConfig, AutoImageProcessor, AutoModel

        self.name = Path(path).name or path
        self.processor = AutoImageProcessor.from_pretrained(path)
        # The class it was saved as (CLIPVisionModelWithProjection has the image embedding
        # CLIP compares with; AutoModel would drop the projection).
        names = AutoConfig.from_pretrained(path).architectures or []
        model_class = getattr(transformers, names[0], AutoModel) if names else AutoModel
        self.model = model_class.from_pretrained(path).eval()

    @torch.no_grad()
    def embed(self, images: list[Image.Image]) -> torch.Tensor:
        inputs = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        out = self.model(**inputs)
        if getattr(out, "image_embeds", None) is not None:
            vectors = out.image_embeds
        elif getattr(out, "pooler_output", None) is not None:
            vectors = out.pooler_output
        else:
            vectors = out.last_hidden_state[:, 0]
        return torch.nn.functional.normalize(vectors.float(), dim=1)


def load_embedder(spec: str | None, base_model: str) -> Embedder | None:
    """``spec``: None (ToyWorld's scorer on a ToyWorld base, else nothing), ``toyworld``,
    ``off``, or a local vision model directory."""
    model = helper_model(spec, base_model)
    if model is None:
        return None
    return _ToyWorldEmbedder() if model == "toyworld" else _VisionModelEmbedder(model)


@dataclass(frozen=True)
class QualityVerdict:
    code: str
    """``good``, ``weak`` (the samples only partly look like the photos), ``untrained`` (they
    don't), or ``drifted`` (the plain class picks up the subject)."""
    learned: bool


def verdict(fidelity: float, drift: float) -> QualityVerdict:
    if fidelity < FIDELITY_NONE:
        return QualityVerdict("untrained", False)
    if drift > DRIFT_HIGH:
        return QualityVerdict("drifted", True)
    return QualityVerdict("good" if fidelity >= FIDELITY_GOOD else "weak", True)


def _mean_sim(a: torch.Tensor, b: torch.Tensor, *, skip_diagonal: bool = False) -> float:
    sims = a @ b.T
    if skip_diagonal:
        n = sims.shape[0]
        if n < 2:
            return 1.0
        return float((sims.sum() - sims.diagonal().sum()) / (n * n - n))
    return float(sims.mean())


def _toward_photos(samples: float, class_ref: float, photos: float) -> float:
    span = photos - class_ref
    if span <= 1e-6:
        return 0.0
    return float(min(1.0, max(0.0, (samples - class_ref) / span)))


@torch.no_grad()
def _sample(pipe, prompt: str, seeds: list[int], *, steps: int, guidance: float, size: int):
    generators = [torch.Generator(device="cpu").manual_seed(s) for s in seeds]
    return pipe(
        [prompt] * len(seeds),
        num_inference_steps=steps,
        guidance_scale=guidance,
        height=size,
        width=size,
        generator=generators,
    ).images


def affordable_samples(
    wanted: int, *, seconds_per_image: float, sets: int, budget_seconds: float | None
) -> int:
    """How many pictures per set fit in ``budget_seconds`` (None: no limit), at most ``wanted``;
    0 when not even one of each does."""
    if budget_seconds is None:
        return wanted
    per_sample = max(seconds_per_image, 1e-9) * sets
    return max(0, min(wanted, int(budget_seconds / per_sample)))


def measure_quality(
    run, embedder: Embedder, *, samples: int, budget_seconds: float | None = None
) -> dict[str, Any]:
    """Sample and score; ``run`` is the prepared ``setup.Run`` with its LoRA still attached.

    With ``budget_seconds``, the first subject picture is timed and the sets are cut to what
    fits (each set the same size); a training too short for even one picture of each is
    reported as not measured rather than made slower by its own check."""
    started = time.perf_counter()
    cfg, base = run.config, run.base
    unet = base.unet
    was_training = unet.training
    unet.eval()
    pipe = base.pipeline()
    kwargs = dict(
        steps=cfg.class_sampler_steps, guidance=cfg.class_guidance_scale, size=cfg.resolution
    )
    try:
        subject_seeds = [_SAMPLE_SEED + i for i in range(samples)]
        subject = _sample(pipe, cfg.resolved_instance_prompt, subject_seeds[:1], **kwargs)
        reference = _class_reference(run, list(range(samples)))
        samples = affordable_samples(
            samples,
            seconds_per_image=time.perf_counter() - started,
            sets=2 if reference is not None else 3,
            budget_seconds=budget_seconds,
        )
        if samples == 0:
            return {
                "measured": False,
                "reason": "the training was too short to check within its time budget",
                "seconds": round(time.perf_counter() - started, 3),
            }
        if samples > 1:
            subject += _sample(
                pipe, cfg.resolved_instance_prompt, subject_seeds[1:samples], **kwargs
            )
        class_seeds = list(range(samples))
        reference = None if reference is None else reference[:samples]
        adapted = _sample(pipe, cfg.resolved_class_prompt, class_seeds, **kwargs)
        if reference is None:  # no class cache to compare with: the base model's own pictures
            unet.disable_adapters()
            try:
                reference = _sample(pipe, cfg.resolved_class_prompt, class_seeds, **kwargs)
            finally:
                unet.enable_adapters()
    finally:
        unet.train(was_training)
    photos = [to_image(p.pixels) for p in run.photos]
    e_photos, e_subject, e_adapted, e_reference = (
        embedder.embed(images) for images in (photos, subject, adapted, reference)
    )
    photo_sim = _mean_sim(e_photos, e_photos, skip_diagonal=True)
    class_sim = _mean_sim(e_reference, e_photos)
    fidelity = _toward_photos(_mean_sim(e_subject, e_photos), class_sim, photo_sim)
    drift = _toward_photos(_mean_sim(e_adapted, e_photos), class_sim, photo_sim)
    change = 1.0 - float((e_adapted * e_reference).sum(dim=1).mean())
    judged = verdict(fidelity, drift)
    return {
        "measured": True,
        "subject_fidelity": round(fidelity, 3),
        "class_drift": round(drift, 3),
        "class_change": round(max(change, 0.0), 3),
        "verdict": judged.code,
        "learned": judged.learned,
        "samples": samples,
        "embedding": embedder.name,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _class_reference(run, seeds: list[int]) -> list[Image.Image] | None:
    """The base model's class pictures for ``seeds``, from the class-prior cache (sampled with
    the same prompt, sampler, steps, guidance and size)."""
    prior = run.prior
    if prior is None or prior.count < len(seeds):
        return None
    paths = [prior.directory / f"{seed:05d}.png" for seed in seeds]
    if not all(path.is_file() for path in paths):
        return None
    images = []
    for path in paths:
        with Image.open(path) as image:
            images.append(image.convert("RGB"))
    return images
