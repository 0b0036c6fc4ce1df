"""One chat turn: load the conversation, run the agent with the session bound, save, answer.

The agent graph (``langchain.agents.create_agent``) is built once per process; each turn passes
its ``ChatSession`` — identity, conversation state, attachments — as the run's context, so the
same compiled agent serves every tenant without any tool ever trusting an argument for who
the caller is.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, cast

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    messages_from_dict,
    messages_to_dict,
)
from redis.exceptions import LockNotOwnedError

from core.domain import Scope
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import CONVERSATION, check_id, new_id
from worker.context import Context

from .lc_tools import lc_tools
from .models import build_chat_model
from .offline_model import ATTACHMENTS_KEY
from .session import CONVERSATION_TTL, ChatSession, ConversationState

__all__ = ["Assistant", "ChatReply", "SYSTEM_PROMPT"]

SYSTEM_PROMPT = """You are dreamchat, a friendly photo-studio assistant that makes personalized images.
A person gives you 3-25 photos of a subject (their pet, themselves, a product); you train a small
model of it (a few minutes) and then generate pictures of it in any scene.
- Use the tools for every action; never invent subjects, ids or results.
- To start: ask what the subject is and its name, create it, and ask for 3-25 varied photos.
- Photos attached to the person's message are added by create_subject or add_photos; report any
  per-photo problems the tool mentions, kindly and specifically.
- Before training a person, ask for consent (they are the person or have permission); only then
  call start_training with consent=true.
- For pictures, call generate_images with the person's request in their own words.
- Keep replies short and warm. Say what to do next."""

MAX_HISTORY = 40
TURN_LOCK_SECONDS = 180
"""Longest a turn may hold its conversation (an LLM turn plus the wait for images)."""


@dataclass
class ChatReply:
    conversation_id: str
    reply: str
    images: list[str] = field(default_factory=list)
    generation_id: str | None = None
    training_id: str | None = None
    awaiting: dict[str, Any] | None = None


def _trim(history: list[BaseMessage]) -> list[BaseMessage]:
    """The last turns, starting at a person's message (a tool result without its call is
    rejected by OpenAI-compatible servers)."""
    recent = history[-MAX_HISTORY:]
    while recent and not isinstance(recent[0], HumanMessage):
        recent = recent[1:]
    return recent


class Assistant:
    def __init__(self, ctx: Context, model: BaseChatModel | None = None):
        self.ctx = ctx
        self.model = model or build_chat_model(ctx.settings)
        self.agent = create_agent(
            self.model, lc_tools(), system_prompt=SYSTEM_PROMPT, context_schema=ChatSession
        )

    def _load(
        self, scope: Scope, conversation_id: str | None, *, create: bool = False
    ) -> tuple[str, ConversationState, list[BaseMessage]]:
        if conversation_id is None:
            return new_id(CONVERSATION), ConversationState(), []
        check_id(conversation_id, CONVERSATION, what="conversation")
        loaded = self.ctx.store.load_conversation(scope, conversation_id)
        if loaded is None and create:
            return conversation_id, ConversationState(), []
        if loaded is None:
            raise NotFound(
                "No such conversation; start a new one without conversation_id.",
                code="conversation_not_found",
            )
        state, raw = loaded
        return conversation_id, ConversationState.from_json(state), messages_from_dict(raw)

    def history(self, *, scope: Scope, conversation_id: str) -> list[BaseMessage]:
        return self._load(scope, conversation_id)[2]

    def chat(
        self,
        *,
        scope: Scope,
        message: str,
        conversation_id: str | None = None,
        attachments: list[str] | tuple[str, ...] = (),
        wait_seconds: float = 5.0,
        create: bool = False,
    ) -> ChatReply:
        """One turn. ``create`` starts a conversation under a caller-chosen id (the OpenAI
        endpoint derives one per chat) instead of refusing an unknown id."""
        if not message.strip() and not attachments:
            raise InvalidInput("Send a message or attach photos.", code="empty_message")
        if len(message) > 4000:
            raise InvalidInput("Messages are limited to 4000 characters.", code="message_too_long")
        if conversation_id is None:
            return self._turn(scope, message, None, attachments, wait_seconds, create)
        check_id(conversation_id, CONVERSATION, what="conversation")
        lock = self.ctx.store.conversation_lock(
            scope, conversation_id, ttl_seconds=TURN_LOCK_SECONDS
        )
        if not lock.acquire():
            raise Conflict(
                "I'm still answering your previous message in this conversation; send this "
                "one when that answer arrives.",
                code="conversation_busy",
            )
        try:
            return self._turn(scope, message, conversation_id, attachments, wait_seconds, create)
        finally:
            # A turn that outlived the lock's expiry no longer owns it: nothing to release.
            with suppress(LockNotOwnedError):
                lock.release()

    def _turn(
        self,
        scope: Scope,
        message: str,
        conversation_id: str | None,
        attachments: list[str] | tuple[str, ...],
        wait_seconds: float,
        create: bool,
    ) -> ChatReply:
        conversation_id, state, history = self._load(scope, conversation_id, create=create)
        human = HumanMessage(
            content=message,
            additional_kwargs={ATTACHMENTS_KEY: list(attachments)} if attachments else {},
        )
        session = ChatSession(
            self.ctx, scope, conversation_id, state, list(attachments), wait_seconds
        )
        sent = [*_trim(history), human]
        # The agent's input TypedDict lists the concrete message classes (``AnyMessage``);
        # the stored history is typed as their base class, which the graph accepts as well.
        messages = cast("list[AnyMessage | dict[str, Any]]", sent)
        result = self.agent.invoke({"messages": messages}, context=session)
        new: list[BaseMessage] = result["messages"][
            len(sent) - 1 :
        ]  # this turn: the person's message on
        last = next((m for m in reversed(new) if isinstance(m, AIMessage)), None)
        reply = last.text if last is not None else ""
        awaiting = (
            (last.additional_kwargs.get("dreamchat") or {}).get("awaiting")
            if last is not None
            else None
        )
        self.ctx.store.save_conversation(
            scope,
            conversation_id,
            state=state.to_json(),
            new_messages=messages_to_dict(new),
            ttl_seconds=CONVERSATION_TTL,
        )
        return ChatReply(
            conversation_id=conversation_id,
            reply=reply,
            images=list(session.outputs.get("images", [])),
            generation_id=session.outputs.get("generation_id"),
            training_id=session.outputs.get("training_id"),
            awaiting=awaiting,
        )
