"""The tool registry as LangChain tools. The session comes from LangGraph's runtime context
(``ToolRuntime.context``), which only the server sets; the model sees the argument schema only."""

# No ``from __future__ import annotations`` here: LangGraph finds the injected ``runtime``
# parameter by its evaluated type annotation.
import json
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, StructuredTool

from .session import ChatSession
from .tools import TOOLS, ToolSpec, run_tool

__all__ = ["lc_tools"]


def _make(spec: ToolSpec) -> BaseTool:
    def call(runtime: ToolRuntime[ChatSession], **arguments: Any) -> str:
        return json.dumps(run_tool(runtime.context, spec.name, arguments), default=str)

    return StructuredTool.from_function(
        func=call, name=spec.name, description=spec.description, args_schema=spec.args
    )


def lc_tools() -> list[BaseTool]:
    return [_make(spec) for spec in TOOLS]
