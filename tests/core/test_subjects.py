from __future__ import annotations

import threading

import pytest
import redis

from core import subjects
from core.blob_keys import (
    adapter_prefix,
    find_upload,
    image_key,
    subject_prefix,
    upload_key,
    user_prefix,
)
from core.blobs import LocalBlobStore
from core.domain import Generation, JobStatus, Scope, SubjectStatus, TrainingRun
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import GENERATION, IMAGE, TRAINING, UPLOAD, new_id
from core.settings import Settings, load_settings
from core.store import RedisStore

ALICE = Scope("ten_a", "alice")
BOB = Scope("ten_a", "bob")  # same tenant, other user
MALLORY = Scope("ten_b", "alice")  # other tenant, same user id


@pytest.fixture
def settings() -> Settings:
    return load_settings(min_photos=3, max_photos=5)


def put_uploads(blobs: LocalBlobStore, scope: Scope, count: int, suffix: str = ".png") -> list[str]:
    ids = [new_id(UPLOAD) for _ in range(count)]
    for i, upload_id in enumerate(ids):
        blobs.put(upload_key(scope, upload_id, suffix), f"photo {i}".encode())
    return ids


def test_create_list_get_rename(store: RedisStore) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="  Rex ", class_noun="Dog")
    assert (rex.name, rex.class_noun, rex.status, rex.photos) == ("Rex", "dog", "new", [])
    assert rex.identifier == f"{rex.token} dog"
    bear = subjects.create_subject(store, scope=ALICE, name="Teddy", class_noun="teddy bear")

    assert [s.id for s in subjects.list_subjects(store, scope=ALICE)] == [rex.id, bear.id]
    assert subjects.get_subject(store, scope=ALICE, subject_id=rex.id) == rex

    renamed = subjects.rename_subject(store, scope=ALICE, subject_id=rex.id, name="Rexy")
    assert renamed.name == "Rexy" and renamed.token == rex.token
    assert subjects.get_subject(store, scope=ALICE, subject_id=rex.id).name == "Rexy"
    # The old name is free again, the new one is taken.
    subjects.create_subject(store, scope=ALICE, name="rex", class_noun="cat")
    with pytest.raises(Conflict) as exc:
        subjects.rename_subject(store, scope=ALICE, subject_id=bear.id, name="REXY")
    assert exc.value.code == "subject_name_taken"


