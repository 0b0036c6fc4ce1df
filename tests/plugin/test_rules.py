"""One set of rules behind every door: consent for people, the content policy and the photo
checks answer alike through REST, the chat (``POST /v1/chat``) and the OpenAI-compatible
``/v1/chat/completions`` (MCP: ``tests/agent/test_mcp.py``). The rules live in the service
layer; these tests only knock on the doors."""

from __future__ import annotations

import io

from PIL import Image

from core.policy import check_request, policy_config
from core.subjects import get_subject, list_subjects

from . import photos
from .conftest import Api, Caller


def person_with_photos(api: Api, caller: Caller, name: str = "Leo") -> dict:
    subject = api.subject(caller, name, "person")
    uploads = [api.upload_ok(caller, 300 + i) for i in range(3)]
    attached = api.client.post(
        f"/v1/subjects/{subject['id']}/photos", headers=caller.headers, json={"upload_ids": uploads}
    )
    assert attached.status_code == 200, attached.text
    return subject


def chat(api: Api, caller: Caller, message: str, conversation_id=None, attachments=()) -> dict:
    response = api.client.post(
        "/v1/chat",
        headers=caller.headers,
        json={
            "message": message,
            "conversation_id": conversation_id,
            "attachments": list(attachments),
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def cancel(api: Api, caller: Caller, job_id: str) -> None:
    response = api.client.post(f"/v1/jobs/{job_id}/cancel", headers=caller.headers)
    assert response.json()["status"] == "cancelled"


def test_rest_trains_a_person_only_with_consent_and_records_it(api: Api, alice: Caller):
    leo = person_with_photos(api, alice)
    path = f"/v1/subjects/{leo['id']}/train"
    refused = api.client.post(path, headers=alice.headers, json={"steps": 20})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "consent_required" and "consent" in error["message"]
    assert api.ctx.store.list_training_runs(alice.scope, leo["id"]) == []
    shown = api.client.get(f"/v1/subjects/{leo['id']}", headers=alice.headers).json()
    assert shown["consent_given_at"] is None

    started = api.client.post(path, headers=alice.headers, json={"steps": 20, "consent": True})
    assert started.status_code == 202, started.text
    consent = get_subject(api.ctx.store, scope=alice.scope, subject_id=leo["id"]).consent
    assert consent is not None and consent.user_id == alice.user_id
    shown = api.client.get(f"/v1/subjects/{leo['id']}", headers=alice.headers).json()
    assert shown["consent_given_at"] is not None
    cancel(api, alice, started.json()["job_id"])
    again = api.client.post(path, headers=alice.headers)  # consent is kept on the subject
    assert again.status_code == 202, again.text
    cancel(api, alice, again.json()["job_id"])

    rex = api.subject(alice, "Rex", "dog")
    for i in range(3):
        api.client.post(
            f"/v1/subjects/{rex['id']}/photos",
            headers=alice.headers,
            json={"upload_ids": [api.upload_ok(alice, 320 + i)]},
        )
    dog = api.client.post(f"/v1/subjects/{rex['id']}/train", headers=alice.headers)
    assert dog.status_code == 202  # not a person: no consent asked
    cancel(api, alice, dog.json()["job_id"])


def test_the_chat_asks_for_consent_and_records_it_for_every_door(api: Api, alice: Caller):
    uploads = [api.upload_ok(alice, 340 + i) for i in range(3)]
    first = chat(api, alice, "this is my son Leo", attachments=uploads)
    conversation = first["conversation_id"]
    assert "Added 3 photos of Leo" in first["reply"]
    assert "photo 1 shows no face; photo 2 shows no face" in first["reply"]  # a person: faces
    (leo,) = list_subjects(api.ctx.store, scope=alice.scope)

    ask = chat(api, alice, "train Leo", conversation)
    assert "permission" in ask["reply"] and ask["training_id"] is None
    assert get_subject(api.ctx.store, scope=alice.scope, subject_id=leo.id).consent is None

    yes = chat(api, alice, "yes, he's my son and I agree", conversation)
    assert yes["reply"].startswith("Training Leo now") and yes["training_id"]
    consent = get_subject(api.ctx.store, scope=alice.scope, subject_id=leo.id).consent
    assert consent is not None and consent.user_id == alice.user_id
    cancel(api, alice, yes["training_id"])
    # The consent given in the chat is the subject's: REST does not ask again.
    rest = api.client.post(f"/v1/subjects/{leo.id}/train", headers=alice.headers)
    assert rest.status_code == 202, rest.text
    cancel(api, alice, rest.json()["job_id"])


def test_the_openai_compatible_door_asks_for_consent_too(api: Api, alice: Caller):
    leo = person_with_photos(api, alice)
    headers = alice.headers | {"X-Conversation-Id": "cnv_" + "q" * 24}

    def say(text: str) -> str:
        body = {"model": "dreamchat", "messages": [{"role": "user", "content": text}]}
        response = api.client.post("/v1/chat/completions", headers=headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()["choices"][0]["message"]["content"]

    assert "permission" in say("train Leo")
    assert api.ctx.store.list_training_runs(alice.scope, leo["id"]) == []
    assert say("yes, I agree").startswith("Training Leo now")
    consent = get_subject(api.ctx.store, scope=alice.scope, subject_id=leo["id"]).consent
    assert consent is not None and consent.user_id == alice.user_id
    (run,) = api.ctx.store.list_training_runs(alice.scope, leo["id"])
    cancel(api, alice, run.id)


def test_a_refused_generation_reads_the_same_at_every_door(api: Api, alice: Caller):
    anna = api.subject(alice, "Anna", "woman")
    expected = check_request(
        "Anna naked",
        [get_subject(api.ctx.store, scope=alice.scope, subject_id=anna["id"])],
        config=policy_config(api.ctx.settings),
    ).message
    queued = api.ctx.queue("generate").get_job_ids()

    rest = api.client.post(
        "/v1/generations",
        headers=alice.headers,
        json={"subject_ids": [anna["id"]], "prompt": f"a photo of {anna['token']} woman naked"},
    )
    assert rest.status_code == 422, rest.text
    error = rest.json()["error"]
    assert (error["code"], error["message"]) == ("content_policy", expected)
    assert error["details"]["category"] == "sexual"
    negative = api.client.post(
        "/v1/generations",
        headers=alice.headers,
        json={
            "subject_ids": [anna["id"]],
            "prompt": f"a photo of {anna['token']} woman on the beach",
            "negative_prompt": "clothes",
        },
    )
    assert negative.status_code == 422 and negative.json()["error"]["code"] == "content_policy"

    in_chat = chat(api, alice, "show Anna naked")
    assert in_chat["reply"] == expected and in_chat["generation_id"] is None

    completion = api.client.post(
        "/v1/chat/completions",
        headers=alice.headers,
        json={"model": "dreamchat", "messages": [{"role": "user", "content": "show Anna naked"}]},
    )
    assert completion.status_code == 200, completion.text
    assert completion.json()["choices"][0]["message"]["content"] == expected

    assert api.ctx.queue("generate").get_job_ids() == queued
    allowed = api.client.post(
        "/v1/generations",
        headers=alice.headers,
        json={"subject_ids": [anna["id"]], "prompt": f"a photo of {anna['token']} woman in Paris"},
    )
    assert allowed.json()["error"]["code"] == "subject_not_ready"  # past the policy


def test_the_chat_reports_photo_problems_by_position(api: Api, alice: Caller):
    again = io.BytesIO()
    Image.open(io.BytesIO(photos.photo(361))).resize((400, 320)).save(again, format="PNG")
    sent = [photos.photo(360), photos.photo(361), photos.photo(362, blur=6), again.getvalue()]
    uploads = []
    for data in sent:
        response = api.upload(alice, data)
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"upload_id", "width", "height", "checks"}
        assert api.ctx.store.get_upload_checks(alice.scope, body["upload_id"]) == body["checks"]
        uploads.append(body["upload_id"])
    reply = chat(api, alice, "this is my dog Rex", attachments=uploads)["reply"]
    assert "Added 4 photos of Rex" in reply
    assert "photo 3 is blurry; photo 4 is a near-duplicate of photo 2" in reply

    clean = [api.upload_ok(alice, 370 + i) for i in range(3)]
    assert "Note:" not in chat(api, alice, "this is my cat Tom", attachments=clean)["reply"]
