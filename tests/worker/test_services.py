"""Service functions: bad input and isolation (no worker needed: nothing here runs a job)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from core.domain import Scope, SubjectStatus
from core.errors import Conflict, InvalidInput, LimitExceeded, NotFound, PolicyViolation
from core.subjects import create_subject
from worker import services

ALICE = Scope("ten_a", "alice")
BOB = Scope("ten_a", "bob")  # same tenant, other user
MALLORY = Scope("ten_b", "alice")  # other tenant, same user id


@pytest.fixture
def ready(service, photos_dir):
    return service.trainable_subject(ALICE, photos_dir, name=f"Rex-{uuid.uuid4().hex[:8]}")


def test_other_users_and_tenants_cannot_touch_a_subject(service, ready):
    ctx = service.ctx
    run = services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 3})
    for intruder in (BOB, MALLORY):
        with pytest.raises(NotFound):
            services.start_training(ctx, scope=intruder, subject_id=ready.id)
        with pytest.raises(NotFound):
            services.training_status(ctx, scope=intruder, training_id=run.id)
        with pytest.raises(NotFound):
            services.cancel_training(ctx, scope=intruder, training_id=run.id)
        with pytest.raises(NotFound):
            services.job_status(ctx, scope=intruder, job_id=run.id)
        with pytest.raises(NotFound):
            services.generate(ctx, scope=intruder, subject_ids=[ready.id], prompt="a photo")
        with pytest.raises(NotFound):
            services.delete_subject(ctx, scope=intruder, subject_id=ready.id)
    assert ctx.store.get_training_run(ALICE, run.id).cancel_requested is False
    assert ctx.store.get_subject(ALICE, ready.id).status is SubjectStatus.TRAINING
    services.cancel_training(ctx, scope=ALICE, training_id=run.id)


def test_bad_input_gives_clear_errors_and_changes_nothing(service, ready):
    ctx = service.ctx
    with pytest.raises(NotFound):
        services.start_training(ctx, scope=ALICE, subject_id="sub_" + "a" * 24)
    with pytest.raises(NotFound):
        services.start_training(ctx, scope=ALICE, subject_id="not-an-id")
    with pytest.raises(InvalidInput) as err:
        services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 10**6})
    assert err.value.code == "invalid_training_options"
    with pytest.raises(InvalidInput) as err:
        services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"rank": 64})
    assert "Unknown training option" in err.value.message
    assert ctx.store.get_subject(ALICE, ready.id).status is SubjectStatus.NEW
    assert ctx.store.list_training_runs(ALICE, ready.id) == []

    few = create_subject(ctx.store, scope=ALICE, name="Tiny", class_noun="cat")
    with pytest.raises(Conflict) as err:
        services.start_training(ctx, scope=ALICE, subject_id=few.id)
    assert err.value.code == "not_enough_photos"

    with pytest.raises(InvalidInput) as err:
        services.generate(ctx, scope=ALICE, subject_ids=[ready.id], prompt="a photo")
    assert err.value.code == "subject_not_ready"
    with pytest.raises(NotFound):
        services.job_status(ctx, scope=ALICE, job_id="job_nope")


def test_a_second_start_while_training_is_refused_and_starts_nothing(service, ready):
    ctx = service.ctx
    run = services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 3})
    with pytest.raises(Conflict) as err:
        services.start_training(ctx, scope=ALICE, subject_id=ready.id)
    assert err.value.code == "training_in_progress" and err.value.details["training_id"] == run.id
    assert [r.id for r in ctx.store.list_training_runs(ALICE, ready.id)] == [run.id]
    assert ctx.queue("train").get_job_ids().count(run.id) == 1
    services.cancel_training(ctx, scope=ALICE, training_id=run.id)


def test_per_tenant_training_limit(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_busy", "u1")
    limit = ctx.settings.max_concurrent_trainings
    runs = [
        services.start_training(
            ctx,
            scope=scope,
            subject_id=service.trainable_subject(scope, photos_dir, name=f"S{i}").id,
        )
        for i in range(limit)
    ]
    extra = service.trainable_subject(scope, photos_dir, name="Extra")
    with pytest.raises(LimitExceeded) as err:
        services.start_training(ctx, scope=scope, subject_id=extra.id)
    assert err.value.code == "too_many_trainings"
    for run in runs:
        services.cancel_training(ctx, scope=scope, training_id=run.id)
    services.start_training(ctx, scope=scope, subject_id=extra.id)  # a slot is free again


def test_cancel_a_queued_training_removes_it_from_the_queue(service, ready):
    ctx = service.ctx
    run = services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 3})
    status = services.training_status(ctx, scope=ALICE, training_id=run.id)
    assert (
        status["status"] == "queued" and status["queue_position"] >= 1 and status["eta_seconds"] > 0
    )
    cancelled = services.cancel_training(ctx, scope=ALICE, training_id=run.id)
    assert cancelled["status"] == "cancelled"
    assert run.id not in ctx.queue("train").get_job_ids()
    assert ctx.store.get_subject(ALICE, ready.id).status is SubjectStatus.NEW


def test_a_job_whose_worker_died_for_good_is_failed_and_frees_its_slot(service, ready):
    from rq.job import Job

    from core.domain import JobStatus
    from worker.jobs import job_lost
    from worker.resources import WorkerResources, serving

    ctx = service.ctx
    run = services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 3})
    job = Job.fetch(run.id, connection=ctx.redis)
    assert job.retries_left == 3
    with serving(
        WorkerResources(ctx)
    ):  # the callback runs in a worker, with the worker's resources
        job_lost(job, ctx.redis, None, None, None)  # retries left: RQ hands it on; no change
        assert ctx.store.get_training_run(ALICE, run.id).status is JobStatus.QUEUED
        job.retries_left = 0
        job_lost(job, ctx.redis, None, None, None)
    lost = ctx.store.get_training_run(ALICE, run.id)
    assert lost.status is JobStatus.FAILED and lost.error_code == "worker_lost"
    assert ctx.store.get_subject(ALICE, ready.id).status is SubjectStatus.FAILED
    assert run.id not in ctx.store.active_trainings(ALICE.tenant_id)


def test_cancelling_a_training_a_worker_just_started_leaves_it_to_the_worker(service, ready):
    from core.domain import JobStatus

    ctx = service.ctx
    run = services.start_training(ctx, scope=ALICE, subject_id=ready.id, overrides={"steps": 3})
    seen_queued = ctx.store.get_training_run(ALICE, run.id)

    def started(r):  # a worker picks it up between the read and the cancel
        r.status = JobStatus.STARTED

    ctx.store.update_training_run(ALICE, run.id, started)
    finished, _ = ctx.store.finish_training(
        ALICE, run.id, status=JobStatus.CANCELLED, only_if=JobStatus.QUEUED
    )
    assert seen_queued.status is JobStatus.QUEUED and finished.status is JobStatus.STARTED
    status = services.cancel_training(ctx, scope=ALICE, training_id=run.id)
    assert status["status"] == "started"
    assert ctx.store.get_training_run(ALICE, run.id).cancel_requested is True


# Consent and the content policy: the rules every door (REST, chat, MCP, OpenAI) reaches here.


def test_a_person_is_trained_only_with_consent_which_is_recorded_once(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_consent", f"u-{uuid.uuid4().hex[:8]}")
    leo = service.trainable_subject(scope, photos_dir, name="Leo", class_noun="boy")
    with pytest.raises(InvalidInput) as refused:
        services.start_training(ctx, scope=scope, subject_id=leo.id)
    assert (refused.value.code, refused.value.http_status) == ("consent_required", 422)
    assert "Leo" in refused.value.message and "consent" in refused.value.message
    assert ctx.store.get_subject(scope, leo.id).consent is None
    assert ctx.store.list_training_runs(scope, leo.id) == []

    before = ctx.store.now()
    run = services.start_training(ctx, scope=scope, subject_id=leo.id, consent=True)
    consent = ctx.store.get_subject(scope, leo.id).consent
    assert consent is not None and consent.user_id == scope.user_id
    assert before <= consent.given_at <= ctx.store.now()
    services.cancel_training(ctx, scope=scope, training_id=run.id)
    again = services.start_training(ctx, scope=scope, subject_id=leo.id)  # kept on the subject
    assert ctx.store.get_subject(scope, leo.id).consent == consent
    services.cancel_training(ctx, scope=scope, training_id=again.id)

    rex = service.trainable_subject(scope, photos_dir, name="Rex", class_noun="dog")
    dog_run = services.start_training(ctx, scope=scope, subject_id=rex.id)  # not a person
    assert ctx.store.get_subject(scope, rex.id).consent is None
    services.cancel_training(ctx, scope=scope, training_id=dog_run.id)


def test_person_classes_from_the_settings_need_consent_too(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_consent", f"u-{uuid.uuid4().hex[:8]}")
    neil = service.trainable_subject(scope, photos_dir, name="Neil", class_noun="astronaut")
    wider = ctx.settings.model_copy(update={"policy_person_classes": ["astronaut"]})
    with pytest.raises(InvalidInput) as refused:
        services.start_training(replace(ctx, settings=wider), scope=scope, subject_id=neil.id)
    assert refused.value.code == "consent_required"
    run = services.start_training(ctx, scope=scope, subject_id=neil.id)  # default: not a person
    services.cancel_training(ctx, scope=scope, training_id=run.id)


def test_the_content_policy_refuses_trainings_and_generations(service, photos_dir):
    ctx = service.ctx
    scope = Scope("ten_policy", f"u-{uuid.uuid4().hex[:8]}")
    anna = service.trainable_subject(scope, photos_dir, name="Anna", class_noun="woman")
    rex = service.trainable_subject(scope, photos_dir, name="Rex", class_noun="dog")
    queued = ctx.queue("generate").get_job_ids()
    cases = [
        ({"subject_ids": [anna.id], "prompt": f"a photo of {anna.token} woman naked"}, "sexual"),
        (
            {"subject_ids": [rex.id], "prompt": f"a photo of {rex.token} dog covered in blood"},
            "violence",
        ),
        (
            {
                "subject_ids": [anna.id],
                "prompt": f"a photo of {anna.token} woman on the beach",
                "negative_prompt": "blurry, clothes",
            },
            "sexual",
        ),
        (
            {
                "subject_ids": [anna.id],
                "prompt": f"a photo of {anna.token} woman",
                "request_text": "Anna as a pig",
            },
            "demeaning",
        ),
    ]
    for request, category in cases:
        with pytest.raises(PolicyViolation) as refused:
            services.generate(ctx, scope=scope, **request)
        error = refused.value
        assert (error.code, error.http_status) == ("content_policy", 422)
        assert error.details["category"] == category and error.message
    assert ctx.queue("generate").get_job_ids() == queued
    # Allowed requests go on to the next rule (these subjects are not trained yet).
    with pytest.raises(InvalidInput) as not_ready:
        services.generate(
            ctx,
            scope=scope,
            subject_ids=[anna.id],
            prompt=f"a photo of {anna.token} woman in Paris",
            negative_prompt="nsfw, nude",
        )
    assert not_ready.value.code == "subject_not_ready"

    naked = service.trainable_subject(scope, photos_dir, name="Eve", class_noun="naked woman")
    with pytest.raises(PolicyViolation) as refused:
        services.start_training(ctx, scope=scope, subject_id=naked.id, consent=True)
    assert refused.value.details["category"] == "sexual"
    assert ctx.store.list_training_runs(scope, naked.id) == []
    assert ctx.store.get_subject(scope, naked.id).consent is None
