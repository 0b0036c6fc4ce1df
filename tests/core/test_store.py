"""The store's atomic rules, against a real Redis: training bookkeeping, generations, webhook
endpoints and their logs, idempotency records, and the key layout."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import redis

from core import subjects
from core.domain import (
    Delivery,
    EventType,
    Generation,
    JobStatus,
    Scope,
    Subject,
    SubjectStatus,
    TrainingRun,
    WebhookEndpoint,
)
from core.errors import Conflict, LimitExceeded, NotFound
from core.ids import ENDPOINT, GENERATION, MESSAGE, TRAINING, new_id, new_webhook_secret
from core.store import RedisStore

ALICE = Scope("ten_a", "alice")
BOB = Scope("ten_a", "bob")
OTHER_TENANT = Scope("ten_b", "alice")


def run_for(subject: Subject, **fields: object) -> TrainingRun:
    return TrainingRun(
        id=new_id(TRAINING),
        tenant_id=subject.tenant_id,
        user_id=subject.user_id,
        subject_id=subject.id,
        total_steps=100,
        **fields,
    )


def new_subject(store: RedisStore, scope: Scope = ALICE, name: str = "Rex") -> Subject:
    return subjects.create_subject(store, scope=scope, name=name, class_noun="dog")


def test_keys_are_namespaced_by_tenant_and_user(store: RedisStore) -> None:
    new_subject(store, ALICE)
    new_subject(store, BOB)
    new_subject(store, OTHER_TENANT)
    alice_keys = list(store.iter_keys(ALICE))
    assert alice_keys and all(k.startswith(f"{store.prefix}:ten_a:alice:") for k in alice_keys)
    assert set(store.iter_keys(tenant_id="ten_a")) == set(alice_keys) | set(store.iter_keys(BOB))
    assert all(k.startswith(f"{store.prefix}:") for k in store.iter_keys())


def test_one_active_training_per_subject(store: RedisStore) -> None:
    rex = new_subject(store)
    first = run_for(rex)
    subject = store.begin_training(ALICE, first, max_active=5)
    assert (subject.status, subject.training_job_id) == (SubjectStatus.TRAINING, first.id)
    with pytest.raises(Conflict) as exc:
        store.begin_training(ALICE, run_for(rex), max_active=5)
    assert exc.value.code == "training_in_progress"
    assert exc.value.details["training_id"] == first.id
    assert [r.id for r in store.list_training_runs(ALICE, rex.id)] == [first.id]


def test_concurrent_begin_training_starts_exactly_one(
    store: RedisStore, redis_url: str, key_prefix: str
) -> None:
    rex = new_subject(store)
    results: list[object] = []
    barrier = threading.Barrier(8)

    def click() -> None:
        own = RedisStore(redis.Redis.from_url(redis_url), prefix=key_prefix)
        barrier.wait()
        try:
            results.append(own.begin_training(ALICE, run_for(rex), max_active=5))
        except Conflict as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, Subject) for r in results) == 1
    assert results.count("training_in_progress") == 7
    assert len(store.active_trainings("ten_a")) == 1


def test_tenant_training_limit(store: RedisStore) -> None:
    runs = [run_for(new_subject(store, scope, name)) for scope, name in [(ALICE, "a"), (BOB, "b")]]
    for run in runs:
        store.begin_training(run.scope, run, max_active=2)
    third = new_subject(store, ALICE, "c")
    with pytest.raises(LimitExceeded) as exc:
        store.begin_training(ALICE, run_for(third), max_active=2)
    assert exc.value.code == "too_many_trainings"
    assert store.get_subject(ALICE, third.id).status is SubjectStatus.NEW
    # Another tenant has its own budget.
    store.begin_training(OTHER_TENANT, run_for(new_subject(store, OTHER_TENANT)), max_active=2)
    # Finishing one frees a slot.
    store.finish_training(ALICE, runs[0].id, status=JobStatus.FAILED, error="boom")
    store.begin_training(ALICE, run_for(third), max_active=2)
    assert set(store.active_trainings("ten_a").values()) == {"alice", "bob"}


def test_finish_training_settles_subject_and_is_idempotent(store: RedisStore) -> None:
    rex = new_subject(store)
    run = run_for(rex)
    store.begin_training(ALICE, run, max_active=2)
    store.update_training_run(ALICE, run.id, _started)
    progressed = store.update_training_run(ALICE, run.id, _halfway)
    assert (progressed.status, progressed.step, progressed.attempt) == ("started", 50, 1)

    finished, subject = store.finish_training(
        ALICE, run.id, status=JobStatus.SUCCEEDED, adapter="ten_a/alice/x/adapter"
    )
    assert (finished.status, finished.progress, finished.step) == ("succeeded", 1.0, 100)
    assert subject is not None
    assert (subject.status, subject.adapter) == (SubjectStatus.READY, "ten_a/alice/x/adapter")
    assert store.active_trainings("ten_a") == {}

    again, same = store.finish_training(ALICE, run.id, status=JobStatus.FAILED, error="late")
    assert again == finished and same == subject
    with pytest.raises(ValueError, match="finish_training"):
        store.update_training_run(ALICE, run.id, _fail)
    other = run_for(new_subject(store, name="Other"))
    store.begin_training(ALICE, other, max_active=2)
    with pytest.raises(ValueError, match="finish_training"):
        store.update_training_run(ALICE, other.id, _fail)
    assert store.get_training_run(ALICE, other.id).status is JobStatus.QUEUED
    with pytest.raises(ValueError, match="terminal"):
        store.finish_training(ALICE, run.id, status=JobStatus.STARTED)


def _started(run: TrainingRun) -> None:
    run.status = JobStatus.STARTED
    run.attempt += 1


def _halfway(run: TrainingRun) -> None:
    run.step, run.progress, run.eta_seconds = 50, 0.5, 12.0


def _fail(run: TrainingRun) -> None:
    run.status = JobStatus.FAILED


@pytest.mark.parametrize(
    ("status", "had_adapter", "expected"),
    [
        (JobStatus.FAILED, False, SubjectStatus.FAILED),
        (JobStatus.CANCELLED, False, SubjectStatus.NEW),
        (JobStatus.CANCELLED, True, SubjectStatus.READY),
    ],
)
def test_unsuccessful_trainings(
    store: RedisStore, status: JobStatus, had_adapter: bool, expected: SubjectStatus
) -> None:
    rex = new_subject(store)
    if had_adapter:
        rex = store.update_subject(ALICE, rex.id, lambda s: setattr(s, "adapter", "old/adapter"))
    run = run_for(rex)
    store.begin_training(ALICE, run, max_active=2)
    _, subject = store.finish_training(ALICE, run.id, status=status, error_code="x")
    assert subject is not None and subject.status is expected
    assert subject.adapter == ("old/adapter" if had_adapter else None)


def test_training_runs_are_scoped(store: RedisStore) -> None:
    rex = new_subject(store)
    run = run_for(rex)
    store.begin_training(ALICE, run, max_active=2)
    for other in (BOB, OTHER_TENANT):
        with pytest.raises(NotFound) as exc:
            store.get_training_run(other, run.id)
        assert exc.value.code == "training_not_found"
        with pytest.raises(NotFound):
            store.finish_training(other, run.id, status=JobStatus.CANCELLED)
        with pytest.raises(NotFound):
            store.begin_training(
                other,
                run_for(rex).model_copy(
                    update={"user_id": other.user_id, "tenant_id": other.tenant_id}
                ),
                max_active=9,
            )
    assert store.get_training_run(ALICE, run.id).status is JobStatus.QUEUED


def test_generations(store: RedisStore) -> None:
    rex = new_subject(store)
    gens = [
        Generation(
            id=new_id(GENERATION),
            tenant_id="ten_a",
            user_id="alice",
            subject_ids=[rex.id],
            prompt=f"a photo of {rex.identifier} in Paris",
            seed=i,
        )
        for i in range(3)
    ]
    for gen in gens:
        store.insert_generation(ALICE, gen)
    done = store.update_generation(ALICE, gens[0].id, lambda g: setattr(g, "images", ["img_x"]))
    assert done.images == ["img_x"]
    assert store.get_generation(ALICE, gens[0].id) == done
    assert {g.id for g in store.list_generations(ALICE, limit=2)} <= {g.id for g in gens}
    assert len(store.list_generations(ALICE)) == 3
    with pytest.raises(NotFound):
        store.get_generation(BOB, gens[0].id)
    bad = gens[1].model_copy(update={"id": new_id(GENERATION), "subject_ids": ["sub_" + "b" * 24]})
    with pytest.raises(NotFound) as exc:
        store.insert_generation(ALICE, bad)
    assert exc.value.code == "subject_not_found"
    # Bob can't generate with Alice's subject.
    bobs = gens[1].model_copy(update={"id": new_id(GENERATION), "user_id": "bob"})
    with pytest.raises(NotFound):
        store.insert_generation(BOB, bobs)


def test_webhook_endpoints_and_delivery_log(store: RedisStore) -> None:
    endpoint = WebhookEndpoint(
        id=new_id(ENDPOINT),
        tenant_id="ten_a",
        url="https://example.com/hook",
        secret=new_webhook_secret(),
    )
    store.insert_webhook_endpoint(endpoint)
    assert store.list_webhook_endpoints("ten_a") == [endpoint]
    assert store.list_webhook_endpoints("ten_b") == []
    with pytest.raises(NotFound) as exc:
        store.get_webhook_endpoint("ten_b", endpoint.id)
    assert exc.value.code == "webhook_not_found"

    message = new_id(MESSAGE)
    for attempt in range(1, 6):
        delivery = Delivery(
            message_id=message,
            endpoint_id=endpoint.id,
            event_type=EventType.TRAINING_SUCCEEDED,
            attempt=attempt,
            status_code=500,
        )
        store.record_delivery("ten_a", delivery, keep=3)
    log = store.list_deliveries("ten_a", endpoint.id)
    assert [d.attempt for d in log] == [5, 4, 3]

    def disable(e: WebhookEndpoint) -> None:
        e.enabled, e.disabled_reason = False, "410 Gone"

    disabled = store.update_webhook_endpoint("ten_a", endpoint.id, disable)
    assert not disabled.wants(EventType.TRAINING_SUCCEEDED)
    assert store.get_webhook_endpoint("ten_a", endpoint.id).disabled_reason == "410 Gone"
    store.delete_webhook_endpoint("ten_a", endpoint.id)
    assert list(store.iter_keys(tenant_id="ten_a")) == []
    with pytest.raises(NotFound):
        store.delete_webhook_endpoint("ten_a", endpoint.id)


def test_idempotency_records(store: RedisStore) -> None:
    args = {"operation": "train", "key": "click-1", "ttl_seconds": 60}
    assert store.claim_idempotency_key(ALICE, fingerprint="f1", **args) is None
    pending = store.claim_idempotency_key(ALICE, fingerprint="f1", **args)
    assert pending is not None and pending.state == "pending"
    # Keys are per user.
    assert store.claim_idempotency_key(BOB, fingerprint="f1", **args) is None

    store.complete_idempotency_key(ALICE, fingerprint="f1", response={"job_id": "trn_1"}, **args)
    done = store.claim_idempotency_key(ALICE, fingerprint="f2", **args)
    assert done is not None
    assert (done.state, done.fingerprint, done.response) == ("done", "f1", {"job_id": "trn_1"})
    ttl = store.client.ttl(next(k for k in store.iter_keys(ALICE) if ":idem:" in k))
    assert 0 < ttl <= 60

    store.release_idempotency_key(ALICE, operation="train", key="click-1")
    assert store.claim_idempotency_key(ALICE, fingerprint="f3", **args) is None


def test_works_with_decoded_responses(
    redis_client: redis.Redis, redis_url: str, key_prefix: str
) -> None:
    """rq needs raw bytes, other code may prefer str: the store takes either client."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    store = RedisStore(client, prefix=key_prefix, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    rex = new_subject(store)
    assert store.list_subjects(ALICE) == [rex]
    assert store.subject_tokens(ALICE) == {rex.token}
    assert rex.created_at.year == 2030
    client.close()


