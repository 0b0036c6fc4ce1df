"""``dreamchat demo``: the trainer end to end, offline, with no Redis or server.

It writes a held-out ToyWorld subject's photos, trains an adapter on the base model with the
service's defaults (the model's recipe), pictures the subject on the beach (a scene its photos
never show) and says what the ToyWorld scorer sees in each picture. ``synthetic_photos`` makes
photos of a made-up subject for tests that need any photos at all.
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
    run = commands.add_parser(
        "demo", help="offline demo: train a ToyWorld subject and picture it on the beach"
    )
    run.add_argument("--subject", default="pinkdog", help="pinkdog, spotdog or tealcar")
    run.add_argument("--steps", type=int, help="training steps (default: the model's recipe)")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.recipe import service_recipe
    from core.settings import get_settings
    from trainer import TrainConfig, train
    from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime
    from trainer.toyworld import world
    from trainer.toyworld.scorer import load_scorer

    settings = get_settings()
    recipe = service_recipe(settings)
    data = settings.data_dir.resolve()
    model = settings.resolved_base_model
    subject = world.SUBJECTS[args.subject]
    photos = data / "demo" / "photos" / args.subject
    world.write_subject_photos(args.subject, photos)
    print(f"base model: {model}\nphotos of {subject.description}: {photos}")
    adapter_dir = data / "demo" / "adapter" / args.subject
    config = TrainConfig(
        base_model=model,
        photos=(str(photos),),
        token="sks",
        class_noun=subject.cls,
        output_dir=str(adapter_dir),
        **{**recipe.train_values(), "steps": args.steps or recipe.steps},
        batch_size=settings.train_batch_size,
        class_cache_dir=str(settings.class_cache_dir.resolve()),
        validation_samples=settings.quality_samples,
        quality_model=settings.quality_model,
        caption_model=settings.caption_model,
    )
    bars: dict[str, tqdm] = {}

    def progress(event) -> None:
        sampling = event.phase == "class_images"
        if event.phase not in bars:
            for bar in bars.values():
                bar.close()
            bars[event.phase] = tqdm(
                total=event.count if sampling else event.total,
                desc="class images" if sampling else "training",
                unit="image" if sampling else "step",
            )
        bar = bars[event.phase]
        bar.update((event.done if sampling else event.step) - bar.n)

    try:
        result = train(config, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print(f"adapter: {result.adapter_path} ({result.seconds_total:.0f} s in all)")
    if result.report.get("quality"):
        print(f"quality: {result.report['quality']}")
    runtime = GenerationRuntime(model)
    prompt = f"a photo of sks {subject.cls} on the beach"
    images = runtime.generate(
        GenerationRequest(
            prompt=prompt,
            adapters=(AdapterRef("demo", str(adapter_dir)),),
            count=4,
            **recipe.generate_values(),
        )
    )
    out = data / "demo" / "images"
    out.mkdir(parents=True, exist_ok=True)
    scorer = load_scorer()
    for i, image in enumerate(images):
        path = out / f"{args.subject}-beach-{i}.png"
        image.resize((128, 128), Image.Resampling.NEAREST).save(path)
        score = scorer.score(image)
        seen = score.subject if score.subject != "none" else f"a {score.cls}"
        print(f"{path}: the scorer sees {seen}, scene {score.scene}")
    return 0
