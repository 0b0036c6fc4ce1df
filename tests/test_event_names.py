"""One vocabulary of event types: the live stream, the webhooks and the widget all use the
names of ``core.domain.EventType``, and no other module spells one out."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.domain import WEBHOOK_EVENTS, EventType, WebhookEvent

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"(?:training|generation|subject|chat)\.[a-z_]+")
EVENTISH = re.compile(
    r"(?:training|generation|subject|chat)\."
    r"(?:started|progress|succeeded|failed|cancelled|canceled|ready|done|completed|finished"
    r"|deleted|reply|replied|message)"
)
"""What an event name looks like; ``chat.completion`` (OpenAI's object) and operation ids
such as ``subject.train`` are not events."""


def test_every_event_name_in_the_code_is_one_of_the_enum() -> None:
    known = {str(kind) for kind in EventType}
    strays = []
    for package in ("core", "worker", "agent", "plugin", "dreamchat"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if EVENTISH.fullmatch(node.value) and node.value not in known:
                        strays.append(f"{path.relative_to(ROOT)}: {node.value!r}")
    assert not strays, "not an EventType name: " + "; ".join(strays)


def test_the_check_sees_a_stray() -> None:
    assert EVENTISH.fullmatch("training.ready") and "training.ready" not in set(EventType)


def test_the_widget_listens_for_names_the_stream_sends() -> None:
    script = (ROOT / "plugin" / "static" / "widget.js").read_text()
    names = set(re.findall(r'"(' + NAME.pattern + r')"', script))
    assert names, "the widget listens for no event at all?"
    assert names <= {str(kind) for kind in EventType}, names - {str(k) for k in EventType}
    assert {"training.succeeded", "training.cancelled", "chat.reply"} <= names


def test_webhooks_carry_only_webhook_events() -> None:
    assert EventType.TRAINING_SUCCEEDED in WEBHOOK_EVENTS
    assert EventType.CHAT_REPLY not in WEBHOOK_EVENTS
    with pytest.raises(ValueError, match="not a webhook event"):
        WebhookEvent(id="msg_x", type=EventType.CHAT_REPLY)
