"""The assistant as an OpenAI-compatible "model": request and response shapes only.

``POST /v1/chat/completions`` takes the whole history, as OpenAI clients send it; we keep our
own conversation (subjects in focus, the last generation) in Redis, so a request is mapped to a
conversation id — the ``X-Conversation-Id`` header when the client sends one, otherwise a hash
of the first user message, which is stable across the turns of one chat in any client.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.domain import Scope
from core.errors import InvalidInput

__all__ = [
    "ChatCompletionRequest",
    "completion",
    "completion_chunks",
    "conversation_key",
    "last_user_text",
]

MODEL_NAME = "dreamchat"


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


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
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    user: str | None = None


def _text(message: ChatMessageIn) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return " ".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


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


def completion(content: str, *, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def completion_chunks(content: str, *, model: str, size: int = 64) -> Iterator[str]:
    """Server-sent ``chat.completion.chunk`` events, then ``[DONE]``."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        body = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for start in range(0, len(content), size):
        yield chunk({"content": content[start : start + size]})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
