"""``dreamchat mcp`` (the tools over MCP stdio) and ``dreamchat tools`` (their schemas).

Imports stay inside the handlers: every ``dreamchat`` command builds this parser, and most of
them never need the MCP SDK.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    mcp = commands.add_parser(
        "mcp",
        help="serve the assistant's tools over MCP stdio",
        description="Serve the assistant's tools over MCP on stdin/stdout, acting for one "
        "end user of one tenant. Prefer the environment to flags: flags show in `ps`.",
    )
    mcp.add_argument("--api-key", help="tenant API key (default: $DREAMCHAT_API_KEY)")
    mcp.add_argument("--user", help="end user id (default: $DREAMCHAT_USER_ID)")
    mcp.set_defaults(handler=_mcp)

    tools = commands.add_parser("tools", help="print the assistant's tool schemas as JSON")
    tools.add_argument(
        "--format",
        choices=("openai", "mcp"),
        default="openai",
        help="OpenAI function tools (default) or the MCP tools/list entries",
    )
    tools.set_defaults(handler=_tools)


def _mcp(args: argparse.Namespace) -> int:
    from core.redis_server import resolve_redis_url
    from core.settings import get_settings
    from worker.context import context_from_settings

    from .mcp_server import bind_identity, serve_stdio

    settings = get_settings()
    env_key = settings.api_key.get_secret_value() if settings.api_key else None
    with resolve_redis_url(settings) as url:
        ctx = context_from_settings(settings, redis_url=url)
        scope = bind_identity(
            ctx,
            api_key=args.api_key or env_key,
            user_id=args.user or settings.user_id,
        )
        serve_stdio(ctx, scope)
    return 0


def _tools(args: argparse.Namespace) -> int:
    if args.format == "openai":
        from .export import openai_tool_schemas

        schemas = openai_tool_schemas()
    else:
        from .mcp_server import mcp_tool_schemas

        schemas = mcp_tool_schemas()
    json.dump(schemas, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
