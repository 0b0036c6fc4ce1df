"""``dreamchat toyworld build | photos``: flags mapped onto the ToyWorld API, no more."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    toyworld = commands.add_parser("toyworld", help="the ToyWorld base model and its photos")
    sub = toyworld.add_subparsers(dest="toyworld_command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="pretrain the ToyWorld base model into OUT")
    build.add_argument("out", type=Path)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--minutes-budget",
        dest="minutes_budget",
        type=float,
        default=50.0,
        help="nominal minutes on 2 idle cores; sets the step counts, not a wall-clock limit",
    )
    build.add_argument("--threads", type=int, default=2, help="torch threads (part of the recipe)")
    build.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint in OUT-partial"
    )
    build.set_defaults(handler=_build)

    polish = sub.add_parser(
        "polish-vae", help="teach the VAE every colour, its world latents anchored (after build)"
    )
    polish.add_argument("model", type=Path)
    polish.add_argument("--steps", type=int, default=300)
    polish.add_argument("--seed", type=int, default=0)
    polish.add_argument("--threads", type=int, default=2)
    polish.set_defaults(handler=_polish)

    check = sub.add_parser("check", help="sample world prompts, score them, save a grid")
    check.add_argument("model", type=Path)
    check.add_argument("--out", type=Path, required=True, help="grid PNG")
    check.add_argument("--count", type=int, default=8, help="images per prompt")
    check.add_argument("--steps", type=int, default=25)
    check.add_argument("--guidance", type=float, default=4.0)
    check.add_argument("--seed", type=int, default=0)
    check.set_defaults(handler=_check)

    photos = sub.add_parser("photos", help="write a held-out subject's photos as PNG files")
    photos.add_argument("subject", help="pinkdog, spotdog or tealcar")
    photos.add_argument("out", type=Path)
    photos.add_argument("--count", type=int, default=5)
    photos.set_defaults(handler=_photos)


def _build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .build import BuildConfig, build

    config = BuildConfig(seed=args.seed, minutes_budget=args.minutes_budget, threads=args.threads)
    bar = tqdm(
        total=config.vae_steps + config.unet_steps,
        desc="toyworld",
        unit="step",
        dynamic_ncols=True,
        mininterval=10,
    )

    def progress(phase: str, step: int, total: int, loss: float) -> None:
        bar.n = step
        bar.set_postfix(phase=phase, loss=f"{loss:.4f}", refresh=False)
        bar.refresh() if step == total else bar.update(0)

    try:
        result = build(args.out, config, progress=progress, resume=args.resume)
    finally:
        bar.close()
    summary = {
        "model": str(result.path),
        "minutes": round(result.minutes, 2),
        "vae_loss": round(result.vae_loss, 5),
        "unet_loss": round(result.unet_loss, 5),
        "size_bytes": result.size_bytes,
    }
    print(json.dumps(summary, indent=2))
    return 0


def _polish(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .polish import polish_decoder

    with tqdm(total=args.steps, desc="polish-vae", unit="step") as bar:

        def progress(step: int, total: int, loss: float) -> None:
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{loss:.4f}")

        record = polish_decoder(
            args.model, steps=args.steps, seed=args.seed, threads=args.threads, progress=progress
        )
    print(json.dumps(record, indent=2))
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import check_model

    grid, table = check_model(
        args.model, count=args.count, steps=args.steps, guidance=args.guidance, seed=args.seed
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(args.out)
    print(json.dumps(table, indent=2))
    return 0


def _photos(args: argparse.Namespace) -> int:
    from .world import SUBJECTS, write_subject_photos

    if args.subject not in SUBJECTS:
        raise SystemExit(f"unknown subject {args.subject!r}; one of {', '.join(SUBJECTS)}")
    for path in write_subject_photos(args.subject, args.out, args.count):
        print(path)
    return 0
