"""The installed package's version, reported by the API schema and the MCP server."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

__all__ = ["dreamchat_version"]


@cache
def dreamchat_version() -> str:
    try:
        return version("dreamchat")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"
