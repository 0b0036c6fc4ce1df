"""Property-based requests from the published OpenAPI schema (schemathesis): whatever a client
sends, valid or not, the API answers without a 500, with a status code the schema lists, and
with a body that matches the schema for that status. Bounded: a few examples per operation.

Each operation's strategy is driven by hypothesis directly instead of through schemathesis'
pytest plugin, whose fixture loader does not run under pytest 9."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rq import Worker
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
TENANT_ROUTES = ("/v1/webhooks", "/v1/user-tokens")


def exercise(operation, headers: dict[str, str], mode: GenerationMode) -> None:
    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        call()
    except Unsatisfiable:  # no input can be invalid for an operation that takes none
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_the_api_keeps_its_schema(api):
    caller = api.caller()
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    worker = Worker([api.ctx.queue("generate")], connection=api.ctx.redis)
    worker.register_birth()  # /readyz answers 503 without one, which is right but a 5xx
    try:
        for operation in operations:
            admin = operation.path.startswith(TENANT_ROUTES)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                exercise(operation, caller.admin if admin else caller.headers, mode)
    finally:
        worker.register_death()
    assert api.client.get("/healthz").status_code == 200
