"""Does a base model draw what it is told? Sample world prompts, score them, make a grid.

``dreamchat toyworld check MODEL --out samples.png``: for each prompt, ``count`` images; the
scorer says which class and scene each shows; the table gives the share that match the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from .scorer import load_scorer

__all__ = ["PROMPTS", "CheckPrompt", "check_model"]


@dataclass(frozen=True)
class CheckPrompt:
    text: str
    cls: str
    scene: str | None = None
    colour: str | None = None


PROMPTS = (
    CheckPrompt("a photo of a dog in the snow", "dog", "snow"),
    CheckPrompt("a dog on the beach", "dog", "beach"),
    CheckPrompt("a photo of a brown dog in the forest", "dog", "forest", "brown"),
    CheckPrompt("a black dog at night", "dog", "night", "black"),
    CheckPrompt("a red car in the city", "car", "city", "red"),
    CheckPrompt("a photo of a car in the city at night", "car", "night"),
    CheckPrompt("a blue car on the beach", "car", "beach", "blue"),
    CheckPrompt("a photo of a cat in the snow", "cat", "snow"),
    CheckPrompt("an orange cat in the forest", "cat", "forest", "orange"),
    CheckPrompt("a photo of a dog", "dog"),
)


def check_model(
    model: str | Path,
    *,
    count: int = 8,
    steps: int = 25,
    guidance: float = 4.0,
    seed: int = 0,
    prompts: tuple[CheckPrompt, ...] = PROMPTS,
) -> tuple[Image.Image, list[dict]]:
    from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(model, dtype=torch.float32, safety_checker=None)
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    scorer = load_scorer()
    rows, table = [], []
    for i, prompt in enumerate(prompts):
        images = pipe(
            prompt.text,
            num_images_per_prompt=count,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=torch.Generator().manual_seed(seed + i),
        ).images
        scores = scorer.score_batch(images)
        row = {
            "prompt": prompt.text,
            "class": sum(s.cls == prompt.cls for s in scores) / count,
            "scene": None
            if prompt.scene is None
            else sum(s.scene == prompt.scene for s in scores) / count,
            "colour": None
            if prompt.colour is None
            else sum(s.colour == prompt.colour for s in scores) / count,
            "seen": [f"{s.colour} {s.cls} / {s.scene}" for s in scores],
        }
        table.append(row)
        rows.append(images)
    return _grid(rows, [p.text for p in prompts]), table


def _grid(rows: list[list[Image.Image]], labels: list[str], cell: int = 96) -> Image.Image:
    label_w = 230
    width = label_w + cell * max(len(r) for r in rows)
    grid = Image.new("RGB", (width, cell * len(rows)), (255, 255, 255))
    draw = ImageDraw.Draw(grid)
    for y, (images, label) in enumerate(zip(rows, labels, strict=True)):
        draw.text((4, y * cell + cell // 2 - 6), label, fill=(0, 0, 0))
        for x, image in enumerate(images):
            grid.paste(
                image.resize((cell, cell), Image.Resampling.NEAREST), (label_w + x * cell, y * cell)
            )
    return grid
