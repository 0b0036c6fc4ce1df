"""What the chat says when a request names a subject the person doesn't have: the subject,
never the whole request quoted back as if it were a name. Real Redis, the offline model; no
worker, since nothing gets generated."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from agent.assistant import Assistant
from core.domain import Scope
from core.settings import load_settings
from core.subjects import create_subject
from worker.context import context_from_settings


@pytest.fixture
def assistant(redis_url: str, key_prefix: str, tmp_path: Path, redis_client: redis.Redis):
    """``redis_client`` comes along to delete this test's keys afterwards."""
    settings = load_settings(redis_url=redis_url, key_prefix=key_prefix, data_dir=tmp_path)
    return Assistant(context_from_settings(settings))


@pytest.mark.parametrize(
    ("request_text", "named"),
    [
        ("show Rex on the beach", "'Rex'"),
        ("make a picture of Luna in the snow", "'Luna'"),
        ("can you draw Bella and Rex at sunset", "'Bella'"),
    ],
)
def test_someone_with_no_subjects_hears_which_name_is_unknown(assistant, request_text, named):
    reply = assistant.chat(scope=Scope("ten_quote", "newcomer"), message=request_text).reply
    assert reply.startswith(f"I don't know {named}."), reply
    assert request_text not in reply and "no subjects yet" in reply


def test_a_request_naming_nobody_offers_to_set_a_subject_up(assistant):
    reply = assistant.chat(scope=Scope("ten_quote", "newcomer"), message="show the beach at sunset")
    assert reply.reply.startswith("You don't have any subjects yet"), reply.reply
    assert "beach" not in reply.reply


def test_my_kind_with_no_subjects_starts_onboarding(assistant):
    reply = assistant.chat(scope=Scope("ten_quote", "newcomer"), message="draw my horse in Paris")
    assert reply.reply.startswith("I don't know your horse yet")
    assert reply.awaiting == {"intent": "create_subject", "class_noun": "horse", "slot": "name"}


def test_an_unknown_name_next_to_a_known_subject(assistant):
    scope = Scope("ten_quote", "owner")
    create_subject(assistant.ctx.store, scope=scope, name="Rex", class_noun="dog")
    reply = assistant.chat(scope=scope, message="show Bella on the beach").reply
    assert reply.startswith("I don't know 'Bella'. Your subjects: Rex (dog"), reply
