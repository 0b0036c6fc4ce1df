"""``dreamchat demo``: the trainer end to end, offline, with no Redis or server.

It builds the tiny model (once), makes a few synthetic photos of a "subject", trains an adapter
on them and generates with it — every real code path, on a model small enough for a laptop CPU.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["register", "synthetic_photos"]


def synthetic_photos(out_dir: Path, *, count: int = 4, size: int = 96, seed: int = 0) -> list[Path]:
    """Photos of one made-up subject (a red ball with a blue hat) on varied backgrounds."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        background = tuple(rng.randint(60, 230) for _ in range(3))
        image = Image.new("RGB", (size + rng.randint(0, 32), size), background)
        draw = ImageDraw.Draw(image)
        x, y, r = rng.randint(20, 40), rng.randint(30, 40), rng.randint(18, 24)
        draw.ellipse((x, y, x + 2 * r, y + 2 * r), fill=(210, 40, 40))
        draw.rectangle((x + r // 2, y - r // 2, x + r + r // 2, y + 2), fill=(30, 60, 200))
        path = out_dir / f"photo-{i}.png"
        image.save(path)
        paths.append(path)
    return paths


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("demo", help="offline demo: train an adapter and generate with it")
    run.add_argument("--steps", type=int, default=40)
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.settings import get_settings
    from trainer import TrainConfig, build_tiny_pipeline, train
    from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime

    data = get_settings().data_dir.resolve()
    model = data / "models" / "tiny-sd"
    if not (model / "model_index.json").is_file():
        print(f"building the offline tiny model in {model}")
        build_tiny_pipeline(model)
    photos = synthetic_photos(data / "demo" / "photos")
    adapter_dir = data / "demo" / "adapter"
    config = TrainConfig(
        base_model=str(model),
        photos=(str(photos[0].parent),),
        token="sks",
        class_noun="toy",
        output_dir=str(adapter_dir),
        steps=args.steps,
        resolution=64,
        batch_size=1,
        num_class_images=8,
        class_sampler_steps=8,
        class_cache_dir=str(data / "class-cache"),
    )
    with tqdm(total=config.steps, desc="training", unit="step") as bar:
        result = train(
            config,
            progress=lambda e: (bar.update(e.step - bar.n), bar.set_postfix(loss=f"{e.loss:.3f}")),
        )
    print(f"adapter: {result.adapter_path} (median step {result.step_ms_median:.1f} ms)")
    runtime = GenerationRuntime(model)
    images = runtime.generate(
        GenerationRequest(
            prompt="a photo of sks toy on the beach",
            adapters=(AdapterRef("demo", str(adapter_dir)),),
            count=2,
            width=64,
            height=64,
            steps=10,
        )
    )
    out = data / "demo" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        image.save(out / f"sks-toy-beach-{i}.png")
    print(f"images: {out}")
    print("The tiny model has random weights: the images are noise-like by design. Point")
    print("--base-model at a real SD 1.5 / SDXL pipeline directory for real pictures.")
    return 0
