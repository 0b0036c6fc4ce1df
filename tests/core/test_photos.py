"""Photo checks in core: results stored with the upload, and the per-photo report when photos
are attached (what the chat tells the person), on a real Redis and a real blob directory."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.blobs import LocalBlobStore
from core.domain import Scope
from core.photos import accept_upload, review_photos
from core.settings import Settings, load_settings
from core.store import RedisStore
from core.subjects import attach_photos, create_subject

from ..plugin import photos

SCOPE = Scope("ten_photos", "alice")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


def upload(store: RedisStore, blobs: LocalBlobStore, data: bytes, settings: Settings, **kw):
    return accept_upload(store, blobs, scope=SCOPE, data=data, settings=settings, **kw)


def resized(data: bytes, size: tuple[int, int] = (400, 320)) -> bytes:
    """The same picture, resized and re-encoded: a near-duplicate, not a byte copy."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).resize(size).save(out, format="PNG")
    return out.getvalue()


def attach_and_review(store, blobs, settings, subject, upload_ids):
    attached = attach_photos(
        store, blobs, scope=SCOPE, subject_id=subject.id, upload_ids=upload_ids, settings=settings
    )
    return review_photos(
        store, blobs, scope=SCOPE, subject=attached, upload_ids=upload_ids, settings=settings
    )


def test_the_checks_are_stored_with_the_upload(store, tmp_blob_store, settings):
    sharp = upload(store, tmp_blob_store, photos.photo(1), settings)
    blurry = upload(store, tmp_blob_store, photos.photo(2, blur=6), settings)
    assert store.get_upload_checks(SCOPE, sharp.upload_id) == [c.to_dict() for c in sharp.checks]
    stored = {c["code"]: c["ok"] for c in store.get_upload_checks(SCOPE, blurry.upload_id)}
    assert stored["sharpness"] is False and stored["decodes"] is True
    assert store.get_upload_checks(Scope("ten_photos", "bob"), sharp.upload_id) == []


def test_each_problem_is_named_by_the_photos_position(store, tmp_blob_store, settings):
    rex = create_subject(store, scope=SCOPE, name="Rex", class_noun="dog")
    batch = [
        upload(store, tmp_blob_store, photos.photo(10), settings).upload_id,
        upload(store, tmp_blob_store, photos.photo(11), settings).upload_id,
        upload(store, tmp_blob_store, photos.photo(12, blur=6), settings).upload_id,
        upload(store, tmp_blob_store, photos.photo(13), settings).upload_id,
        upload(store, tmp_blob_store, resized(photos.photo(11)), settings).upload_id,
    ]
    problems = attach_and_review(store, tmp_blob_store, settings, rex, batch)
    assert [p.text for p in problems] == [
        "photo 3 is blurry",
        "photo 5 is a near-duplicate of photo 2",
    ]
    assert [(p.position, p.upload_id, p.code) for p in problems] == [
        (3, batch[2], "sharpness"),
        (5, batch[4], "duplicate"),
    ]

    later = [
        upload(store, tmp_blob_store, resized(photos.photo(13), (360, 288)), settings).upload_id,
        upload(store, tmp_blob_store, photos.photo(14), settings).upload_id,
    ]
    problems = attach_and_review(store, tmp_blob_store, settings, rex, later)
    assert [p.text for p in problems] == ["photo 1 is a near-duplicate of a photo Rex already has"]
    assert attach_and_review(store, tmp_blob_store, settings, rex, [batch[0]]) == []  # re-sent


def test_photos_of_people_are_checked_for_a_face_when_attached(store, tmp_blob_store, settings):
    me = create_subject(store, scope=SCOPE, name="Me", class_noun="person")
    no_face = upload(store, tmp_blob_store, photos.photo(20), settings).upload_id
    face = upload(store, tmp_blob_store, photos.face_photo(), settings).upload_id
    problems = attach_and_review(store, tmp_blob_store, settings, me, [face, no_face])
    # the drawn face is soft-edged: found, but blurry by the sharpness check
    assert [p.text for p in problems] == ["photo 1 is blurry", "photo 2 shows no face"]
    checks = {c["code"]: c["ok"] for c in store.get_upload_checks(SCOPE, no_face)}
    assert checks["face"] is False  # stored with the upload, like the checks at upload time
    assert {c["code"]: c["ok"] for c in store.get_upload_checks(SCOPE, face)}["face"] is True

    rex = create_subject(store, scope=SCOPE, name="Rex", class_noun="dog")
    dog_photo = upload(store, tmp_blob_store, photos.photo(21), settings).upload_id
    assert attach_and_review(store, tmp_blob_store, settings, rex, [dog_photo]) == []


def test_the_person_classes_setting_decides_who_needs_a_face(store, tmp_blob_store, tmp_path):
    wider = load_settings(data_dir=tmp_path / "data", policy_person_classes=["astronaut"])
    neil = create_subject(store, scope=SCOPE, name="Neil", class_noun="astronaut")
    checked = upload(store, tmp_blob_store, photos.photo(30), wider, subject_id=neil.id)
    assert {c.code: c.ok for c in checked.checks}["face"] is False
    problems = attach_and_review(store, tmp_blob_store, wider, neil, [checked.upload_id])
    assert [p.text for p in problems] == ["photo 1 shows no face"]
    default = load_settings(data_dir=tmp_path / "data")
    unchecked = upload(store, tmp_blob_store, photos.photo(31), default, subject_id=neil.id)
    assert "face" not in {c.code for c in unchecked.checks}