def test_event_log_is_per_user_ordered_trimmed_and_expiring(store: RedisStore) -> None:
    bob = Scope("ten_a", "bob")
    ids = [store.append_event(ALICE, {"n": n}, max_len=10, ttl_seconds=60) for n in range(200)]
    store.append_event(bob, {"n": -1}, max_len=10, ttl_seconds=60)
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    kept = store.read_events(ALICE)
    assert 10 <= len(kept) < 200 and kept[-1] == (ids[-1], {"n": 199})  # trimmed, about 10
    assert store.read_events(ALICE, after=ids[-3]) == [(ids[-2], {"n": 198}), (ids[-1], {"n": 199})]
    assert store.read_events(bob) == [(store.read_events(bob)[0][0], {"n": -1})]
    key = store.events_key(ALICE)
    assert key.startswith(f"{store.prefix}:ten_a:alice:") and 0 < store.client.ttl(key) <= 60


def test_deleting_a_subject_clears_the_event_log_that_names_it(store: RedisStore) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    store.append_event(
        ALICE, {"type": "training.succeeded", "subject_name": "Rex"}, max_len=10, ttl_seconds=60
    )
    store.delete_subject(ALICE, rex.id)
    assert store.read_events(ALICE) == [] and not store.client.exists(store.events_key(ALICE))
