"""Tenants: the platforms that embed dreamchat, each with one API key.

The key names its tenant (``dck_<tenant id>.<secret>``) and only its hash is stored, so checking
a key is one Redis read and a leaked database leaks no keys.
"""

from __future__ import annotations

import re

from .domain import Tenant
from .errors import InvalidInput, NotFound, Unauthenticated
from .ids import TENANT, api_key_matches, hash_api_key, new_api_key, new_id, tenant_id_from_api_key
from .store import RedisStore

__all__ = ["authenticate", "create_tenant", "set_allowed_origins"]


def create_tenant(store: RedisStore, *, name: str) -> tuple[Tenant, str]:
    """A new tenant and its API key. The key is shown once, here; we cannot recover it."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("Name the tenant with 1 to 200 characters.", code="invalid_tenant_name")
    tenant_id = new_id(TENANT)
    api_key = new_api_key(tenant_id)
    tenant = Tenant(
        id=tenant_id, name=cleaned, api_key_hash=hash_api_key(api_key), created_at=store.now()
    )
    store.insert_tenant(tenant)
    return tenant, api_key


def set_allowed_origins(store: RedisStore, *, tenant_id: str, origins: list[str]) -> Tenant:
    """Which sites may embed this tenant's widget (``https://shop.example.com``; ``*`` any)."""
    cleaned = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
            raise InvalidInput(
                f"{origin!r} is not an origin; write it like https://shop.example.com (no path).",
                code="invalid_origin",
            )
        cleaned.append(origin.lower())

    def update(tenant: Tenant) -> None:
        tenant.allowed_origins = cleaned

    return store.update_tenant(tenant_id, update)


def authenticate(store: RedisStore, *, api_key: str) -> Tenant:
    """The tenant an API key belongs to, or ``Unauthenticated`` (same answer for a malformed
    key, an unknown tenant and a wrong secret)."""
    tenant_id = tenant_id_from_api_key(api_key)
    if tenant_id is not None:
        try:
            tenant = store.get_tenant(tenant_id)
        except NotFound:
            pass
        else:
            if api_key_matches(api_key, tenant.api_key_hash):
                return tenant
    raise Unauthenticated(
        "Invalid API key; send 'Authorization: Bearer <your tenant API key>'.",
        code="invalid_api_key",
    )
