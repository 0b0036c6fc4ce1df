"""The ``dreamchat`` console script: one parser, each layer registers its own commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.errors import DreamchatError
from trainer import cli as trainer_cli
from trainer.errors import TrainerError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dreamchat", description="LoRA DreamBooth personalization as a chat assistant."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from agent import cli as agent_cli
    from worker import cli as worker_cli

    from . import bench, demo, launcher

    trainer_cli.register(commands, model_defaults=_model_defaults)
    for layer in (launcher, worker_cli, agent_cli, demo, bench):
        layer.register(commands)
    return parser


def _model_defaults(model: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``dreamchat train`` / ``generate`` on a model start from the model's own recipe, as the
    service does (``core/recipe.py``): 32 px and 800 steps on ToyWorld, not 512 px and 500."""
    from core.recipe import model_defaults

    recipe = model_defaults(model)
    return recipe.train_values(), recipe.generate_values(), recipe.source


def main(argv: list[str] | None = None) -> int:
    from trainer.quiet import quiet_libraries

    args = build_parser().parse_args(argv)
    quiet_libraries()
    try:
        return int(args.handler(args) or 0)
    except (TrainerError, DreamchatError) as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
