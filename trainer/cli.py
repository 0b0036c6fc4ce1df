"""``dreamchat tiny-model | train | generate``: flags mapped onto the trainer API, no more."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import CAPTION_MODES, TrainConfig

__all__ = ["register"]

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}

ModelDefaults = Callable[[str], tuple[dict[str, Any], dict[str, Any], str]]
"""base model → (training values, generation values, where they came from): the defaults of
``train`` and ``generate`` that the model itself sets (its recipe). The trainer imports nothing
of ours, so whoever registers these commands supplies it; without one, the flags' own
defaults (``TrainConfig``'s GPU recipe) apply."""


def register(
    commands: argparse._SubParsersAction, model_defaults: ModelDefaults | None = None
) -> None:
    tiny = commands.add_parser("tiny-model", help="write the random tiny SD pipeline used by tests")
    tiny.add_argument("out", type=Path)
    tiny.add_argument("--xl", action="store_true", help="a tiny SDXL pipeline instead")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.add_argument(
        "--size",
        choices=["tiny", "sd15", "sdxl"],
        default="tiny",
        help="sd15: SD 1.5's shapes; sdxl: SDXL base's (an SDXL pipeline, --xl implied)",
    )
    tiny.set_defaults(handler=_tiny_model)

    train = commands.add_parser("train", help="train one LoRA DreamBooth adapter")
    train.add_argument(
        "--base-model", dest="base_model", required=True, help="pipeline dir or hub id"
    )
    train.add_argument("--photos", required=True, nargs="+", help="a directory of photos, or files")
    train.add_argument("--token", required=True, help="rare identifier, e.g. sks")
    train.add_argument("--class-noun", dest="class_noun", required=True, help="e.g. dog, person")
    train.add_argument("--output", dest="output_dir", required=True)
    d = _DEFAULTS
    option = train.add_argument
    # No argparse default where the base model's recipe may set one: an unset flag is None and
    # _train fills it from the model. Its help names no number: the value depends on the model
    # (its recipe, else the GPU defaults at its native resolution; docs/trainer.md).
    model = "default: from the base model"
    option("--steps", type=int, help=model)
    option("--rank", type=int, help=model)
    option("--lora-alpha", dest="lora_alpha", type=int, help="default: = rank")
    option("--lr", type=float, help=model)
    option("--resolution", type=int, help=model)
    option("--batch-size", dest="batch_size", type=int, default=d["batch_size"])
    option("--grad-accum", dest="grad_accum", type=int, default=d["grad_accum"])
    option("--prior", action=argparse.BooleanOptionalAction, help="prior preservation; " + model)
    option(
        "--prior-loss-weight",
        dest="prior_loss_weight",
        type=float,
        help=model,
    )
    option("--num-class-images", dest="num_class_images", type=int, help=model)
    option("--class-cache", dest="class_cache_dir", help="shared class-prior cache directory")
    option("--class-prompt", dest="class_prompt")
    option("--instance-prompt", dest="instance_prompt")
    option(
        "--photo-captions",
        dest="photo_captions",
        choices=CAPTION_MODES,
        help="each photo's caption: auto = a caption file beside it (rex-1.txt), else the base "
        "model's captioner; files = caption files only; off = the instance prompt for all "
        "(default: auto)",
    )
    option(
        "--caption-model",
        dest="caption_model",
        help="the captioner for --photo-captions auto: a local CLIP model directory, toyworld, "
        "or off (default: the ToyWorld scorer on a ToyWorld base, none on others)",
    )
    option(
        "--class-sampler-steps",
        dest="class_sampler_steps",
        type=int,
        help=model,
    )
    option(
        "--class-guidance",
        dest="class_guidance_scale",
        type=float,
        help=model,
    )
    option("--train-text-encoder", dest="train_text_encoder", action="store_true")
    option(
        "--mixed-precision", dest="mixed_precision", choices=["no", "fp16", "bf16"], default="no"
    )
    option("--gradient-checkpointing", dest="gradient_checkpointing", action="store_true")
    option("--checkpoint-every", dest="checkpoint_every", type=int, default=d["checkpoint_every"])
    option("--resume", action="store_true", help="continue from the newest checkpoint in --output")
    option("--seed", type=int, default=d["seed"])
    train.set_defaults(handler=_train, model_defaults=model_defaults)

    gen = commands.add_parser("generate", help="generate images with one or more adapters")
    gen.add_argument("--base-model", dest="base_model", required=True)
    gen.add_argument(
        "--adapter", action="append", default=[], metavar="DIR[:WEIGHT]", help="repeat to compose"
    )
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--negative-prompt", dest="negative_prompt", help="default: the model's")
    gen.add_argument(
        "--out", required=True, type=Path, help="PNG file; with --count N, FILE-0.png..."
    )
    gen.add_argument("--count", type=int, default=1)
    gen.add_argument("--width", type=int)
    gen.add_argument("--height", type=int)
    gen.add_argument("--steps", type=int, help="default: the model's recipe, else 25")
    gen.add_argument(
        "--guidance", dest="guidance_scale", type=float, help="default: the model's, else 7.5"
    )
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(handler=_generate, model_defaults=model_defaults)

    from .toyworld import cli as toyworld_cli

    toyworld_cli.register(commands)


def _tiny_model(args: argparse.Namespace) -> int:
    from .tiny import build_tiny_pipeline

    xl = args.xl or args.size == "sdxl"
    out = build_tiny_pipeline(args.out, xl=xl, seed=args.seed, size=args.size)
    print(f"wrote tiny {'SDXL' if xl else 'SD'} pipeline to {out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .loop import train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    recipe, _ = _model_defaults(args)
    config = TrainConfig(**{**recipe, **given})
    bars: dict[str, tqdm] = {}

    def bar(phase: str, total: int, unit: str) -> tqdm:
        if phase not in bars:
            for other in bars.values():
                other.close()
            desc = "class images" if phase == "class_images" else "training"
            bars[phase] = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)
        return bars[phase]

    def progress(event) -> None:
        if event.phase == "class_images":  # its own bar: a slow first "step" hides nothing
            current = bar(event.phase, event.count, "image")
            done = event.done
        else:
            current = bar(event.phase, event.total, "step")
            done = event.step
            current.set_postfix(loss=f"{event.loss:.4f}", refresh=False)
        current.update(done - current.n)  # update(), not n =: tqdm's rate and ETA count it

    try:
        result = train(config, progress=progress)
    finally:
        for each in bars.values():
            each.close()
    summary = {
        "adapter": str(result.adapter_path),
        "steps": result.steps,
        "step_ms_median": round(result.step_ms_median, 2),
        "class_images": result.class_images,
        "seconds_total": round(result.seconds_total, 2),
        "resumed_from": result.resumed_from,
        # What each photo trained with: a user sees which backgrounds were named.
        "captions": [[c["photo"], c["prompt"]] for c in result.report.get("captions", [])],
    }
    print(json.dumps(summary, indent=2))
    return 0


def _model_defaults(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The base model's own (training, generation) defaults; where they came from goes to
    stderr."""
    if args.model_defaults is None:
        return {}, {}
    train, generate, source = args.model_defaults(args.base_model)
    print(f"defaults from {source}", file=sys.stderr)
    return train, generate


def _parse_adapter(value: str):
    from .generate import AdapterRef

    path, _, weight = value.rpartition(":") if ":" in value else (value, "", "")
    path = path or value
    return AdapterRef(
        name=Path(path).resolve().name or "adapter", path=path, weight=float(weight or 1.0)
    )


def _generate(args: argparse.Namespace) -> int:
    from .generate import GenerationRequest, GenerationRuntime

    adapters = []
    for index, value in enumerate(args.adapter):
        ref = _parse_adapter(value)
        adapters.append(dataclasses.replace(ref, name=f"a{index}_{ref.name}"))
    _, recipe = _model_defaults(args)
    names = ("negative_prompt", "width", "height", "steps", "guidance_scale")
    given = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    request = GenerationRequest(
        prompt=args.prompt,
        adapters=tuple(adapters),
        count=args.count,
        seed=args.seed,
        **{**recipe, **given},
    )
    runtime = GenerationRuntime(args.base_model)
    images = runtime.generate(request)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    paths = (
        [args.out]
        if len(images) == 1
        else [
            args.out.with_name(f"{args.out.stem}-{i}{args.out.suffix or '.png'}")
            for i in range(len(images))
        ]
    )
    for image, path in zip(images, paths, strict=True):
        image.save(path)
        print(path)
    print(f"{len(images)} image(s) in {runtime.last_seconds:.2f} s", file=sys.stderr)
    return 0