@pytest.mark.parametrize(
    ("name", "class_noun", "code"),
    [
        ("", "dog", "invalid_subject_name"),
        ("x" * 81, "dog", "invalid_subject_name"),
        ("bad\x00name", "dog", "invalid_subject_name"),
        ("Rex", "", "invalid_class_noun"),
        ("Rex", "dog!", "invalid_class_noun"),
        ("Rex", "a photo of <sks> dog", "invalid_class_noun"),
    ],
)
def test_create_rejects_bad_input(store: RedisStore, name: str, class_noun: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        subjects.create_subject(store, scope=ALICE, name=name, class_noun=class_noun)
    assert exc.value.code == code
    assert list(store.iter_keys(ALICE)) == []


def test_names_are_unique_per_user_only(store: RedisStore) -> None:
    subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    with pytest.raises(Conflict) as exc:
        subjects.create_subject(store, scope=ALICE, name=" rex", class_noun="dog")
    assert exc.value.code == "subject_name_taken"
    subjects.create_subject(store, scope=BOB, name="Rex", class_noun="dog")


def test_tokens_are_unique_per_user(store: RedisStore) -> None:
    count = len(subjects.RARE_TOKENS) + 5  # runs past the list into generated tokens
    made = [
        subjects.create_subject(store, scope=ALICE, name=f"s{i}", class_noun="dog")
        for i in range(count)
    ]
    tokens = [s.token for s in made]
    assert len(set(tokens)) == count
    assert tokens[: len(subjects.RARE_TOKENS)] == list(subjects.RARE_TOKENS)
    assert all(t.isalpha() and t.islower() for t in tokens)
    # Other users start from the top of the list again.
    assert subjects.create_subject(store, scope=BOB, name="a", class_noun="dog").token == "sks"


def test_token_is_freed_by_delete(store: RedisStore, tmp_blob_store: LocalBlobStore) -> None:
    first = subjects.create_subject(store, scope=ALICE, name="a", class_noun="dog")
    subjects.create_subject(store, scope=ALICE, name="b", class_noun="dog")
    subjects.delete_subject(store, tmp_blob_store, scope=ALICE, subject_id=first.id)
    assert subjects.create_subject(store, scope=ALICE, name="c", class_noun="dog").token == "sks"


def test_attach_photos_moves_uploads(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    uploads = put_uploads(tmp_blob_store, ALICE, 3, ".jpg")

    updated = subjects.attach_photos(
        store, tmp_blob_store, scope=ALICE, subject_id=rex.id, upload_ids=uploads, settings=settings
    )
    assert [p.rsplit("/", 1)[1] for p in updated.photos] == [f"{u}.jpg" for u in uploads]
    assert all(p.startswith(subject_prefix(ALICE, rex.id) + "/photos/") for p in updated.photos)
    assert [tmp_blob_store.get(p) for p in updated.photos] == [b"photo 0", b"photo 1", b"photo 2"]
    assert all(find_upload(tmp_blob_store, ALICE, u) is None for u in uploads)
    subjects.ensure_trainable(updated, settings=settings)

    # Retrying the same request changes nothing.
    again = subjects.attach_photos(
        store, tmp_blob_store, scope=ALICE, subject_id=rex.id, upload_ids=uploads, settings=settings
    )
    assert again.photos == updated.photos


def test_photo_limit_errors_store_nothing(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    first = put_uploads(tmp_blob_store, ALICE, 4)
    subjects.attach_photos(
        store, tmp_blob_store, scope=ALICE, subject_id=rex.id, upload_ids=first, settings=settings
    )
    before_blobs = tmp_blob_store.list_prefix("")
    before = store.get_subject(ALICE, rex.id)

    extra = put_uploads(tmp_blob_store, ALICE, 2)
    with pytest.raises(InvalidInput) as exc:
        subjects.attach_photos(
            store,
            tmp_blob_store,
            scope=ALICE,
            subject_id=rex.id,
            upload_ids=extra,
            settings=settings,
        )
    assert exc.value.code == "too_many_photos"
    assert exc.value.details == {"limit": 5, "current": 4, "adding": 2}
    assert "add 1 more" in exc.value.message
    assert store.get_subject(ALICE, rex.id) == before
    assert tmp_blob_store.list_prefix("") == sorted(
        before_blobs + [upload_key(ALICE, u, ".png") for u in extra]
    )


def test_attach_unknown_upload_stores_nothing(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    good = put_uploads(tmp_blob_store, ALICE, 2)
    with pytest.raises(NotFound) as exc:
        subjects.attach_photos(
            store,
            tmp_blob_store,
            scope=ALICE,
            subject_id=rex.id,
            upload_ids=[*good, new_id(UPLOAD)],
            settings=settings,
        )
    assert exc.value.code == "upload_not_found"
    assert store.get_subject(ALICE, rex.id).photos == []
    assert all(find_upload(tmp_blob_store, ALICE, u) for u in good)
    with pytest.raises(NotFound) as bad:
        subjects.attach_photos(
            store,
            tmp_blob_store,
            scope=ALICE,
            subject_id=rex.id,
            upload_ids=["../../etc/passwd"],
            settings=settings,
        )
    assert bad.value.code == "upload_not_found"


def test_too_few_photos_is_not_trainable(store: RedisStore, settings: Settings) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    with pytest.raises(Conflict) as exc:
        subjects.ensure_trainable(rex, settings=settings)
    assert exc.value.code == "not_enough_photos"
    assert "Attach 3 more" in exc.value.message


def test_users_cannot_touch_each_others_subjects(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    snapshot = sorted(store.iter_keys())
    for other in (BOB, MALLORY):
        uploads = put_uploads(tmp_blob_store, other, 3)
        attempts = [
            lambda o=other: subjects.get_subject(store, scope=o, subject_id=rex.id),
            lambda o=other: subjects.rename_subject(store, scope=o, subject_id=rex.id, name="x"),
            lambda o=other, u=uploads: subjects.attach_photos(
                store, tmp_blob_store, scope=o, subject_id=rex.id, upload_ids=u, settings=settings
            ),
            lambda o=other: subjects.delete_subject(
                store, tmp_blob_store, scope=o, subject_id=rex.id, force=True
            ),
            lambda o=other: subjects.purge_photos(
                store, tmp_blob_store, scope=o, subject_id=rex.id
            ),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound) as exc:
                attempt()
            assert exc.value.code == "subject_not_found"
        assert subjects.list_subjects(store, scope=other) == []
        assert all(find_upload(tmp_blob_store, other, u) for u in uploads)
    assert subjects.get_subject(store, scope=ALICE, subject_id=rex.id) == rex
    assert sorted(store.iter_keys()) == snapshot


def test_alice_cannot_attach_bobs_uploads(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    bobs = put_uploads(tmp_blob_store, BOB, 3)
    with pytest.raises(NotFound):
        subjects.attach_photos(
            store,
            tmp_blob_store,
            scope=ALICE,
            subject_id=rex.id,
            upload_ids=bobs,
            settings=settings,
        )
    assert all(find_upload(tmp_blob_store, BOB, u) for u in bobs)


def test_delete_removes_blobs_and_keys(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    keep = subjects.create_subject(store, scope=ALICE, name="Keep", class_noun="cat")
    keep_keys = sorted(store.iter_keys(ALICE))
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    rex = subjects.attach_photos(
        store,
        tmp_blob_store,
        scope=ALICE,
        subject_id=rex.id,
        upload_ids=put_uploads(tmp_blob_store, ALICE, 3),
        settings=settings,
    )
    run = TrainingRun(
        id=new_id(TRAINING), tenant_id="ten_a", user_id="alice", subject_id=rex.id, total_steps=10
    )
    store.begin_training(ALICE, run, max_active=2)
    tmp_blob_store.put(f"{adapter_prefix(ALICE, rex.id)}/pytorch_lora_weights.safetensors", b"w")
    store.finish_training(
        ALICE, run.id, status=JobStatus.SUCCEEDED, adapter=adapter_prefix(ALICE, rex.id)
    )
    images = [new_id(IMAGE), new_id(IMAGE)]
    gen = Generation(
        id=new_id(GENERATION),
        tenant_id="ten_a",
        user_id="alice",
        subject_ids=[rex.id, keep.id],
        prompt=f"a photo of {rex.identifier} in Paris",
        seed=1,
        images=images,
    )
    store.insert_generation(ALICE, gen)
    for image in images:
        tmp_blob_store.put(image_key(ALICE, image), b"png")
    bobs_upload = put_uploads(tmp_blob_store, BOB, 1)

    deletion = subjects.delete_subject(store, tmp_blob_store, scope=ALICE, subject_id=rex.id)

    assert deletion.subject.id == rex.id
    assert deletion.training_ids == [run.id]
    assert deletion.generation_ids == [gen.id]
    assert sorted(deletion.image_ids) == sorted(images)
    assert deletion.blobs_deleted == 3 + 1 + 2
    assert deletion.event_data()["subject_id"] == rex.id
    # Only the other subject's keys are left; none of them mentions the deleted subject.
    left = sorted(store.iter_keys(ALICE))
    assert left == keep_keys
    assert not any(rex.id in k or run.id in k or gen.id in k for k in store.iter_keys())
    assert (
        store.client.smembers(f"{store.prefix}:ten_a:alice:subject:{keep.id}:generations") == set()
    )
    assert store.active_trainings("ten_a") == {}
    assert tmp_blob_store.list_prefix(user_prefix(ALICE)) == []
    assert tmp_blob_store.list_prefix(user_prefix(BOB)) == [upload_key(BOB, bobs_upload[0], ".png")]
    with pytest.raises(NotFound):
        subjects.get_subject(store, scope=ALICE, subject_id=rex.id)


def test_delete_refuses_a_training_subject_unless_forced(
    store: RedisStore, tmp_blob_store: LocalBlobStore
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    run = TrainingRun(
        id=new_id(TRAINING), tenant_id="ten_a", user_id="alice", subject_id=rex.id, total_steps=10
    )
    store.begin_training(ALICE, run, max_active=2)
    with pytest.raises(Conflict) as exc:
        subjects.delete_subject(store, tmp_blob_store, scope=ALICE, subject_id=rex.id)
    assert exc.value.code == "training_in_progress"
    assert exc.value.details["training_id"] == run.id
    subjects.delete_subject(store, tmp_blob_store, scope=ALICE, subject_id=rex.id, force=True)
    assert store.active_trainings("ten_a") == {}
    assert list(store.iter_keys(ALICE)) == []


def test_purge_photos_keeps_the_adapter(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    rex = subjects.attach_photos(
        store,
        tmp_blob_store,
        scope=ALICE,
        subject_id=rex.id,
        upload_ids=put_uploads(tmp_blob_store, ALICE, 3),
        settings=settings,
    )
    run = TrainingRun(
        id=new_id(TRAINING), tenant_id="ten_a", user_id="alice", subject_id=rex.id, total_steps=10
    )
    store.begin_training(ALICE, run, max_active=2)
    adapter = f"{adapter_prefix(ALICE, rex.id)}/pytorch_lora_weights.safetensors"
    tmp_blob_store.put(adapter, b"w")
    store.finish_training(
        ALICE, run.id, status=JobStatus.SUCCEEDED, adapter=adapter_prefix(ALICE, rex.id)
    )

    # A timer from an older training leaves the photos alone.
    stale = subjects.purge_photos(
        store, tmp_blob_store, scope=ALICE, subject_id=rex.id, training_id=new_id(TRAINING)
    )
    assert len(stale.photos) == 3 and stale.photos_purged_at is None

    purged = subjects.purge_photos(
        store, tmp_blob_store, scope=ALICE, subject_id=rex.id, training_id=run.id
    )
    assert purged.photos == [] and purged.photos_purged_at is not None
    assert purged.status is SubjectStatus.READY
    assert tmp_blob_store.list_prefix(user_prefix(ALICE)) == [adapter]


def test_malformed_subject_ids_are_refused(store: RedisStore) -> None:
    for bad in ("", "sub_", "trn_" + "a" * 24, "sub_../../x", "sub_AAAAAAAAAAAAAAAAAAAAAAAA"):
        with pytest.raises(NotFound) as exc:
            subjects.get_subject(store, scope=ALICE, subject_id=bad)
        assert exc.value.code == "subject_not_found"
    with pytest.raises(NotFound):
        subjects.get_subject(store, scope=ALICE, subject_id="sub_" + "a" * 24)


def test_concurrent_attaches_never_pass_the_limit(
    store: RedisStore, tmp_blob_store: LocalBlobStore, settings: Settings, redis_url: str
) -> None:
    rex = subjects.create_subject(store, scope=ALICE, name="Rex", class_noun="dog")
    batches = [put_uploads(tmp_blob_store, ALICE, 3) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def attach(uploads: list[str]) -> None:
        own = RedisStore(redis.Redis.from_url(redis_url), prefix=store.prefix)
        barrier.wait()
        try:
            subjects.attach_photos(
                own,
                tmp_blob_store,
                scope=ALICE,
                subject_id=rex.id,
                upload_ids=uploads,
                settings=settings,
            )
        except InvalidInput as exc:
            errors.append(exc.code)

    threads = [threading.Thread(target=attach, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["too_many_photos"]
    photos = store.get_subject(ALICE, rex.id).photos
    assert len(photos) == 3
    assert tmp_blob_store.list_prefix(subject_prefix(ALICE, rex.id)) == sorted(photos)
    left = [u for b in batches for u in b if find_upload(tmp_blob_store, ALICE, u)]
    assert len(left) == 3  # the refused batch is still waiting to be attached
