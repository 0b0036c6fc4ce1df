"""POST /v1/uploads: good photos are cleaned and stored; bad ones are refused with the reason,
leave nothing behind, and don't hurt the service."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.photos import haar_face_detector

from . import photos

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def checks_of(body: dict) -> dict[str, bool]:
    return {check["code"]: check["ok"] for check in body["checks"]}


def test_a_good_photo_is_stored_and_every_check_passes(api, alice):
    response = api.upload(alice, photos.photo(1), name="holiday.jpg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["upload_id"].startswith("upl_") and (body["width"], body["height"]) == (320, 256)
    assert checks_of(body) == {
        "file_type": True,
        "pixels": True,
        "decodes": True,
        "size": True,
        "sharpness": True,
    }
    (key,) = api.blob_keys()
    assert key == f"{alice.tenant_id}/alice/uploads/{body['upload_id']}.jpg"


def test_exif_orientation_is_applied_and_metadata_stripped(api, alice):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
    data = photos.photo(2, size=(400, 300), exif=exif.tobytes(), comment=b"private note")
    assert b"SecretCam" in data and b"private note" in data

    response = api.upload(alice, data)
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (300, 400)
    (key,) = api.blob_keys()
    stored = api.ctx.blobs.get(key)
    assert b"SecretCam" not in stored and b"private note" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (300, 400) and not image.getexif()


def test_png_and_webp_are_accepted_and_the_type_comes_from_the_bytes(api, alice):
    png = api.upload(alice, photos.photo(3, fmt="PNG"), name="photo.jpg")
    webp = api.upload(alice, photos.photo(4, fmt="WEBP", quality=90), name="no-extension")
    assert png.status_code == webp.status_code == 201
    keys = api.blob_keys()
    assert len(keys) == 2 and all(key.endswith(".jpg") for key in keys)
    assert all(api.ctx.blobs.get(key).startswith(b"\xff\xd8\xff") for key in keys)


BAD_UPLOADS = [
    ("truncated JPEG", photos.truncated_jpeg(), "photo.jpg", 422, "photo_unreadable"),
    (
        "text named .jpg",
        b"hello, I am not a photo\n" * 40,
        "cat.jpg",
        415,
        "unsupported_photo_type",
    ),
    ("zero bytes", b"", "empty.jpg", 422, "empty_file"),
    ("100 megapixel PNG", photos.huge_png(), "big.png", 422, "photo_too_many_pixels"),
    (
        "400 megapixel PNG",
        photos.huge_png(20_000, 20_000),
        "bomb.png",
        422,
        "photo_too_many_pixels",
    ),
    ("GIF", b"GIF89a" + bytes(200), "anim.gif", 415, "unsupported_photo_type"),
    ("too small", photos.photo(5, size=(200, 150)), "small.jpg", 422, "photo_too_small"),
    ("too many bytes", b"\xff\xd8\xff" + bytes(2_100_000), "huge.jpg", 413, "payload_too_large"),
]


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [case[1:] for case in BAD_UPLOADS],
    ids=[case[0] for case in BAD_UPLOADS],
)
def test_bad_uploads_are_refused_with_the_reason_and_store_nothing(
    api, alice, data, name, status, code
):
    keys_before = api.redis_keys()
    response = api.upload(alice, data, name=name)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if status != 413:  # the body limit stops the request before any check runs
        assert error["details"]["checks"][-1]["ok"] is False
    assert api.blob_keys() == []
    assert api.redis_keys() == keys_before
    assert api.client.get("/healthz").status_code == 200
    assert api.upload(alice, photos.photo(6)).status_code == 201  # still serving


def test_a_missing_file_field_is_a_validation_error(api, alice):
    response = api.client.post("/v1/uploads", headers=alice.headers, data={"subject_id": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body", "file"]


def test_a_blurry_photo_is_stored_with_a_warning(api, alice):
    response = api.upload(alice, photos.photo(7, blur=6))
    assert response.status_code == 201
    assert checks_of(response.json())["sharpness"] is False
    assert len(api.blob_keys()) == 1


def test_a_near_duplicate_of_an_attached_photo_is_refused(api, alice):
    subject = api.subject(alice)
    first = api.upload_ok(alice, 8, subject_id=subject["id"])
    attach = api.client.post(
        f"/v1/subjects/{subject['id']}/photos", headers=alice.headers, json={"upload_ids": [first]}
    )
    assert attach.status_code == 200, attach.text
    blobs_before = api.blob_keys()

    resized = Image.open(io.BytesIO(photos.photo(8))).resize((400, 320))
    again = io.BytesIO()
    resized.save(again, format="PNG")
    response = api.upload(alice, again.getvalue(), subject_id=subject["id"])
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "duplicate_photo" and error["details"]["duplicate_of"] == first
    assert api.blob_keys() == blobs_before

    other = api.upload(alice, photos.photo(9), subject_id=subject["id"])
    assert other.status_code == 201 and checks_of(other.json())["duplicate"] is True
    unchecked = api.upload(alice, photos.photo(8))  # no subject named: no duplicate check
    assert unchecked.status_code == 201 and "duplicate" not in checks_of(unchecked.json())


def test_photos_of_a_person_are_checked_for_a_face(api, alice):
    gray = np.asarray(Image.open(io.BytesIO(photos.face_photo())).convert("L"))
    assert haar_face_detector(gray) == 1  # the drawn face is one OpenCV recognizes
    person = api.subject(alice, "Me", "person")
    with_face = api.upload(alice, photos.face_photo(), subject_id=person["id"])
    assert with_face.status_code == 201 and checks_of(with_face.json())["face"] is True
    without = api.upload(alice, photos.photo(10), subject_id=person["id"])
    assert without.status_code == 201
    face = next(c for c in without.json()["checks"] if c["code"] == "face")
    assert face == {"code": "face", "ok": False, "message": face["message"]}
    assert "No face" in face["message"]

    dog = api.subject(alice, "Rex", "dog")
    response = api.upload(alice, photos.photo(11), subject_id=dog["id"])
    assert "face" not in checks_of(response.json())


def test_an_unknown_or_foreign_subject_is_not_found_and_nothing_is_stored(api, alice):
    bob = alice.as_user("bob")
    bobs = api.subject(bob)
    for subject_id in ("sub_" + "a" * 24, bobs["id"]):
        response = api.upload(alice, photos.photo(12), subject_id=subject_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "subject_not_found"
    assert api.upload(alice, photos.photo(12), subject_id="nope").status_code == 404
    assert api.blob_keys() == []


def test_a_streamed_body_without_a_length_is_cut_off_at_the_cap(api, alice):
    boundary = "dreamchat-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    def body():
        yield head + b"\xff\xd8\xff"
        for _ in range(40):  # 4 MB against a 2 MB cap
            yield bytes(100_000)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api.client.post(
        "/v1/uploads",
        headers=alice.headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"]["max_bytes"] > 2_000_000
    assert api.blob_keys() == []
