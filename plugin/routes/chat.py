"""The assistant over HTTP: ``POST /v1/chat``, the live ``GET /v1/events`` stream, and
``POST /v1/chat/completions`` for any OpenAI-compatible chat client."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from core.domain import Scope
from worker.progress import publish

from ..deps import Api, CurrentScope, EventStreamScope, ImageLinker, ImageLinks
from ..errors import responses
from ..openai_compat import (
    ChatCompletionRequest,
    completion,
    completion_chunks,
    content_with_images,
    conversation_key,
    last_user_text,
)
from ..schemas import ImageOut

__all__ = ["router"]

router = APIRouter(tags=["chat"], responses=responses(401, 403, 422, 429))
KEEPALIVE_SECONDS = 15.0


class ChatIn(BaseModel):
    message: str = Field(default="", max_length=4000, examples=["show my dog in Paris"])
    conversation_id: str | None = Field(default=None, examples=["cnv_ab2cd3ef4gh5ij6kl7mn2op3q"])
    attachments: list[str] = Field(default_factory=list, max_length=25, description="upload ids")


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
    publish(api.ctx, scope.tenant_id, scope.user_id, {"type": "chat.reply", **out.model_dump()})
    return out


@router.post("/v1/chat", summary="One chat turn", responses=responses(404))
def chat(body: ChatIn, api: Api, scope: CurrentScope, links: ImageLinks) -> ChatOut:
    """Send the person's message (and the ids of photos uploaded with it). A generation is
    waited for a few seconds; if it takes longer, ``generation_id`` is set and the images
    arrive on ``GET /v1/events`` (and the ``generation.succeeded`` webhook)."""
    return _turn(api, scope, links, body.message, body.conversation_id, body.attachments)


def _with_urls(event: dict[str, Any], scope: Scope, links: ImageLinker) -> dict[str, Any]:
    if event.get("images") and event.get("type", "").startswith("generation."):
        event["image_urls"] = [{"id": i, "url": links.url(scope, i)} for i in event["images"]]
    return event


@router.get(
    "/v1/events",
    summary="Live events for this user (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
)
async def events(
    request: Request, api: Api, scope: EventStreamScope, links: ImageLinks
) -> StreamingResponse:
    """Chat replies, training progress (``training.progress``), ``training.ready`` notices and
    finished generations, as they happen. Browsers pass a user token as ``?token=``."""
    channel = api.ctx.events_channel(scope.tenant_id, scope.user_id)

    async def stream() -> AsyncIterator[str]:
        client = api.ctx.async_redis()
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(channel)
            yield "retry: 3000\n: connected\n\n"
            while not await request.is_disconnected():
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=KEEPALIVE_SECONDS
                )
                if message is None:
                    yield ": keep-alive\n\n"
                    continue
                event = _with_urls(json.loads(message["data"]), scope, links)
                yield f"event: {event.get('type', 'message')}\ndata: {json.dumps(event, default=str)}\n\n"
        finally:  # the client goes back whatever happened, a failed subscribe included
            try:
                await pubsub.unsubscribe(channel)
                await pubsub.aclose()
            finally:
                await client.aclose()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _conversation_id(scope: Scope, request: ChatCompletionRequest, header: str | None) -> str:
    if header:
        return header
    digest = bytes.fromhex(conversation_key(scope, request))
    return "cnv_" + base64.b32encode(digest).decode().lower()[:24]


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat",
    response_model=None,
    responses={
        200: {
            "description": "A chat.completion object, or chat.completion.chunk events when streaming"
        }
    },
)
def chat_completions(
    body: ChatCompletionRequest,
    api: Api,
    scope: CurrentScope,
    links: ImageLinks,
    conversation: Annotated[str | None, Header(alias="X-Conversation-Id")] = None,
) -> JSONResponse | StreamingResponse:
    """The assistant as a "model" any OpenAI-compatible client can talk to: the last user
    message is the turn, images come back as markdown links. The conversation is kept on our
    side (``X-Conversation-Id``, or one derived from the chat's first message)."""
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
    headers = {"X-Conversation-Id": out.conversation_id}
    if body.stream:
        return StreamingResponse(
            completion_chunks(content, model=body.model),
            media_type="text/event-stream",
            headers=headers,
        )
    return JSONResponse(completion(content, model=body.model), headers=headers)
