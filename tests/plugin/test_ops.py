"""Operations: health, readiness, metrics, request ids, logs, error shapes, rate limits."""

from __future__ import annotations

import json
import logging

import redis
from fastapi.testclient import TestClient
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Worker

from core.blobs import LocalBlobStore
from core.store import RedisStore
from plugin.app import create_app
from plugin.metrics import JsonFormatter
from worker.context import Context


def test_health_and_readiness(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    not_ready = api.client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json() == {
        "ready": False,
        "draining": False,
        "checks": {"redis": True, "worker": False},
    }
    worker = Worker([api.ctx.queue("generate"), api.ctx.queue("train")], connection=api.ctx.redis)
    worker.register_birth()
    try:
        ready = api.client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "ready": True,
            "draining": False,
            "checks": {"redis": True, "worker": True},
        }
        api.app.state.api.drain.begin()  # what SIGTERM does (tests/plugin/test_drain.py)
        draining = api.client.get("/readyz")
        assert draining.status_code == 503
        assert draining.json() == {
            "ready": False,
            "draining": True,
            "checks": {"redis": True, "worker": True},
        }
        assert api.client.get("/healthz").status_code == 200  # alive: don't restart it
    finally:
        worker.register_death()


def unreachable_api(api):
    client = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    settings = api.ctx.settings
    store = RedisStore(client, prefix=settings.key_prefix)
    return TestClient(
        create_app(Context(settings, client, store, LocalBlobStore(settings.blob_dir)))
    )


def test_redis_down_is_503_not_500(api, alice):
    with unreachable_api(api) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").json()["checks"]["redis"] is False
        response = client.get("/v1/subjects", headers=alice.headers)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"
        assert response.headers["retry-after"]
        assert b"dreamchat_redis_up 0.0" in client.get("/metrics").content


def test_metrics(api, alice):
    api.subject(alice)
    api.client.get("/v1/subjects/sub_" + "f" * 24, headers=alice.headers)
    text = api.client.get("/metrics").text
    assert (
        'dreamchat_http_requests_total{method="GET",route="/v1/subjects/{subject_id}",'
        'status="404"} 1.0' in text
    )
    assert 'dreamchat_http_request_duration_seconds_bucket{le="0.1",method="POST"' in text
    assert 'dreamchat_queue_jobs{queue="train",state="queued"} 0.0' in text
    assert 'dreamchat_queue_workers{queue="generate"} 0.0' in text
    assert "sub_ffff" not in text  # ids never become labels
    api.ctx.store.count_webhook_outcome("delivered")  # as a worker does after each attempt
    api.ctx.store.count_webhook_outcome("delivered")
    api.ctx.store.count_webhook_outcome("retryable")
    text = api.client.get("/metrics").text
    assert 'dreamchat_webhook_deliveries_total{outcome="delivered"} 2.0' in text
    assert 'dreamchat_webhook_deliveries_total{outcome="retryable"} 1.0' in text


def test_request_ids_come_back(api):
    given = api.client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = api.client.get("/healthz", headers={"X-Request-Id": b"bad id\xe9" * 30})
    assert made.headers["x-request-id"] != "abc-123" and len(made.headers["x-request-id"]) == 24
    assert api.client.get("/nowhere").headers["x-request-id"]


def test_unknown_routes_and_methods_have_the_error_shape(api):
    missing = api.client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = api.client.put("/v1/subjects")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_are_500_without_internals(api, caplog):
    @api.app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals: password=hunter2")

    with caplog.at_level(logging.ERROR):
        response = api.client.get("/boom", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["details"] == {"request_id": "req-500"}
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "req-500"
    assert any("hunter2" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_access_logs_are_json_with_ids_and_no_secrets(api, alice, caplog):
    with caplog.at_level(logging.INFO, logger="dreamchat.access"):
        api.client.get("/v1/subjects", headers=alice.headers | {"X-Request-Id": "req-log"})
    (record,) = [r for r in caplog.records if r.name == "dreamchat.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line == line | {
        "request_id": "req-log",
        "tenant_id": alice.tenant_id,
        "user_id": "alice",
        "method": "GET",
        "route": "/v1/subjects",
        "status": 200,
    }
    assert line["duration_ms"] >= 0
    assert alice.api_key not in json.dumps(line)


def test_rate_limits_per_user_and_tenant(make_api):
    api = make_api(rate_limit_user_per_minute=3, rate_limit_tenant_per_minute=5)
    alice = api.caller()
    bob = alice.as_user("bob")
    statuses = [api.client.get("/v1/subjects", headers=alice.headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.client.get("/v1/subjects", headers=alice.headers)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 20
    # alice's refused requests did not use up the tenant's budget: bob gets the two left
    statuses = [api.client.get("/v1/subjects", headers=bob.headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other = api.caller("globex")  # other tenants are not affected
    assert api.client.get("/v1/subjects", headers=other.headers).status_code == 200
    assert api.client.get("/healthz").status_code == 200


def test_trainer_errors_keep_their_code(api):
    from trainer.errors import BaseModelError, PhotoError

    @api.app.get("/photo-error")
    def photo_error() -> dict:
        raise PhotoError("Photo 3 is unreadable.", code="photo_unreadable")

    @api.app.get("/model-error")
    def model_error() -> dict:
        raise BaseModelError("No base model at /nowhere.")

    photo = api.client.get("/photo-error")
    assert photo.status_code == 422
    assert photo.json()["error"] == {
        "code": "photo_unreadable",
        "message": "Photo 3 is unreadable.",
        "details": {},
    }
    model = api.client.get("/model-error")
    assert model.status_code == 503
    assert model.json()["error"]["code"] == "base_model_unavailable"
