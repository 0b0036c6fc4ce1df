"""The ToyWorld scorer: what an image shows — class, scene, colour, and which subject, if any.

A small CNN trained on the world itself (deterministic from a seed, a minute on 2 cores), with
four heads: class, scene, palette colour, subject (``none`` or one of the held-out subjects).
Its training pictures are blurred, noised and colour-jittered at random, because what it scores
is a small diffusion model's output, softer than the world's crisp drawings. The subject head
sees each subject in every scene, the beach included, so "<token> dog on the beach" can score
as the subject even though the subject's photos never show a beach.

Beside the network, ``signature`` is a rule anyone can check by eye: the share of pixels close
to a subject's signature colour (pink, purple, teal: none of them in the palette), relative to
that share in the subject's own photos.

The committed weights (``scorer.safetensors`` next to this module) are the output of
``train_scorer()`` with its defaults; ``python -m trainer.toyworld.scorer`` rewrites them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter
from torch import nn

from . import world

__all__ = [
    "NOTHING",
    "WEIGHTS",
    "Score",
    "Scorer",
    "evaluate",
    "load_scorer",
    "nothing_picture",
    "signature",
    "train_scorer",
]

WEIGHTS = Path(__file__).with_name("scorer.safetensors")
SUBJECT_LABELS = ("none", *world.SUBJECTS)
COLOURS = tuple(world.PALETTE)
NOTHING = "none"
"""Class and scene of a picture that shows no object or no scene of the world: blobs, noise, an
untrained model's output. Without it every picture is *some* class in *some* scene."""
_HEADS = {
    "cls": (*world.CLASSES, NOTHING),
    "scene": (*world.SCENES, NOTHING),
    "colour": COLOURS,
    "subject": SUBJECT_LABELS,
}


@dataclass(frozen=True)
class Score:
    cls: str
    """A class, or ``none`` when the picture shows none."""
    scene: str
    """A scene, or ``none``."""
    colour: str
    subject: str
    """``none`` or a subject's name."""
    probs: dict[str, dict[str, float]]
    """Per head (cls, scene, colour, subject): label → probability."""
    signature: dict[str, float]
    """Per subject: share of signature-colour pixels relative to its photos' (capped at 1)."""

    def p(self, head: str, label: str) -> float:
        return self.probs[head][label]


class _Net(nn.Module):
    def __init__(self, width: int = 24):
        super().__init__()
        w = width

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
            )

        self.features = nn.Sequential(
            block(3, w, 1),
            block(w, 2 * w, 2),
            block(2 * w, 2 * w, 1),
            block(2 * w, 4 * w, 2),
            block(4 * w, 4 * w, 2),
        )
        # Where things are matters (sky on top, ground below): pool to 2×2, not to 1×1.
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(16 * w, len(labels)) for name, labels in _HEADS.items()}
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.pool(self.features(x)).flatten(1)
        return {name: head(h) for name, head in self.heads.items()}


def _pixels(images) -> torch.Tensor:
    size = world.NATIVE_SIZE
    array = np.stack(
        [
            np.asarray(
                im.convert("RGB")
                if im.size == (size, size)
                else im.convert("RGB").resize((size, size), Image.Resampling.BOX),
                dtype=np.uint8,
            )
            for im in images
        ]
    )
    return torch.from_numpy(array).permute(0, 3, 1, 2).float() / 127.5 - 1.0


# --------------------------------------------------------------------------- signature rule

_SIGNATURE_DISTANCE = 70.0


def _signature_share(image: Image.Image, colour: tuple[int, int, int]) -> float:
    array = np.asarray(
        image.convert("RGB").resize((32, 32), Image.Resampling.BOX), dtype=np.float32
    )
    distance = np.linalg.norm(array - np.asarray(colour, dtype=np.float32), axis=-1)
    return float((distance < _SIGNATURE_DISTANCE).mean())


@cache
def _photo_share(name: str) -> float:
    colour = world.SUBJECTS[name].colours[0]
    return float(np.median([_signature_share(im, colour) for im in world.subject_photos(name)]))


def signature(image: Image.Image) -> dict[str, float]:
    return {
        name: min(1.0, _signature_share(image, s.colours[0]) / _photo_share(name))
        for name, s in world.SUBJECTS.items()
    }


# --------------------------------------------------------------------------- the network


class Scorer:
    def __init__(self, net: _Net):
        self.net = net.eval()

    @torch.no_grad()
    def score_batch(self, images: list[Image.Image]) -> list[Score]:
        logits = self.net(_pixels(images))
        probs = {name: torch.softmax(value, dim=1) for name, value in logits.items()}
        scores = []
        for i, image in enumerate(images):
            table = {
                head: {label: float(probs[head][i, j]) for j, label in enumerate(labels)}
                for head, labels in _HEADS.items()
            }
            best = {head: max(values, key=values.__getitem__) for head, values in table.items()}
            scores.append(
                Score(
                    cls=best["cls"],
                    scene=best["scene"],
                    colour=best["colour"],
                    subject=best["subject"],
                    probs=table,
                    signature=signature(image),
                )
            )
        return scores

    def score(self, image: Image.Image) -> Score:
        return self.score_batch([image])[0]


