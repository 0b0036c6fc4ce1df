"""Identifiers and secrets.

Our ids are ``<prefix>_<24 base32 chars>`` (120 random bits): the prefix tells a reader what an id
names in logs and support tickets, and the alphabet is safe inside Redis keys, blob paths and
URLs. Tenant and end-user ids may come from integrators, so they only have to be *safe* (see
``check_external_id``), not ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from .errors import InvalidInput, NotFound

__all__ = [
    "ENDPOINT",
    "GENERATION",
    "IMAGE",
    "MESSAGE",
    "SUBJECT",
    "TENANT",
    "TRAINING",
    "UPLOAD",
    "api_key_matches",
    "check_external_id",
    "check_id",
    "example_id",
    "hash_api_key",
    "id_pattern",
    "new_api_key",
    "new_id",
    "new_webhook_secret",
    "tenant_id_from_api_key",
]

SUBJECT = "sub"
TRAINING = "trn"
GENERATION = "gen"
IMAGE = "img"
UPLOAD = "upl"
ENDPOINT = "whe"
MESSAGE = "msg"
TENANT = "ten"
CONVERSATION = "cnv"

_PREFIXES = frozenset(
    {SUBJECT, TRAINING, GENERATION, IMAGE, UPLOAD, ENDPOINT, MESSAGE, TENANT, CONVERSATION}
)
_ID_BODY_PATTERN = "[a-z2-7]{24}"
_ID_BODY = re.compile(_ID_BODY_PATTERN)
# Tenant and user ids end up in Redis keys (":" separates parts) and blob paths ("/"), so both
# characters are out; a leading letter or digit rules out "." and "..".
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}$"
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN[1:-1])
_API_KEY_PREFIX = "dck_"


def new_id(prefix: str) -> str:
    if prefix not in _PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    body = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
    return f"{prefix}_{body}"


def id_pattern(*prefixes: str) -> str:
    """The JSON Schema ``pattern`` of ids with one of these prefixes, for the OpenAPI document."""
    unknown = set(prefixes) - _PREFIXES
    if not prefixes or unknown:
        raise ValueError(f"unknown id prefix(es) {sorted(unknown)!r}")
    alternatives = "|".join(prefixes)
    return (
        f"^({alternatives})_{_ID_BODY_PATTERN}$"
        if len(prefixes) > 1
        else f"^{prefixes[0]}_{_ID_BODY_PATTERN}$"
    )


def example_id(prefix: str) -> str:
    """A well-formed, stable id for documentation examples (never one we issued)."""
    if prefix not in _PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    digest = hashlib.sha256(f"example:{prefix}".encode()).digest()[:15]
    return f"{prefix}_{base64.b32encode(digest).decode('ascii').lower()}"


def check_id(value: object, prefix: str, *, what: str) -> str:
    """Refuse ids that we could not have issued before they reach a Redis key or a path.

    ``what`` names the thing in the error ("subject"), giving codes like ``subject_not_found``:
    a malformed id is reported like an unknown one (404), which is what it is to the caller,
    so every door answers one code for "no such thing".
    """
    if (
        isinstance(value, str)
        and value.startswith(prefix + "_")
        and _ID_BODY.fullmatch(value, len(prefix) + 1)
    ):
        return value
    raise NotFound(
        f"No {what} {str(value)[:100]!r}: {what} ids look like {prefix}_ and 24 letters and "
        "digits — check the id you sent.",
        code=f"{what}_not_found",
        details={f"{what}_id": str(value)[:100]},
    )


def check_external_id(value: object, *, what: str) -> str:
    if isinstance(value, str) and _EXTERNAL_ID.fullmatch(value):
        return value
    raise InvalidInput(
        f"{what} must be 1–128 characters of letters, digits and . _ @ + = - "
        "(starting with a letter or digit).",
        code=f"invalid_{what.replace(' ', '_')}",
        details={"value": str(value)[:130]},
    )


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_api_key(tenant_id: str) -> str:
    """A tenant API key that names its tenant, so a lookup needs no global index of keys."""
    return f"{_API_KEY_PREFIX}{tenant_id}.{secrets.token_urlsafe(32)}"


def tenant_id_from_api_key(api_key: str) -> str | None:
    if not api_key.startswith(_API_KEY_PREFIX) or "." not in api_key:
        return None
    tenant_id = api_key[len(_API_KEY_PREFIX) :].rsplit(".", 1)[0]
    return tenant_id if _EXTERNAL_ID.fullmatch(tenant_id) else None


def hash_api_key(api_key: str) -> str:
    """Only this hash is stored; keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def api_key_matches(api_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(api_key), stored_hash)
