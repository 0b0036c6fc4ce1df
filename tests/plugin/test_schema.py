"""The published OpenAPI document says exactly what the server does, checked the way an
integrator would: schemathesis' own engine (examples, coverage, fuzzing and stateful phases)
with every check it has — schema-valid requests are accepted, schema-violating ones refused,
statuses, headers, content types and bodies match the schema, ``Allow`` lists the documented
methods.
Bounded: a few examples per operation, and event streams end quickly.

What JSON Schema can't say is configured here, each with its reason, and nothing else:
- a photo upload may be refused for its content (415 not a photo, 422 too small, 409 a
  duplicate): a schema can't describe pixels;
- a webhook URL may be refused (422) because its host resolves to a private address, which
  only a DNS lookup at registration time can tell;
- a widget colour may be refused (422) for too little contrast against the panel, which is
  arithmetic on the colour that JSON Schema can't express;
- the server ignores query parameters it doesn't know, as HTTP APIs do, so undeclared ones are
  not generated as "invalid" input."""

from __future__ import annotations

import pytest
import schemathesis
from rq import Worker
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

PHASES = ("examples", "coverage", "fuzzing", "stateful")


def _failures(event: events.ScenarioFinished) -> list[str]:
    found = []
    for case_id, nodes in event.recorder.checks.items():
        for node in nodes:
            if node.failure_info is not None:
                failure = node.failure_info.failure
                interaction = event.recorder.interactions.get(case_id)
                response = getattr(interaction, "response", None)
                answer = f"[{response.status_code}] {response.content[:300]!r}" if response else "-"
                found.append(
                    f"[{event.phase.value}] {event.recorder.label} {node.name}: {failure.title}\n"
                    f"{failure.message}\n{answer}\n{node.failure_info.code_sample}"
                )
    return found


def _config(caller, **checks) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": caller.headers,  # X-User-Id is ignored where the tenant key acts alone
            "generation": {
                "max-examples": 5,
                "deterministic": True,
                "allow-extra-parameters": False,
            },
            "checks": checks,
        }
    )


# Operations whose schema-valid requests may still be refused for what JSON Schema can't say.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default
CONTENT_CHECKED = {
    ("POST", "/v1/uploads"): [*ACCEPTED, "415", "422"],
    ("POST", "/v1/webhooks"): [*ACCEPTED, "422"],
    ("PATCH", "/v1/widget/settings"): [*ACCEPTED, "422"],
}


def _run(schema, failures: list[str], phases: set[str], operations: set[str]) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phases.add(event.phase.value)
            operations.add(event.recorder.label)
            failures.extend(_failures(event))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"engine error: {event}")


@pytest.mark.timeout(300)
def test_the_api_does_what_its_schema_says(make_api):
    api = make_api(event_stream_seconds=0.2, event_ping_seconds=0.1)
    caller = api.caller()
    plain = schemathesis.openapi.from_asgi("/openapi.json", api.app, config=_config(caller))
    for method, path in CONTENT_CHECKED:
        plain = plain.exclude(method=method, path=path)
    runs = [plain]
    for (method, path), statuses in CONTENT_CHECKED.items():
        config = _config(caller, positive_data_acceptance={"expected-statuses": statuses})
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.app, config=config)
        runs.append(schema.include(method=method, path=path))
    worker = Worker([api.ctx.queue("generate")], connection=api.ctx.redis)
    worker.register_birth()  # /readyz answers 503 without one, which is right but a 5xx
    failures: list[str] = []
    phases: set[str] = set()
    operations: set[str] = set()
    try:
        for schema in runs:
            _run(schema, failures, phases, operations)
    finally:
        worker.register_death()
    assert not failures, "\n\n".join(sorted(set(failures)))
    assert phases >= set(PHASES)
    assert len(operations) >= 25
    assert api.client.get("/healthz").status_code == 200