@cache
def load_scorer(path: str | Path = WEIGHTS) -> Scorer:
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no scorer weights; run `python -m trainer.toyworld.scorer` to train them"
        )
    net = _Net()
    net.load_state_dict(load_file(path))
    return Scorer(net)


# --------------------------------------------------------------------------- training data


def _soften(image: Image.Image, rng: random.Random) -> Image.Image:
    """Make a crisp world picture look like a small diffusion model's: blur, noise, tint."""
    kind = rng.random()
    if kind < 0.35:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    elif kind < 0.55:
        small = rng.choice((12, 16, 20))
        image = image.resize((small, small), Image.Resampling.BILINEAR).resize(
            (world.NATIVE_SIZE, world.NATIVE_SIZE), Image.Resampling.BILINEAR
        )
    array: np.ndarray = np.asarray(image, dtype=np.float32)
    if rng.random() < 0.5:
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(
            0, rng.uniform(2, 12), array.shape
        )
        array = array + noise
    if rng.random() < 0.5:
        array = array * np.asarray([rng.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)
        array = array + rng.uniform(-12, 12)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def nothing_picture(rng: random.Random) -> Image.Image:
    """A picture of nothing in the world: blurred random shapes, or smooth colour noise."""
    size = world.NATIVE_SIZE
    if rng.random() < 0.5:
        image = world.random_shapes(rng).filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 3.0)))
    else:
        cells = rng.choice((3, 4, 6, 8))
        noise = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (cells, cells, 3))
        image = Image.fromarray(noise.astype(np.uint8)).resize(
            (size, size), Image.Resampling.BICUBIC
        )
    # muted, like an undertrained model's output, as often as vivid
    flat = Image.new("RGB", image.size, tuple(rng.randrange(60, 200) for _ in range(3)))
    return Image.blend(image, flat, rng.uniform(0.0, 0.75))


def _labelled(
    n: int, seed: int, *, soften: bool
) -> tuple[list[Image.Image], dict[str, torch.Tensor]]:
    """``n`` pictures: about 1 in 10 of nothing, 1 in 4 of the rest a subject in any scene."""
    rng = random.Random(f"scorer:{seed}")
    images: list[Image.Image] = []
    labels: dict[str, list[int]] = {head: [] for head in _HEADS}
    names = list(world.SUBJECTS)
    for _ in range(n):
        if rng.random() < 0.1:
            image = nothing_picture(rng)
            images.append(_soften(image, rng) if soften else image)
            labels["cls"].append(len(world.CLASSES))
            labels["scene"].append(len(world.SCENES))
            labels["colour"].append(-100)
            labels["subject"].append(0)
            continue
        spec = world.sample_spec(rng)
        if rng.random() < 0.25:
            spec = world.with_subject(spec, rng.choice(names))
        image = world.render(spec)
        images.append(_soften(image, rng) if soften else image)
        labels["cls"].append(world.CLASSES.index(spec.cls))
        labels["scene"].append(world.SCENES.index(spec.scene))
        labels["colour"].append(COLOURS.index(spec.colour) if spec.subject is None else -100)
        labels["subject"].append(SUBJECT_LABELS.index(spec.subject or "none"))
    return images, {head: torch.tensor(values) for head, values in labels.items()}


def train_scorer(
    *, seed: int = 0, images: int = 16_000, epochs: int = 4, threads: int = 2
) -> Scorer:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    pictures, labels = _labelled(images, seed, soften=True)
    pixels = _pixels(pictures)
    net = _Net()
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    batch = 128
    steps = epochs * (images // batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(images, generator=generator)
        for start in range(0, images - batch + 1, batch):
            index = order[start : start + batch]
            x = pixels[index]
            flip = torch.rand(batch, generator=generator) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            out = net(x)
            losses = [
                nn.functional.cross_entropy(out[head], labels[head][index], ignore_index=-100)
                for head in _HEADS
            ]
            loss = losses[0]
            for more in losses[1:]:
                loss = loss + more
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return Scorer(net.eval())


def evaluate(
    scorer: Scorer, *, seed: int = 12345, images: int = 1000, soften: bool = False
) -> dict[str, float]:
    """Accuracy of every head on fresh world pictures (a seed training never used)."""
    pictures, labels = _labelled(images, seed, soften=soften)
    scores = scorer.score_batch(pictures)
    result = {}
    for head, names in _HEADS.items():
        truth = labels[head].tolist()
        hits = [
            names.index(getattr(s, head)) == t
            for s, t in zip(scores, truth, strict=True)
            if t != -100
        ]
        result[head] = sum(hits) / len(hits)
    is_subject = [t != 0 for t in labels["subject"].tolist()]
    said = [s.subject != "none" for s in scores]
    result["subject_vs_not"] = sum(a == b for a, b in zip(is_subject, said, strict=True)) / images
    return result


def _main() -> None:
    import json
    import time

    from safetensors.torch import save_file

    started = time.monotonic()
    scorer = train_scorer()
    save_file({k: v.contiguous() for k, v in scorer.net.state_dict().items()}, str(WEIGHTS))
    print(f"trained in {time.monotonic() - started:.0f} s → {WEIGHTS}")
    print("crisp:", json.dumps(evaluate(scorer)))
    print("softened:", json.dumps(evaluate(scorer, soften=True)))


if __name__ == "__main__":
    _main()
