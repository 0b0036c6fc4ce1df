"""The assistant over HTTP: ``POST /v1/chat``, the live ``GET /v1/events`` stream, and
``POST /v1/chat/completions`` for any OpenAI-compatible chat client."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from sse_starlette import EventSourceResponse, ServerSentEvent

from core.domain import EventType, Scope
from core.ids import CONVERSATION, id_pattern
from core.store import decode_event
from worker.progress import publish

from ..deps import Api, CurrentScope, EventStreamScope, ImageLinker, ImageLinks
from ..errors import responses
from ..openai_compat import (
    ChatCompletionRequest,
    Reply,
    completion,
    completion_chunks,
    content_with_images,
    conversation_key,
    count_tokens,
    last_user_text,
    model_list,
    prompt_tokens,
    truncate,
)
from ..schemas import ConversationIdStr, ImageOut, UploadIdStr

__all__ = ["router"]

router = APIRouter(tags=["chat"], responses=responses(401, 403, 422, 429))
_MODEL_CREATED = 1_767_225_600  # 2026-01-01: when the "model" first answered; never changes


class ChatIn(BaseModel):
    """A message with some text, or photos, or both (422 ``empty_message`` otherwise)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["message"], "properties": {"message": {"pattern": r"\S"}}},
                {"required": ["attachments"], "properties": {"attachments": {"minItems": 1}}},
            ]
        }
    )
    message: str = Field(default="", max_length=4000, examples=["show my dog in Paris"])
    conversation_id: ConversationIdStr | None = Field(
        default=None, description="Omit to start a conversation; 404 for one that isn't yours."
    )
    attachments: list[UploadIdStr] = Field(
        default_factory=list, max_length=25, description="upload ids"
    )


class ChatOut(BaseModel):
    conversation_id: str
    reply: str
    images: list[ImageOut] = Field(default_factory=list)
    generation_id: str | None = None
    training_id: str | None = None


def _turn(
    api: Api,
    scope: Scope,
    links: ImageLinker,
    message: str,
    conversation_id: str | None,
    attachments: list[str],
    *,
    create: bool = False,
) -> ChatOut:
    reply = api.assistant.chat(
        scope=scope,
        message=message,
        conversation_id=conversation_id,
        attachments=attachments,
        wait_seconds=api.settings.chat_wait_seconds,
        create=create,
    )
    out = ChatOut(
        conversation_id=reply.conversation_id,
        reply=reply.reply,
        images=[ImageOut(id=i, url=links.url(scope, i)) for i in reply.images],
        generation_id=reply.generation_id,
        training_id=reply.training_id,
    )
    publish(api.ctx, scope.tenant_id, scope.user_id, EventType.CHAT_REPLY, out.model_dump())
    return out


@router.post("/v1/chat", summary="One chat turn", responses=responses(404, 409))
def chat(body: ChatIn, api: Api, scope: CurrentScope, links: ImageLinks) -> ChatOut:
    """Send the person's message (and the ids of photos uploaded with it). A generation is
    waited for a few seconds; if it takes longer, ``generation_id`` is set and the images
    arrive on ``GET /v1/events`` (and the ``generation.succeeded`` webhook)."""
    return _turn(api, scope, links, body.message, body.conversation_id, body.attachments)


def _with_urls(event: dict[str, Any], scope: Scope, links: ImageLinker) -> dict[str, Any]:
    if event.get("images") and event.get("type", "").startswith("generation."):
        event["image_urls"] = [{"id": i, "url": links.url(scope, i)} for i in event["images"]]
    return event


_EVENT_ID = r"^[0-9]{1,19}(-[0-9]{1,19})?$"
_SSE_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": _EVENT_ID},
        "event": {"type": "string", "examples": ["training.progress", "chat.reply"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer"},
    },
}


