from __future__ import annotations

import pytest

from core.errors import InvalidInput, Unauthenticated
from core.store import RedisStore
from core.tenants import authenticate, create_tenant


def test_create_and_authenticate(store: RedisStore) -> None:
    tenant, key = create_tenant(store, name="  Acme  Pets ")
    assert tenant.name == "Acme Pets" and tenant.id.startswith("ten_")
    assert key not in store.client.get(f"{store.prefix}:{tenant.id}:_tenant").decode()
    assert authenticate(store, api_key=key) == tenant

    other, other_key = create_tenant(store, name="Other")
    forged = other_key.replace(other.id, tenant.id)  # right tenant, wrong secret
    for bad in ("", "nonsense", forged, key + "x", key.replace(tenant.id, "ten_missing")):
        with pytest.raises(Unauthenticated) as exc:
            authenticate(store, api_key=bad)
        assert exc.value.code == "invalid_api_key" and exc.value.http_status == 401
    with pytest.raises(InvalidInput):
        create_tenant(store, name="   ")


def test_allowed_origins_are_validated_and_stored(store):
    from core.errors import InvalidInput, NotFound
    from core.tenants import set_allowed_origins

    tenant, _ = create_tenant(store, name="shop")
    updated = set_allowed_origins(
        store, tenant_id=tenant.id, origins=["https://Shop.example.com/", "http://localhost:3000"]
    )
    assert (
        store.get_tenant(tenant.id).allowed_origins
        == updated.allowed_origins
        == [
            "https://shop.example.com",
            "http://localhost:3000",
        ]
    )
    with pytest.raises(InvalidInput):
        set_allowed_origins(store, tenant_id=tenant.id, origins=["shop.example.com/path"])
    assert store.get_tenant(tenant.id).allowed_origins == updated.allowed_origins  # unchanged
    with pytest.raises(NotFound):
        set_allowed_origins(store, tenant_id="ten_" + "a" * 24, origins=[])
