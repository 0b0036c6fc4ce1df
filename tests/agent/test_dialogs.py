"""Golden dialogs with the offline model, end to end: real Redis, a real worker, the tiny model."""

from __future__ import annotations

import pytest

from agent.assistant import Assistant
from core.blob_keys import image_key
from core.domain import Scope, SubjectStatus
from core.subjects import list_subjects

from ..worker.harness import wait_for
from .conftest import upload_photos

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(service):
    service.start_worker()
    return Assistant(service.ctx)


def test_onboarding_photos_training_ready_notice_and_generation(service, assistant, photos_dir):
    scope = Scope("ten_dialog", "hana")
    ctx = service.ctx

    def say(text, attachments=()):
        return assistant.chat(
            scope=scope, message=text, conversation_id=conversation, attachments=list(attachments)
        )

    first = assistant.chat(scope=scope, message="I want pictures of my dog")
    conversation = first.conversation_id
    assert "what's your dog's name" in first.reply.lower()
    assert first.awaiting == {"intent": "create_subject", "class_noun": "dog", "slot": "name"}

    named = say("His name is Rex")
    assert "Rex the dog is set up" in named.reply and "photos" in named.reply
    (rex,) = list_subjects(ctx.store, scope=scope)
    assert (rex.name, rex.class_noun) == ("Rex", "dog")

    added = say("here are some photos", upload_photos(service, scope, photos_dir))
    assert "Added 4 photos of Rex" in added.reply and "train Rex" in added.reply

    training = say("great, train him")
    assert training.reply.startswith("Training Rex now") and training.training_id
    wait_for(
        lambda: ctx.store.get_subject(scope, rex.id).status is SubjectStatus.READY, 120, "training"
    )

    status = say("is he ready?")
    assert "Rex is ready" in status.reply
    history = assistant.history(scope=scope, conversation_id=conversation)
    notices = [m for m in history if (m.additional_kwargs.get("dreamchat") or {}).get("notice")]
    assert len(notices) == 1 and "Rex is ready" in notices[0].text  # the proactive notice

    paris = say("show my dog in Paris")
    assert paris.reply == "Here's Rex in Paris." and len(paris.images) == 1
    assert ctx.blobs.exists(image_key(scope, paris.images[0]))
    generation = ctx.store.get_generation(scope, paris.generation_id)
    assert generation.prompt == f"a photo of {rex.token} dog in Paris"

    again = say("another one")
    assert again.generation_id != paris.generation_id
    assert ctx.store.get_generation(scope, again.generation_id).prompt == generation.prompt
    assert ctx.store.get_generation(scope, again.generation_id).seed != generation.seed

    night = say("make it at night")
    assert ctx.store.get_generation(scope, night.generation_id).prompt.endswith("in Paris at night")
    four = say("4 of them")
    assert len(four.images) == 4 and four.reply.startswith("Here are 4 pictures of Rex")
    square = say("same but square")
    last = ctx.store.get_generation(scope, square.generation_id)
    assert (last.width, last.height) == (64, 64) and last.seed == ctx.store.get_generation(
        scope, four.generation_id
    ).seed

    listing = say("what subjects do I have?")
    assert "Rex (dog, ready)" in listing.reply


def test_person_needs_consent_and_subjects_can_be_renamed_and_deleted(
    service, assistant, photos_dir
):
    scope = Scope("ten_dialog", "ivan")
    reply = assistant.chat(
        scope=scope,
        message="this is my son Leo",
        attachments=upload_photos(service, scope, photos_dir),
    )
    conversation = reply.conversation_id
    assert "Added 4 photos of Leo" in reply.reply

    def say(text):
        return assistant.chat(scope=scope, message=text, conversation_id=conversation)

    ask = say("train Leo")
    assert "permission" in ask.reply and ask.awaiting["slot"] == "consent"
    assert (
        service.ctx.store.list_training_runs(
            scope, list_subjects(service.ctx.store, scope=scope)[0].id
        )
        == []
    )
    consented = say("yes, he's my son and I agree")
    assert consented.reply.startswith("Training Leo now")
    say("cancel the training")
    renamed = say("rename Leo to Leonardo")
    assert "Leo is now called Leonardo" in renamed.reply
    confirm = say("delete Leonardo")
    assert "can't be undone" in confirm.reply
    deleted = say("yes")
    assert "Deleted Leonardo" in deleted.reply
    assert list_subjects(service.ctx.store, scope=scope) == []


def test_refusals_and_unknown_subjects(service, assistant, photos_dir):
    scope = Scope("ten_dialog", "jane")
    reply = assistant.chat(scope=scope, message="show Bella on the beach")
    assert "Bella" in reply.reply and not reply.images
    helped = assistant.chat(
        scope=scope, message="what can you do?", conversation_id=reply.conversation_id
    )
    assert "3–25 photos" in helped.reply