@router.get(
    "/v1/events",
    summary="Live events for this user (server-sent events)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
            "description": "An event stream: each event has an ``id:``, its type as ``event:`` "
            "and JSON ``data:``.",
        }
    },
)
async def events(
    api: Api,
    scope: EventStreamScope,
    links: ImageLinks,
    last_event_id: Annotated[
        str | None,
        WithJsonSchema({"type": "string", "pattern": _EVENT_ID}),
        Header(
            alias="Last-Event-ID",
            pattern=_EVENT_ID,
            description="Resume after this event (browsers send it when they reconnect).",
        ),
    ] = None,
) -> EventSourceResponse:
    """Chat replies (``chat.reply``), training progress and ends (``training.progress``,
    ``training.succeeded`` …: the names webhooks use) and finished generations, as they happen. Browsers pass a user token as ``?token=``. Each
    event carries an ``id:``; reconnect with ``Last-Event-ID`` and the events since then come
    first (the last ``DREAMCHAT_EVENT_LOG_LENGTH`` are kept). A response ends after
    ``DREAMCHAT_EVENT_STREAM_SECONDS``, and at once when the server shuts down;
    ``EventSource`` reconnects by itself."""
    key = api.ctx.store.events_key(scope)
    settings = api.settings
    drain = api.drain
    deadline = time.monotonic() + settings.event_stream_seconds

    async def stream() -> AsyncIterator[ServerSentEvent]:
        client = api.ctx.async_redis()
        try:
            cursor = last_event_id
            if cursor is None:  # only what happens from now on
                newest = await client.xrevrange(key, count=1)
                cursor = newest[0][0].decode() if newest else "0-0"
            yield ServerSentEvent(comment="connected", retry=3000)
            while (left := deadline - time.monotonic()) > 0 and not drain.draining:
                wait_ms = max(1, int(min(left, settings.event_ping_seconds) * 1000))
                batches = []
                with drain.interruptible():
                    batches = await client.xread({key: cursor}, count=100, block=wait_ms)
                for _, entries in batches:
                    for entry_id, fields in entries:
                        cursor = entry_id.decode()
                        event = _with_urls(decode_event(fields), scope, links)
                        yield ServerSentEvent(
                            json.dumps(event, default=str),
                            event=str(event.get("type", "message")),
                            id=cursor,
                        )
            if drain.draining:  # the response ends cleanly; the client resumes elsewhere
                yield ServerSentEvent(comment="shutting down: reconnect with Last-Event-ID")
        finally:  # the client goes back however the stream ends
            await client.aclose()

    return EventSourceResponse(
        stream(),
        ping=settings.event_ping_seconds,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        # sse-starlette cancels a stream, response unfinished, when it sees uvicorn stop; the
        # drain has ended ours by then, and this makes that order certain.
        shutdown_grace_period=1.0,
    )


def _conversation_id(scope: Scope, request: ChatCompletionRequest, header: str | None) -> str:
    if header is not None:
        return header
    digest = bytes.fromhex(conversation_key(scope, request))
    return "cnv_" + base64.b32encode(digest).decode().lower()[:24]


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat",
    response_model=None,
    responses={
        **responses(404, 409),
        200: {
            "description": "A chat.completion object, or chat.completion.chunk events when streaming"
        },
    },
)
def chat_completions(
    body: ChatCompletionRequest,
    api: Api,
    scope: CurrentScope,
    links: ImageLinks,
    conversation: Annotated[
        str | None,
        WithJsonSchema({"type": "string", "pattern": id_pattern(CONVERSATION)}),
        Header(
            alias="X-Conversation-Id",
            description="Continue this conversation (or start one under this id); 404 for an "
            "id that isn't one.",
        ),
    ] = None,
) -> JSONResponse | StreamingResponse:
    """The assistant as a "model" any OpenAI-compatible client can talk to: the last user
    message is the turn, images come back as markdown links. The conversation is kept on our
    side (``X-Conversation-Id``, or one derived from the chat's first message). ``usage``
    counts tokens as :func:`count_tokens` estimates them; ``max_tokens`` cuts the reply
    (``finish_reason: "length"``); ``stream_options.include_usage`` adds the usage chunk."""
    out = _turn(
        api,
        scope,
        links,
        last_user_text(body),
        _conversation_id(scope, body, conversation),
        [],
        create=True,
    )
    content = content_with_images(out.reply, [image.url for image in out.images])
    content, cut = truncate(content, body.token_limit)
    reply = Reply(
        content=content,
        finish_reason="length" if cut else "stop",
        prompt_tokens=prompt_tokens(body),
        completion_tokens=count_tokens(content),
    )
    headers = {"X-Conversation-Id": out.conversation_id}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            completion_chunks(reply, model=body.model, include_usage=include_usage),
            media_type="text/event-stream",
            headers=headers,
        )
    return JSONResponse(completion(reply, model=body.model), headers=headers)


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


@router.get("/v1/models", summary="OpenAI-compatible model list")
def list_models(scope: CurrentScope) -> ModelList:
    """The one "model", ``dreamchat``: chat UIs list models before the first message."""
    return ModelList.model_validate(model_list(created=_MODEL_CREATED))
