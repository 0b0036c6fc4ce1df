"""``dreamchat bench toybench``: ToyBench with the service's own defaults (docs/toybench.md)."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.config import CAPTION_MODES

if TYPE_CHECKING:
    from trainer.toyworld.bench import BenchSettings

__all__ = ["register", "service_settings"]


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="quality benchmarks")
    sub = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    toy = sub.add_parser(
        "toybench",
        help="DreamBench at toy scale: subject fidelity, prompt fidelity, PRES, diversity",
    )
    toy.add_argument("--model", help="a ToyWorld pipeline (default: the committed one)")
    toy.add_argument("--subjects", default="pinkdog,spotdog,tealcar")
    toy.add_argument("--methods", default="base,prior,no-prior")
    toy.add_argument("--scenes", default="beach,snow,forest,night,city")
    # 16, not DreamBench's 4 per prompt: with five prompts, 4 pictures each made the prompt
    # fidelity swing by 0.1 between seeds (docs/toybench.md, item 12).
    toy.add_argument("--images", type=int, default=16, help="pictures per prompt")
    toy.add_argument("--pres-images", type=int, default=16, help="plain class pictures")
    toy.add_argument(
        "--photo-captions",
        choices=CAPTION_MODES,
        help="how the photos are captioned for training (default: auto; off = the paper's "
        "one instance prompt)",
    )
    toy.add_argument("--work", type=Path, help="adapters and class cache (default: a temp dir)")
    toy.add_argument("--json", type=Path, help="write every figure here")
    toy.add_argument("--grid", type=Path, help="save the pictures as one PNG")
    for name, kind in (
        ("steps", int),
        ("lr", float),
        ("rank", int),
        ("num-class-images", int),
        ("prior-loss-weight", float),
        ("class-sampler-steps", int),
        ("sampler-steps", int),
        ("guidance-scale", float),
        ("seed", int),
    ):
        toy.add_argument(f"--{name}", type=kind, help="override the service default")
    toy.set_defaults(handler=_toybench)


def _toybench(args: argparse.Namespace) -> int:
    from core.settings import DEFAULT_BASE_MODEL
    from trainer.toyworld.bench import (
        markdown,
        run_toybench,
        save_grid,
        write_json,
    )

    model = Path(args.model) if args.model else DEFAULT_BASE_MODEL
    settings = service_settings(model)
    overrides = {
        "steps": args.steps,
        "lr": args.lr,
        "rank": args.rank,
        "num_class_images": args.num_class_images,
        "prior_loss_weight": args.prior_loss_weight,
        "class_sampler_steps": args.class_sampler_steps,
        "sampler_steps": args.sampler_steps,
        "guidance_scale": args.guidance_scale,
        "seed": args.seed,
        "photo_captions": args.photo_captions,
    }
    from dataclasses import replace

    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    print(f"ToyBench on {model}\nsettings: {settings}", flush=True)
    with tempfile.TemporaryDirectory(prefix="toybench-") as scratch:
        results = run_toybench(
            model,
            settings,
            work=args.work or scratch,
            subjects=args.subjects.split(","),
            methods=args.methods.split(","),
            scenes=args.scenes.split(","),
            images=args.images,
            pres_images=args.pres_images,
            log=lambda line: print(line, flush=True),
        )
    print()
    print(markdown(results))
    print(f"\ncommand: dreamchat {shlex.join(sys.argv[1:])}")
    if args.json:
        write_json(results, settings, args.json)
    if args.grid:
        save_grid(results, args.grid)
    return 0


def service_settings(model: Path) -> BenchSettings:
    """What a trained ToyBench method uses: the service's own defaults for ``model``
    (``core/recipe.py``: settings, then the model's recipe)."""
    from core.recipe import service_recipe
    from core.settings import load_settings
    from trainer.toyworld.bench import BenchSettings

    recipe = service_recipe(load_settings(base_model=str(model)))
    return BenchSettings(
        steps=recipe.steps,
        lr=recipe.learning_rate,
        rank=recipe.rank,
        num_class_images=recipe.num_class_images,
        prior_loss_weight=recipe.prior_loss_weight,
        class_sampler_steps=recipe.class_sampler_steps,
        class_guidance_scale=recipe.class_guidance_scale,
        resolution=recipe.resolution,
        sampler_steps=recipe.generation_steps,
        guidance_scale=recipe.guidance_scale,
    )
