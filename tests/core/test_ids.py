from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from core import ids
from core.errors import InvalidInput, NotFound


@pytest.mark.parametrize(
    "prefix",
    [ids.SUBJECT, ids.TRAINING, ids.GENERATION, ids.IMAGE, ids.UPLOAD, ids.ENDPOINT, ids.MESSAGE],
)
def test_new_ids_are_prefixed_random_and_checkable(prefix: str) -> None:
    made = {ids.new_id(prefix) for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(rf"{prefix}_[a-z2-7]{{24}}", i) for i in made)
    assert all(ids.check_id(i, prefix, what="thing") == i for i in made)
    pattern = ids.id_pattern(prefix)
    assert all(re.search(pattern, i) for i in made)
    assert re.search(pattern, ids.example_id(prefix))
    assert ids.example_id(prefix) == ids.example_id(prefix) and ids.example_id(prefix) not in made
    with pytest.raises(ValueError):
        ids.new_id("nope")


def test_malformed_ids_are_unknown_ids() -> None:
    """One answer for "no such thing", whatever the shape of the id: 404 ``<what>_not_found``."""
    for bad in ("", "sub_", "trn_" + "a" * 24, "sub_../../x", "sub_" + "a" * 26, None, 7):
        with pytest.raises(NotFound) as exc:
            ids.check_id(bad, ids.SUBJECT, what="subject")
        assert exc.value.code == "subject_not_found" and exc.value.http_status == 404
        assert not re.search(ids.id_pattern(ids.SUBJECT), str(bad))
    assert re.search(ids.id_pattern(ids.TRAINING, ids.GENERATION), ids.new_id(ids.GENERATION))


def test_check_external_id() -> None:
    for good in ("alice", "user-42", "a.b@example.com", "ten_abc", "X+tag=1"):
        assert ids.check_external_id(good, what="user id") == good
    for bad in ("", "_x", ".", "..", "a:b", "a/b", "a b", "x" * 129, None, 42):
        with pytest.raises(InvalidInput) as exc:
            ids.check_external_id(bad, what="user id")
        assert exc.value.code == "invalid_user_id"


def test_webhook_secret_is_accepted_by_standardwebhooks() -> None:
    secret = ids.new_webhook_secret()
    assert secret.startswith("whsec_") and secret != ids.new_webhook_secret()
    hook = Webhook(secret)
    now = datetime.now(UTC)
    signature = hook.sign("msg_1", now, '{"a":1}')
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert hook.verify('{"a":1}', headers) == {"a": 1}


def test_api_keys_name_their_tenant_and_only_hashes_match() -> None:
    tenant = ids.new_id(ids.TENANT)
    key = ids.new_api_key(tenant)
    assert ids.tenant_id_from_api_key(key) == tenant
    digest = ids.hash_api_key(key)
    assert key not in digest and ids.api_key_matches(key, digest)
    assert not ids.api_key_matches(key + "x", digest)
    for bad in ("", "Bearer x", "dck_", "dck_no-dot", "dck_../x.y"):
        assert ids.tenant_id_from_api_key(bad) is None
