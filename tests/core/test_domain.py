from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.domain import (
    Delivery,
    EventType,
    Generation,
    JobStatus,
    Record,
    Scope,
    Subject,
    SubjectStatus,
    TrainingRun,
    WebhookEndpoint,
)
from core.errors import InvalidInput

SUBJECT = Subject(
    id="sub_" + "a" * 24,
    tenant_id="ten_a",
    user_id="alice",
    name="Rex",
    class_noun="dog",
    token="sks",
    photos=["ten_a/alice/subjects/x/photos/1.png"],
)


@pytest.mark.parametrize(
    "record",
    [
        SUBJECT,
        TrainingRun(
            id="trn_1",
            tenant_id="t",
            user_id="u",
            subject_id="s",
            total_steps=5,
            overrides={"steps": 5},
        ),
        Generation(id="gen_1", tenant_id="t", user_id="u", prompt="a sks dog", seed=7),
        WebhookEndpoint(id="whe_1", tenant_id="t", url="https://x", secret="whsec_abc"),
        Delivery(message_id="msg_1", endpoint_id="whe_1", event_type="subject.deleted", attempt=1),
    ],
)
def test_json_round_trip(record: Record) -> None:
    assert type(record).from_json(record.to_json()) == record
    assert type(record).from_json(record.to_json().encode()) == record


def test_unknown_fields_from_newer_writers_are_ignored() -> None:
    data = json.loads(SUBJECT.to_json()) | {"added_in_v2": True}
    assert Subject.from_json(json.dumps(data)) == SUBJECT


def test_statuses_are_str_enums() -> None:
    assert SubjectStatus.READY == "ready" and f"{JobStatus.QUEUED}" == "queued"
    assert [s for s in JobStatus if s.is_terminal] == ["succeeded", "failed", "cancelled"]
    assert {e.value for e in EventType if e.is_webhook} == {
        "training.started",
        "training.progress",
        "training.succeeded",
        "training.failed",
        "generation.succeeded",
        "generation.failed",
        "subject.deleted",
    }
    assert {e.value for e in EventType if not e.is_webhook} == {
        "training.cancelled",
        "generation.cancelled",
        "chat.reply",
    }


def test_bounds_are_enforced_on_assignment_too() -> None:
    run = TrainingRun(id="trn_1", tenant_id="t", user_id="u", subject_id="s", total_steps=5)
    with pytest.raises(ValidationError):
        run.progress = 1.5
    with pytest.raises(ValidationError):
        Generation(id="g", tenant_id="t", user_id="u", prompt="p", seed=1, width=500)


def test_progress_events_are_opt_in() -> None:
    endpoint = WebhookEndpoint(id="whe_1", tenant_id="t", url="https://x", secret="whsec_abc")
    assert endpoint.wants(EventType.TRAINING_SUCCEEDED)
    assert not endpoint.wants(EventType.TRAINING_PROGRESS)
    chosen = endpoint.model_copy(update={"events": [EventType.TRAINING_PROGRESS]})
    assert chosen.wants(EventType.TRAINING_PROGRESS)
    assert not chosen.wants(EventType.SUBJECT_DELETED)
    assert "whsec_abc" not in repr(endpoint)


def test_scope_refuses_unsafe_ids() -> None:
    assert Scope("ten_a", "alice@example.com").user_id == "alice@example.com"
    for tenant, user in [("ten_a", "a:b"), ("ten_a", ""), ("../x", "u"), ("ten_a", "*")]:
        with pytest.raises(InvalidInput):
            Scope(tenant, user)
