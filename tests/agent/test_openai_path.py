"""The assistant on an OpenAI-compatible endpoint, over real HTTP with the official client
(through langchain-openai): tool schemas go out, tool calls come back and run, tool results go
out again — and whatever the model puts in the arguments, it stays inside the caller's scope."""

from __future__ import annotations

import json
import uuid

import pytest

from agent.assistant import Assistant
from agent.models import build_chat_model
from agent.tools import TOOLS
from core.domain import Scope
from core.settings import load_settings
from core.subjects import create_subject, list_subjects

from .openai_stub import ScriptedOpenAI, text_reply, tool_call_reply


def _assistant(service, stub) -> Assistant:
    settings = load_settings(
        agent_model="stub-model", openai_base_url=stub.base_url, openai_api_key="sk-test"
    )
    return Assistant(service.ctx, model=build_chat_model(settings))


def test_tool_calls_round_trip_over_the_openai_wire_format(service):
    scope = Scope("ten_oai", "kim")
    script = [
        tool_call_reply("create_subject", {"name": "Rex", "class_noun": "dog"}),
        text_reply("Rex is set up!"),
    ]
    with ScriptedOpenAI(script) as stub:
        reply = _assistant(service, stub).chat(scope=scope, message="This is my dog Rex")
    assert reply.reply == "Rex is set up!"
    assert [s.name for s in list_subjects(service.ctx.store, scope=scope)] == ["Rex"]

    first, second = (r["body"] for r in stub.requests)
    assert stub.requests[0]["path"] == "/v1/chat/completions"
    assert stub.requests[0]["headers"]["authorization"] == "Bearer sk-test"
    assert first["model"] == "stub-model"
    assert first["messages"][0]["role"] == "system" and first["messages"][-1] == {
        "role": "user",
        "content": "This is my dog Rex",
    }
    sent_tools = {t["function"]["name"]: t["function"]["parameters"] for t in first["tools"]}
    assert set(sent_tools) == {t.name for t in TOOLS}
    assert set(sent_tools["create_subject"]["properties"]) == {"name", "class_noun"}
    for parameters in sent_tools.values():  # identity is never something the model fills in
        assert not {"tenant_id", "user_id", "scope", "runtime"} & set(
            parameters.get("properties", {})
        )
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert "Rex the dog is set up" in json.loads(tool_message["content"])["message"]
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "create_subject"


@pytest.mark.parametrize(
    "arguments",
    [
        {
            "request": "show Rex in Paris",
            "subjects": ["Rex"],
            "user_id": "lee",
            "tenant_id": "ten_oai",
        },
        {"request": "show sub_victim in Paris", "subjects": ["lee's Rex"]},
    ],
)
def test_a_model_cannot_reach_another_users_subject(service, arguments):
    victim = Scope("ten_oai", f"lee-{uuid.uuid4().hex[:6]}")
    rex = create_subject(service.ctx.store, scope=victim, name="Rex", class_noun="dog")
    arguments = {**arguments, "subjects": [*arguments["subjects"], rex.id]}
    script = [tool_call_reply("generate_images", arguments), text_reply("done")]
    with ScriptedOpenAI(script) as stub:
        reply = _assistant(service, stub).chat(
            scope=Scope("ten_oai", "mallory"), message="show Rex in Paris"
        )
    result = json.loads(stub.requests[1]["body"]["messages"][-1]["content"])
    assert result["ok"] is False and not reply.images and reply.generation_id is None
    assert "Rex" not in result["message"] or "don't" in result["message"].lower()
    assert service.ctx.store.list_generations(victim) == []


def test_generation_status_tool_reports_pending_and_stays_in_scope(service):
    from agent.session import ChatSession, ConversationState
    from agent.tools import run_tool
    from core.domain import SubjectStatus
    from worker import services

    owner = Scope("ten_oai", f"gen-{uuid.uuid4().hex[:6]}")
    rex = create_subject(service.ctx.store, scope=owner, name="Rex", class_noun="dog")

    def ready(subject):
        subject.status, subject.adapter = SubjectStatus.READY, "somewhere"

    service.ctx.store.update_subject(owner, rex.id, ready)
    generation = services.generate(
        service.ctx, scope=owner, subject_ids=[rex.id], prompt="a photo of it"
    )

    def session(scope):
        return ChatSession(service.ctx, scope, "cnv_" + "a" * 24, ConversationState())

    pending = run_tool(session(owner), "generation_status", {"generation_id": generation.id})
    assert pending["ok"] and pending["pending"] and pending["status"] == "queued"
    other = run_tool(
        session(Scope("ten_oai", "someone-else")),
        "generation_status",
        {"generation_id": generation.id},
    )
    assert other["ok"] is False and other["error"]["code"] == "generation_not_found"


def test_cancel_generation_tool_cancels_only_the_callers_generations(service):
    from agent.session import ChatSession, ConversationState
    from agent.tools import run_tool
    from core.domain import JobStatus
    from worker import services

    owner = Scope("ten_oai", f"stop-{uuid.uuid4().hex[:6]}")
    mallory = Scope("ten_oai", f"mallory-{uuid.uuid4().hex[:6]}")

    def session(scope):
        return ChatSession(service.ctx, scope, "cnv_" + "b" * 24, ConversationState())

    def status(generation_id):
        return service.ctx.store.get_generation(owner, generation_id).status

    # No subject needed to draw the base model; the service takes an empty list.
    first, second = (
        services.generate(service.ctx, scope=owner, subject_ids=[], prompt=f"a photo of a {n}")
        for n in ("dog", "cat")
    )
    refused = run_tool(session(mallory), "cancel_generation", {"generation_id": first.id})
    assert refused["ok"] is False and refused["error"]["code"] == "generation_not_found"
    nothing = run_tool(session(mallory), "cancel_generation", {})  # their own: none
    assert nothing["ok"] is False and "No picture" in nothing["message"]
    assert status(first.id) is status(second.id) is JobStatus.QUEUED

    one = run_tool(session(owner), "cancel_generation", {"generation_id": first.id})
    assert one["ok"] and one["message"] == "Cancelled the picture."
    assert status(first.id) is JobStatus.CANCELLED and status(second.id) is JobStatus.QUEUED
    rest = run_tool(session(owner), "cancel_generation", {})
    assert rest["ok"] and [g["id"] for g in rest["generations"]] == [second.id]
    assert status(second.id) is JobStatus.CANCELLED
    asked = run_tool(session(owner), "generation_status", {"generation_id": second.id})
    assert asked["ok"] and asked["status"] == "cancelled" and "cancelled" in asked["message"]
