"""A bare "cancel it" / "stop that" with the offline model: it stops what this conversation
started last — a picture being drawn or a training — and, when that is no longer running, the
other kind; said of either by name ("stop the training", "cancel the picture"), only that one.
Real Redis, no worker: generations stay queued, trainings are recorded as queued."""

from __future__ import annotations

import pytest

from agent.assistant import Assistant
from core.blobs import LocalBlobStore
from core.domain import JobStatus, Scope, SubjectStatus, TrainingRun
from core.ids import TRAINING, new_id
from core.settings import load_settings
from core.subjects import create_subject
from worker.context import Context

from ..plugin.conftest import purge_rq
from .chatbox import _ready


@pytest.fixture
def world(redis_client, store, key_prefix, tmp_path):
    settings = load_settings(data_dir=tmp_path, key_prefix=key_prefix)
    ctx = Context(settings, redis_client, store, LocalBlobStore(tmp_path / "blobs"))
    scope = Scope("ten_cancel", "u-cancel")
    rex = create_subject(ctx.store, scope=scope, name="Rex", class_noun="dog")
    ctx.store.update_subject(scope, rex.id, _ready)
    luna = create_subject(ctx.store, scope=scope, name="Luna", class_noun="cat")
    yield ctx, scope, Assistant(ctx), rex, luna
    purge_rq(redis_client, key_prefix)


def _training(ctx, scope, subject) -> str:
    """A queued training of the subject, as ``start_training`` records it."""
    run = TrainingRun(
        id=new_id(TRAINING),
        tenant_id=scope.tenant_id,
        user_id=scope.user_id,
        subject_id=subject.id,
        total_steps=10,
    )
    ctx.store.begin_training(scope, run, max_active=5)
    return run.id


def _talk(assistant, scope):
    conversation: list[str] = []

    def say(text):
        reply = assistant.chat(
            scope=scope,
            message=text,
            conversation_id=conversation[0] if conversation else None,
            wait_seconds=0,
        )
        conversation[:] = [reply.conversation_id]
        return reply

    return say


def test_cancel_it_after_a_picture_stops_the_picture(world):
    ctx, scope, assistant, _, _ = world
    say = _talk(assistant, scope)
    drawn = say("Rex on the beach")
    stopped = say("cancel it")
    assert stopped.reply == "Cancelled the picture."
    assert ctx.store.get_generation(scope, drawn.generation_id).status is JobStatus.CANCELLED


def test_stop_that_with_only_a_training_stops_the_training(world):
    ctx, scope, assistant, _, luna = world
    run_id = _training(ctx, scope, luna)
    stopped = _talk(assistant, scope)("stop that")
    assert stopped.reply == "Cancelled training Luna."
    assert ctx.store.get_training_run(scope, run_id).status is JobStatus.CANCELLED
    assert ctx.store.get_subject(scope, luna.id).status is not SubjectStatus.TRAINING


def test_a_finished_picture_leaves_the_training_to_stop(world):
    ctx, scope, assistant, _, luna = world
    say = _talk(assistant, scope)
    drawn = say("Rex on the beach")
    ctx.store.update_generation(
        scope, drawn.generation_id, lambda g: setattr(g, "status", JobStatus.SUCCEEDED)
    )
    run_id = _training(ctx, scope, luna)
    stopped = say("cancel it")
    assert stopped.reply == "Cancelled training Luna."
    assert ctx.store.get_training_run(scope, run_id).status is JobStatus.CANCELLED


def test_with_both_running_the_latest_stops_and_the_other_is_named(world):
    ctx, scope, assistant, _, luna = world
    run_id = _training(ctx, scope, luna)
    say = _talk(assistant, scope)
    drawn = say("Rex on the beach")
    stopped = say("stop it")
    assert stopped.reply.startswith("Cancelled the picture.")
    assert "Luna is still training" in stopped.reply
    assert ctx.store.get_generation(scope, drawn.generation_id).status is JobStatus.CANCELLED
    assert ctx.store.get_training_run(scope, run_id).status is JobStatus.QUEUED
    named = say("stop the training")
    assert named.reply == "Cancelled training Luna."


def test_naming_the_kind_stops_only_that_kind(world):
    ctx, scope, assistant, _, luna = world
    say = _talk(assistant, scope)
    drawn = say("Rex on the beach")
    run_id = _training(ctx, scope, luna)
    assert say("stop training Luna").reply.startswith("Cancelled training Luna.")
    assert ctx.store.get_generation(scope, drawn.generation_id).status is JobStatus.QUEUED
    assert ctx.store.get_training_run(scope, run_id).status is JobStatus.CANCELLED
    assert say("cancel the picture").reply == "Cancelled the picture."


def test_with_nothing_running_it_says_so(world):
    _, scope, assistant, _, _ = world
    assert _talk(assistant, scope)("cancel it").reply == (
        "Nothing is training or being drawn right now."
    )
