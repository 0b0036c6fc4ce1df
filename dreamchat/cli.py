"""The ``dreamchat`` console script: one parser, each layer registers its own commands."""

from __future__ import annotations

import argparse
import sys

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

    for layer in (trainer_cli, launcher, worker_cli, agent_cli, demo, bench):
        layer.register(commands)
    return parser


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
