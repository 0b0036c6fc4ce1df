"""The assistant as an OpenAI-compatible "model": request and response shapes only.

``POST /v1/chat/completions`` takes the whole history, as OpenAI clients send it; we keep our
own conversation (subjects in focus, the last generation) in Redis, so a request is mapped to a
conversation id — the ``X-Conversation-Id`` header when the client sends one, otherwise a hash
of the first user message, which is stable across the turns of one chat in any client.

``usage`` counts tokens with :func:`count_tokens`, an estimate (words and punctuation marks,
about what a BPE tokenizer makes of English) because the assistant's model may be an offline
one without a tokenizer; ``max_tokens`` cuts the reply at that many of the same tokens and
says so with ``finish_reason: "length"``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.domain import Scope
from core.errors import InvalidInput

__all__ = [
    "MODEL_NAME",
    "ChatCompletionRequest",
    "Reply",
    "completion",
    "completion_chunks",
    "conversation_key",
    "count_tokens",
    "last_user_text",
    "model_list",
    "prompt_tokens",
    "truncate",
]

MODEL_NAME = "dreamchat"
_TOKEN = re.compile(r"\w+|[^\w\s]")
_USER_TEXT: dict[str, Any] = {"type": "string", "pattern": r"\S"}
_USER_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"const": "user"},
        "content": {
            "anyOf": [
                _USER_TEXT,
                {
                    "type": "array",
                    "contains": {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {"type": {"const": "text"}, "text": _USER_TEXT},
                    },
                },
            ]
        },
    },
}


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "dreamchat",
                    "messages": [{"role": "user", "content": "show Rex in Paris"}],
                }
            ]
        },
    )
    model: str = MODEL_NAME
    messages: list[ChatMessageIn] = Field(
        min_length=1,
        description="The chat so far; its last user message with text is the turn.",
        json_schema_extra={"contains": _USER_MESSAGE},
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1, description="Cut the reply here.")
    max_completion_tokens: int | None = Field(default=None, ge=1, description="As max_tokens.")
    user: str | None = None

    @property
    def token_limit(self) -> int | None:
        limits = [n for n in (self.max_tokens, self.max_completion_tokens) if n is not None]
        return min(limits) if limits else None


class Reply(BaseModel):
    """The assistant's answer as the completion carries it."""

    content: str
    finish_reason: Literal["stop", "length"] = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def _text(message: ChatMessageIn) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    texts = (p.get("text") for p in parts if p.get("type") == "text")
    return " ".join(t for t in texts if isinstance(t, str))


def last_user_text(request: ChatCompletionRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            text = _text(message).strip()
            if text:
                return text
    raise InvalidInput("Send at least one user message with text.", code="no_user_message")


def conversation_key(scope: Scope, request: ChatCompletionRequest) -> str:
    first = next((_text(m) for m in request.messages if m.role == "user"), "")
    digest = hashlib.sha256(f"{scope.tenant_id}\x00{scope.user_id}\x00{first}".encode()).hexdigest()
    return digest[:32]


def content_with_images(reply: str, image_urls: list[str]) -> str:
    """Images as markdown links, which chat UIs render inline."""
    links = "\n".join(f"![image {i + 1}]({url})" for i, url in enumerate(image_urls))
    return f"{reply}\n\n{links}" if links else reply


def count_tokens(text: str) -> int:
    """An estimate: one token per word and per punctuation mark."""
    return len(_TOKEN.findall(text))


def prompt_tokens(request: ChatCompletionRequest) -> int:
    return sum(count_tokens(_text(m)) for m in request.messages)


def truncate(content: str, limit: int | None) -> tuple[str, bool]:
    """``content`` cut after ``limit`` tokens, and whether it was cut."""
    if limit is None:
        return content, False
    matches = list(_TOKEN.finditer(content))
    if len(matches) <= limit:
        return content, False
    return content[: matches[limit - 1].end()], True


def model_list(*, created: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": MODEL_NAME, "object": "model", "created": created, "owned_by": "dreamchat"}
        ],
    }


def completion(reply: Reply, *, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": reply.usage(),
    }


def completion_chunks(
    reply: Reply, *, model: str, include_usage: bool = False, size: int = 64
) -> Iterator[str]:
    """Server-sent ``chat.completion.chunk`` events, then ``[DONE]``. With ``include_usage``
    every chunk has ``usage: null`` and one more chunk, with no choices, carries the usage."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> str:
        body: dict[str, Any] = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
        }
        if include_usage:
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n"

    def delta(content: dict[str, Any], finish: str | None = None) -> str:
        return chunk([{"index": 0, "delta": content, "finish_reason": finish}])

    yield delta({"role": "assistant", "content": ""})
    for start in range(0, len(reply.content), size):
        yield delta({"content": reply.content[start : start + size]})
    yield delta({}, reply.finish_reason)
    if include_usage:
        yield chunk([], reply.usage())
    yield "data: [DONE]\n\n"
