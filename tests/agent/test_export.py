"""``openai_tool_schemas()`` and ``dreamchat tools``: the schemas other agent frameworks use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import openai
import pytest
from openai.types.chat import ChatCompletionToolParam
from pydantic import TypeAdapter

from agent.export import openai_tool_schemas
from agent.tools import TOOLS
from dreamchat.cli import main


def _titles(schema: Any) -> list[str]:
    """Every ``title`` keyword in a schema (a property *named* title would not count)."""
    if isinstance(schema, list):
        return [t for item in schema for t in _titles(item)]
    if not isinstance(schema, dict):
        return []
    found = ["title"] if "title" in schema else []
    for key, value in schema.items():
        if key == "properties":
            found += [t for sub in value.values() for t in _titles(sub)]
        elif key != "title":
            found += _titles(value)
    return found


def test_one_function_tool_per_registered_tool() -> None:
    schemas = openai_tool_schemas()
    assert [s["function"]["name"] for s in schemas] == [spec.name for spec in TOOLS]
    for schema, spec in zip(schemas, TOOLS, strict=True):
        assert schema["type"] == "function"
        assert schema["function"]["description"] == spec.description
        params = schema["function"]["parameters"]
        assert params["type"] == "object"
        assert set(params["properties"]) == set(spec.args.model_fields)
        assert set(params["required"]) <= set(params["properties"])
        assert params["additionalProperties"] is False
        assert _titles(params) == []
        assert "$ref" not in json.dumps(params)
        jsonschema.Draft202012Validator.check_schema(params)


def test_schemas_validate_as_the_openai_sdk_types_them() -> None:
    adapter = TypeAdapter(list[ChatCompletionToolParam])
    assert adapter.validate_python(openai_tool_schemas()) == openai_tool_schemas()


def test_schemas_accept_good_arguments_and_refuse_invented_ones() -> None:
    by_name = {s["function"]["name"]: s["function"]["parameters"] for s in openai_tool_schemas()}
    create = jsonschema.Draft202012Validator(by_name["create_subject"])
    assert create.is_valid({"name": "Rex", "class_noun": "dog"})
    assert not create.is_valid({"name": "Rex"})
    assert not create.is_valid({"name": "Rex", "class_noun": "dog", "user_id": "someone-else"})
    generate = jsonschema.Draft202012Validator(by_name["generate_images"])
    assert generate.is_valid({"request": "Rex in Paris", "count": 2, "aspect": "portrait"})
    assert not generate.is_valid({"request": "Rex in Paris", "count": "many"})
    # No bounds in the schema: the service refuses a count over the limit with the code every
    # door gives (tests/test_limits_doors.py), which a schema bound would pre-empt with another.
    assert generate.is_valid({"request": "Rex in Paris", "count": 9})
    assert jsonschema.Draft202012Validator(by_name["list_subjects"]).is_valid({})


def test_the_openai_client_sends_them_unchanged() -> None:
    sent: list[dict[str, Any]] = []

    def endpoint(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "test",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "hi"},
                    }
                ],
            },
        )

    client = openai.OpenAI(
        api_key="test",
        base_url="http://llm.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(endpoint)),
    )
    client.chat.completions.create(
        model="test", messages=[{"role": "user", "content": "hi"}], tools=openai_tool_schemas()
    )
    assert sent[0]["tools"] == openai_tool_schemas()


def _dreamchat(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """The console script's ``main``, in process: a subprocess would spend seconds importing
    torch for the trainer commands the parser also registers."""
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_prints_the_openai_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert _dreamchat(capsys, "tools", "--format", "openai") == openai_tool_schemas()
    assert _dreamchat(capsys, "tools") == openai_tool_schemas()


def test_cli_prints_the_mcp_tool_list(capsys: pytest.CaptureFixture[str]) -> None:
    listed = _dreamchat(capsys, "tools", "--format", "mcp")
    assert [t["name"] for t in listed] == [spec.name for spec in TOOLS]
    assert [t["inputSchema"] for t in listed] == [spec.args.model_json_schema() for spec in TOOLS]


def test_the_integration_guide_lists_every_tool() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "integrate.md").read_text(encoding="utf-8")
    listed = re.search(r"The tools: (.+?)\.\n", guide, re.S)
    assert listed is not None
    assert re.findall(r"`(\w+)`", listed.group(1)) == [spec.name for spec in TOOLS]
