"""One chat turn with the offline model, in process, and how well it understands paraphrases.

    .venv/bin/python bench/chat_turn.py [--turns 400]

Turns run against a real (embedded) Redis: the conversation is loaded and saved each turn, the
agent graph runs, tools call the services. No generation happens in these turns (the images
would dominate). Target: p95 <= 10 ms, in process (docs/agent.md). The paraphrase share is
scored on five sets written by people who had not seen the parser: the development sets A-D
have since been used to improve the rules (their first-contact scores are recorded in
tests/agent/test_paraphrases.py); the held-out set E (paraphrases_heldout.jsonl) never has.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.assistant import Assistant  # noqa: E402
from agent.prompts import CompiledPrompt, SubjectRef, compile_prompt  # noqa: E402
from core.domain import Scope  # noqa: E402
from core.policy import check_request, policy_config  # noqa: E402
from core.redis_server import EmbeddedRedis  # noqa: E402
from core.settings import load_settings  # noqa: E402
from tests.agent.test_paraphrases import FLOORS, HELD_OUT, score  # noqa: E402
from worker.context import context_from_settings  # noqa: E402

SCRIPT = [
    "what can you do?",
    "this is my dog Rex",
    "what subjects do I have?",
    "how is Rex doing?",
    "rename Rex to Max",
    "rename Max to Rex",
    "is he trained yet?",
    "list my subjects",
]


def latency(turns: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="dreamchat-bench-chat-"))
    with EmbeddedRedis(work / "redis") as server:
        ctx = context_from_settings(
            load_settings(data_dir=work, key_prefix="bench"), redis_url=server.url
        )
        assistant = Assistant(ctx)
        times = []
        conversation = None
        for i in range(turns):
            scope = Scope("ten_bench", f"u{i // len(SCRIPT)}")
            text = SCRIPT[i % len(SCRIPT)]
            if i % len(SCRIPT) == 0:
                conversation = None
            started = time.perf_counter()
            reply = assistant.chat(scope=scope, message=text, conversation_id=conversation)
            times.append((time.perf_counter() - started) * 1000)
            conversation = reply.conversation_id
    warm = times[len(SCRIPT) :]  # the first script run pays imports and first-call costs
    warm.sort()
    return {
        "turns": len(warm),
        "p50_ms": round(statistics.median(warm), 2),
        "p95_ms": round(warm[int(len(warm) * 0.95) - 1], 2),
        "max_ms": round(warm[-1], 2),
    }


def per_call_us(rounds: int = 300) -> dict:
    """The prompt compiler and the content policy alone, per call (both were timed tests;
    targets live here now): each should stay well under a millisecond."""
    rex = SubjectRef("sub_rex", "Rex", "dog", "sks")
    anna = SubjectRef("sub_anna", "Anna", "woman", "zwx")
    requests = [
        "Can you show me 2 pictures of Rex on the beach at sunset without people?",
        "Rex and Anna in a park",
        "make it at night",
        "same but square",
        "a red version of Rex",
    ]
    config = policy_config(load_settings())
    previous = compile_prompt("Rex on the beach at sunset", [rex, anna])
    assert isinstance(previous, CompiledPrompt)
    figures = {}
    for name, call in (
        ("compile_prompt_us", lambda t: compile_prompt(t, [rex, anna], previous=previous)),
        ("policy_check_us", lambda t: check_request(t, [anna], config=config)),
    ):
        for text in requests:  # warm caches
            call(text)
        started = time.perf_counter()
        for _ in range(rounds):
            for text in requests:
                call(text)
        elapsed = time.perf_counter() - started
        figures[name] = round(elapsed / (rounds * len(requests)) * 1e6, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args()
    figures = {"chat_turn": latency(args.turns), **per_call_us(), "paraphrases": {}}
    for name in (*FLOORS, HELD_OUT):
        right, total, _ = score(name)
        figures["paraphrases"][name] = {
            "correct": right,
            "total": total,
            "share": round(right / total, 3),
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
