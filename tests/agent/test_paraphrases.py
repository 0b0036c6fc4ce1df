"""How many plain-English paraphrases the offline model maps to the right tool call.

Five sets, each written by someone who had seen neither the parser nor the other sets. Each
was scored once on first contact, before any rule was written against it: B 83.6 %, C 86.5 %,
D 87.2 %, E 91.3 % (target >= 90 %). A to D were then used to improve the rules and are
regression guards here; E (``paraphrases_e.jsonl``) has never been used to change a rule and
stays the held-out measure — keep it that way: don't tune the parser against its misses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.intents import parse_intent

DATA = Path(__file__).parent / "data"


def _correct(row: dict) -> bool:
    intent = parse_intent(row["text"], attachments=row.get("attachments", 0))
    tool = intent.tool or "help"
    if tool != row["intent"]:
        return False
    expected, aliases = row["args"], row.get("aliases") or {}
    if tool == "create_subject":
        nouns = [expected["class_noun"], *aliases.get("class_noun", [])]
        return (
            intent.args.get("name", "").lower() == expected["name"].lower()
            and intent.args.get("class_noun") in nouns
        )
    if tool == "rename_subject":
        return intent.args.get("new_name", "").strip("'\"").lower() == expected["new_name"].lower()
    return True


def score(name: str) -> tuple[int, int, list[str]]:
    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    misses = [r["text"] for r in rows if not _correct(r)]
    return len(rows) - len(misses), len(rows), misses


@pytest.mark.parametrize(
    ("name", "minimum"), [("paraphrases.jsonl", 0.97), ("paraphrases_heldout.jsonl", 0.97)]
)
def test_development_sets_stay_understood(name, minimum):
    right, total, misses = score(name)
    assert right / total >= minimum, misses


def test_held_out_set_meets_the_target():
    right, total, misses = score("paraphrases_e.jsonl")
    assert right / total >= 0.90, f"{right}/{total}; misses: {misses}"
