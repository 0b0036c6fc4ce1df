"""The assistant's tools as OpenAI function-tool schemas, for agent frameworks that bring their
own model and call our tools themselves (``dreamchat tools --format openai``).

Generated from ``TOOLS``, so they never drift from what the LangChain agent and the MCP server
offer. Pydantic's schema is trimmed to what function calling needs: no ``title`` noise (models
read it as one more instruction), ``Optional`` fields as their plain type (an optional field is
simply left out, and small local models handle ``anyOf`` with ``null`` badly), ``$ref`` inlined,
and ``additionalProperties: false`` so a model that invents an argument is told so.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .tools import TOOLS

__all__ = ["openai_tool_schemas", "parameters_schema"]

_NULL = {"type": "null"}
# Keywords whose value is a map of names to schemas, not a schema: a property may be called
# "title" or "default" and must survive the clean-up.
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def openai_tool_schemas() -> list[dict[str, Any]]:
    """``[{"type": "function", "function": {"name", "description", "parameters"}}, ...]``."""
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": parameters_schema(spec.args),
            },
        }
        for spec in TOOLS
    ]


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A tool argument model's JSON schema, cleaned for function calling (see module doc)."""
    raw = model.model_json_schema()
    definitions = raw.get("$defs", {})
    schema = _clean(raw, definitions)
    return {
        "type": "object",
        "properties": schema.pop("properties", {}),
        "required": schema.pop("required", []),
        "additionalProperties": schema.pop("additionalProperties", False),
        **{key: value for key, value in schema.items() if key != "type"},
    }


def _clean(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**definitions[ref.removeprefix("#/$defs/")], **siblings}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "$defs"):
            continue
        if key in _SCHEMA_MAPS:
            out[key] = {name: _clean(sub, definitions) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_clean(sub, definitions) for sub in value]
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _clean(value, definitions)
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" in out:
        required = set(out.get("required", []))
        out["properties"] = {
            name: sub if name in required else _optional(sub)
            for name, sub in out["properties"].items()
        }
        out.setdefault("additionalProperties", False)
    return out


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, null], default: null`` → ``X``: for a field a caller may leave out, "or
    null" only adds a second way to say nothing."""
    variants = schema.get("anyOf")
    if isinstance(variants, list) and _NULL in variants:
        rest = [variant for variant in variants if variant != _NULL]
        if len(rest) == 1:
            siblings = {key: value for key, value in schema.items() if key != "anyOf"}
            schema = {**rest[0], **siblings}
    if "default" in schema and schema["default"] is None:
        schema = {key: value for key, value in schema.items() if key != "default"}
    return schema
