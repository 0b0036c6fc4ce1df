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


_JOB_TOOLS = {"generate_images": "generation", "start_training": "training"}

_CANCELS = {"cancel_generation": "cancel_training", "cancel_training": "cancel_generation"}
"""A bare "cancel it" tries the job the conversation started last, then the other kind."""


def _data(message: BaseMessage) -> dict[str, Any]:
    with suppress(json.JSONDecodeError, TypeError):
        data = json.loads(_text(message))
        if isinstance(data, dict):
            return data
    return {}


def _recent_job(messages: Sequence[BaseMessage]) -> str | None:
    """The kind of job the conversation started last: what a bare "cancel it" means."""
    for message in reversed(messages):
        if isinstance(message, ToolMessage) and message.name in _JOB_TOOLS:
            data = _data(message)
            if data.get("ok") and (data.get("generation_id") or data.get("training")):
                return _JOB_TOOLS[message.name]
    return None


def _this_turn(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages after the person's last one: this turn's tool calls and results."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return list(messages[i + 1 :])
    return list(messages)


def _other_cancel(messages: Sequence[BaseMessage]) -> str | None:
    """After a bare cancel found nothing of its kind running, the other kind to try, once."""
    turn = _this_turn(messages)
    results = [m for m in turn if isinstance(m, ToolMessage)]
    calls = [c for m in turn if isinstance(m, AIMessage) for c in m.tool_calls]
    if len(results) != 1 or len(calls) != 1 or any(calls[0]["args"].values()):
        return None
    last = results[0]
    if last.name not in _CANCELS or not _data(last).get("nothing_to_cancel"):
        return None
    return _CANCELS[last.name]


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
            other = _other_cancel(messages)
            if other is not None and other in tools:  # "cancel it": nothing of that kind runs
                return AIMessage(content="", tool_calls=[_call(other, {})])
            return self._after_tools(messages)
        if not isinstance(last, HumanMessage):
            return AIMessage(content="How can I help?")
        attachments = len(last.additional_kwargs.get(ATTACHMENTS_KEY) or [])
        intent = parse_intent(
            _text(last),
            awaiting=_awaiting(messages),
            attachments=attachments,
            after_picture=_made_a_picture(messages[:-1]),
            recent_job=_recent_job(messages[:-1]),
        )
        if intent.tool is not None and intent.tool in tools:
            return AIMessage(content="", tool_calls=[_call(intent.tool, intent.args)])
        if intent.tool is not None:
            return AIMessage(content="I can't do that here.")
        meta = {"dreamchat": {"awaiting": intent.awaiting}} if intent.awaiting else {}
        return AIMessage(content=intent.reply or "", additional_kwargs=meta)

    @staticmethod
    def _after_tools(messages: list[BaseMessage]) -> AIMessage:
        """Reply with what the tools of this turn said, carrying forward what they await."""
        results = [m for m in _this_turn(messages) if isinstance(m, ToolMessage)]
        if len(results) > 1 and any(not _data(r).get("nothing_to_cancel") for r in results):
            results = [r for r in results if not _data(r).get("nothing_to_cancel")]
        elif len(results) > 1:  # a bare "cancel it" found neither kind running
            return AIMessage(content="Nothing is training or being drawn right now.")
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


def _call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": tool, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


OfflineIntentModel = ChatOfflineIntents
