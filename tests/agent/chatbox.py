"""Scores the assistant on requests written the way people type in a chat box (issue 11's
sets): bare descriptions, pronouns, property changes, art styles, follow-ups and typos.

Each line sets up a user with trained subjects, replays the conversation's earlier messages,
sends the line's text, and checks what the assistant did with it against ``expect``:

- ``{"tool": "generate_images", "subjects", "include", "exclude"}``: a generation was queued
  whose prompt names exactly those subjects (by token) and contains / lacks those phrases;
- ``{"tool": "generate_images", "same_as_previous": true}``: the previous prompt, a new seed;
- ``{"ask": true, "mention": [...]}``: no generation, and a reply naming every candidate.

Turns run the real agent against a real Redis; generations are queued, never run (no worker).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.assistant import Assistant
from core.domain import Scope, SubjectStatus
from core.subjects import create_subject
from worker.context import Context

DATA = Path(__file__).parent / "data"
SETS = (
    "chatbox_dev.jsonl",
    "chatbox_heldout.jsonl",
    "chatbox_dev2.jsonl",
    "chatbox_heldout2.jsonl",
    "chatbox_dev3.jsonl",
    "chatbox_heldout3.jsonl",
    "chatbox_dev4.jsonl",
    "chatbox_heldout4.jsonl",
    "chatbox_dev5.jsonl",
    "chatbox_heldout5.jsonl",
    "chatbox_dev6.jsonl",
    "chatbox_dev7.jsonl",
    "chatbox_heldout6.jsonl",
)


@dataclass
class Outcome:
    ok: bool
    text: str
    category: str
    got: str


def load(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _ready(subject) -> None:
    subject.status, subject.adapter = SubjectStatus.READY, f"adapters/{subject.id}"


def run_line(ctx: Context, assistant: Assistant, row: dict[str, Any]) -> Outcome:
    scope = Scope("ten_chatbox", f"u{uuid.uuid4().hex[:10]}")
    tokens = {}
    for spec in row["subjects"]:
        subject = create_subject(
            ctx.store, scope=scope, name=spec["name"], class_noun=spec["class_noun"]
        )
        ctx.store.update_subject(scope, subject.id, _ready)
        tokens[spec["name"]] = subject.token
    conversation = None
    previous = None
    for text in row["history"]:
        reply = assistant.chat(
            scope=scope, message=text, conversation_id=conversation, wait_seconds=0
        )
        conversation = reply.conversation_id
        if reply.generation_id:
            previous = ctx.store.get_generation(scope, reply.generation_id)
    reply = assistant.chat(
        scope=scope, message=row["text"], conversation_id=conversation, wait_seconds=0
    )
    generation = (
        ctx.store.get_generation(scope, reply.generation_id) if reply.generation_id else None
    )
    got = generation.prompt if generation else f"(reply) {reply.reply}"
    return Outcome(
        _judge(row["expect"], tokens, reply.reply, generation, previous),
        row["text"],
        row["category"],
        got,
    )


def _judge(expect, tokens, reply_text, generation, previous) -> bool:
    if expect.get("ask"):
        return generation is None and all(
            name.lower() in reply_text.lower() for name in expect.get("mention", [])
        )
    if generation is None:
        return False
    if expect.get("same_as_previous"):
        return (
            previous is not None
            and generation.prompt == previous.prompt
            and generation.seed != previous.seed
        )
    prompt = generation.prompt.lower()
    words = prompt.replace(",", " ").split()
    wanted = set(expect.get("subjects", []))
    for name, token in tokens.items():
        if (token in words) != (name in wanted):
            return False
    if any(phrase.lower() not in prompt for phrase in expect.get("include", [])):
        return False
    return not any(phrase.lower() in prompt for phrase in expect.get("exclude", []))


def score(ctx: Context, name: str) -> Iterator[Outcome]:
    assistant = Assistant(ctx)
    for row in load(name):
        yield run_line(ctx, assistant, row)


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    by_category: dict[str, list[int]] = {}
    for o in outcomes:
        right_total = by_category.setdefault(o.category, [0, 0])
        right_total[0] += o.ok
        right_total[1] += 1
    right = sum(o.ok for o in outcomes)
    return {
        "correct": right,
        "total": len(outcomes),
        "share": round(right / len(outcomes), 3),
        "by_category": {k: f"{r}/{t}" for k, (r, t) in sorted(by_category.items())},
    }
