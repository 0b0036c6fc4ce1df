"""What a chat turn is bound to: the authenticated identity and the conversation's state.

The runtime builds a ``ChatSession`` from the request's credentials and hands it to the tools
through LangGraph's runtime context. Tool arguments — which a model fills in, possibly steered
by a user's message — can name subjects, never a tenant or a user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.domain import Scope
from worker.context import Context

__all__ = ["CONVERSATION_TTL", "ChatSession", "ConversationState"]

CONVERSATION_TTL = 30 * 24 * 3600
"""Conversations (messages and state) expire a month after their last turn."""


@dataclass
class ConversationState:
    """Per-conversation memory beyond the messages, persisted in Redis with them."""

    focus_subject_id: str | None = None
    """The subject "him", "her", "it" refer to: the last one created, trained or drawn."""
    last_generation: dict[str, Any] | None = None
    """The compiled parameters of the last generation, for "another one", "make it at night".
    Consent is not kept here: it is recorded on the subject, for every door to see."""

    def to_json(self) -> dict[str, Any]:
        return {
            "focus_subject_id": self.focus_subject_id,
            "last_generation": self.last_generation,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationState:
        return cls(
            focus_subject_id=data.get("focus_subject_id"),
            last_generation=data.get("last_generation"),
        )


@dataclass
class ChatSession:
    ctx: Context
    scope: Scope
    conversation_id: str
    state: ConversationState
    attachments: list[str] = field(default_factory=list)
    """Upload ids sent with the current message."""
    wait_seconds: float = 5.0
    """How long a generation tool waits for images before answering with the job id."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the tools produced this turn for the caller: images, generation id, training id."""
