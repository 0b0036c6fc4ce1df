"""An embedded, deterministic chat model that drives the same tools a hosted LLM would.

It is a real LangChain ``BaseChatModel``: ``bind_tools`` binds OpenAI-format tool schemas, a
human message becomes an ``AIMessage`` with a tool call (or a direct reply) from
``intents.parse_intent``, and a tool result becomes the reply that the tool wrote for the
person. What the assistant is waiting for (a name, a "yes") travels in the reply's
``additional_kwargs["dreamchat"]["awaiting"]``, so the model itself stays stateless and the
conversation — persisted like any other — carries it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from .intents import parse_intent

__all__ = ["ChatOfflineIntents", "OfflineIntentModel"]

ATTACHMENTS_KEY = "attachments"


def _awaiting(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """What the assistant asked for in its last reply, if the person is answering it now."""
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage):
            return (message.additional_kwargs.get("dreamchat") or {}).get("awaiting")
        if isinstance(message, HumanMessage):
            return None
    return None


def _made_a_picture(messages: Sequence[BaseMessage]) -> bool:
    """Whether ``generate_images`` made a picture earlier in the conversation: what a request
    such as "remove the cat" may then edit."""
    for message in reversed(messages):
        if isinstance(message, ToolMessage) and message.name == "generate_images":
            with suppress(json.JSONDecodeError, TypeError):
                data = json.loads(_text(message))
                if isinstance(data, dict) and data.get("ok") and data.get("generation_id"):
                    return True
    return False


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


_SCHEMAS: dict[int, tuple[Any, dict[str, Any]]] = {}


def _openai_schema(tool: Any) -> dict[str, Any]:
    """The agent binds its tools on every model call; converting a tool's schema once is
    enough (the tool object is kept alongside, so its id can't be reused)."""
    cached = _SCHEMAS.get(id(tool))
    if cached is None or cached[0] is not tool:
        if len(_SCHEMAS) > 256:  # tools built per call (not the agent's way): stay bounded
            _SCHEMAS.clear()
        cached = _SCHEMAS[id(tool)] = (tool, convert_to_openai_tool(tool))
    return cached[1]


class ChatOfflineIntents(BaseChatModel):
    """Offline assistant model: rule-based intents, real tool calls."""

    model_name: str = Field(default="dreamchat-offline-intents", alias="model")
    temperature: float | None = None
    """Accepted for interface parity; the model is deterministic."""
    max_tokens: int | None = None
    stop: list[str] | None = None
    model_config = ConfigDict(populate_by_name=True)

    @property
    def _llm_type(self) -> str:
        return "dreamchat-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [_openai_schema(t) for t in tools]
        return super().bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools = {t["function"]["name"] for t in kwargs.get("tools") or [] if "function" in t}
        message = self._respond(messages, tools)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _respond(self, messages: list[BaseMessage], tools: set[str]) -> AIMessage:
        if not messages:
            return AIMessage(content="Hi! How can I help?")
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return self._after_tools(messages)
        if not isinstance(last, HumanMessage):
            return AIMessage(content="How can I help?")
        attachments = len(last.additional_kwargs.get(ATTACHMENTS_KEY) or [])
        intent = parse_intent(
            _text(last),
            awaiting=_awaiting(messages),
            attachments=attachments,
            after_picture=_made_a_picture(messages[:-1]),
        )
        if intent.tool is not None and intent.tool in tools:
            call = {
                "name": intent.tool,
                "args": intent.args,
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "tool_call",
            }
            return AIMessage(content="", tool_calls=[call])
        if intent.tool is not None:
            return AIMessage(content="I can't do that here.")
        meta = {"dreamchat": {"awaiting": intent.awaiting}} if intent.awaiting else {}
        return AIMessage(content=intent.reply or "", additional_kwargs=meta)

    @staticmethod
    def _after_tools(messages: list[BaseMessage]) -> AIMessage:
        """Reply with what the tools of this turn said, carrying forward what they await."""
        results: list[ToolMessage] = []
        for message in reversed(messages):
            if not isinstance(message, ToolMessage):
                break
            results.insert(0, message)
        texts, awaiting = [], None
        for result in results:
            try:
                data = json.loads(_text(result))
            except (json.JSONDecodeError, TypeError):
                texts.append(_text(result))
                continue
            if isinstance(data, dict):
                texts.append(str(data.get("message", "")))
                awaiting = data.get("awaiting") or awaiting
            else:
                texts.append(str(data))
        meta = {"dreamchat": {"awaiting": awaiting}} if awaiting else {}
        return AIMessage(content=" ".join(t for t in texts if t), additional_kwargs=meta)


OfflineIntentModel = ChatOfflineIntents
