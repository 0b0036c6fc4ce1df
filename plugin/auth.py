"""Who is calling, and signed capabilities we hand out.

Three credentials, all HMAC or hash based, none needing a session store:

- **Tenant API key** (``dck_<tenant>.<secret>``, ``core.tenants``): server-to-server, with the end
  user named in ``X-User-Id``.
- **User token** (``dcu_<payload>.<mac>``): minted by the tenant's backend for one end user and a
  short time, so the browser widget never sees the API key. The payload names tenant, user and
  expiry; the MAC key is derived from the server secret *and the tenant's API key hash*, so
  rotating the key revokes every token minted with it. Checking one costs the tenant lookup that
  any request makes anyway.
- **Signed image URL** (``?t&u&exp&sig``): an ``<img src>`` can't send headers, so the URL is
  the capability: an HMAC over tenant, user, image and expiry.

Keys for the two MACs are derived from one server secret (``DREAMCHAT_SECRET_KEY``; in
development generated once under the data dir) with distinct labels, so a MAC made for one
purpose never verifies as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from core.domain import Scope, Tenant
from core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from core.ids import check_external_id
from core.store import RedisStore
from core.tenants import authenticate

__all__ = [
    "USER_TOKEN_PREFIX",
    "Principal",
    "Signer",
    "check_origin",
    "load_server_secret",
    "resolve_principal",
]

USER_TOKEN_PREFIX = "dcu_"
_SECRET_FILE = "secret-key"
_IMAGE_SIG_BYTES = 16  # 128-bit MACs: short URLs, still far beyond guessing


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_server_secret(secret: str | None, data_dir: Path) -> bytes:
    """The configured secret, or one generated on first start and kept in the data dir, so a
    development server's tokens survive restarts. Several API nodes must share one: set
    ``DREAMCHAT_SECRET_KEY`` (or share the data dir)."""
    if secret:
        if len(secret) < 32:
            raise ValueError("DREAMCHAT_SECRET_KEY must be at least 32 characters")
        return secret.encode("utf-8")
    path = data_dir / _SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made by an earlier start or a concurrent process; read theirs
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    value = path.read_text().strip()
    if len(value) < 32:
        raise ValueError(f"{path} holds no usable secret; delete it to make a new one")
    return value.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the tenant, and the end user when one is named."""

    tenant: Tenant
    user_id: str | None
    via: str  # "api_key" | "user_token"

    @property
    def scope(self) -> Scope:
        if self.user_id is None:
            raise InvalidInput(
                "Name the end user in the X-User-Id header (or use a user token).",
                code="missing_user_id",
            )
        return Scope(self.tenant.id, self.user_id)


class Signer:
    """User tokens and image URL signatures, from one server secret."""

    def __init__(self, secret: bytes) -> None:
        self._token_key = hmac.new(secret, b"dreamchat user-token v1", hashlib.sha256).digest()
        self._image_key = hmac.new(secret, b"dreamchat image-url v1", hashlib.sha256).digest()

    # User tokens ---------------------------------------------------------------------------

    def _tenant_key(self, tenant: Tenant) -> bytes:
        material = f"{tenant.id}\n{tenant.api_key_hash}".encode()
        return hmac.new(self._token_key, material, hashlib.sha256).digest()

    def mint_user_token(self, tenant: Tenant, *, user_id: str, expires_at: int) -> str:
        check_external_id(user_id, what="user id")
        payload = _b64(
            json.dumps(
                {"t": tenant.id, "u": user_id, "e": expires_at}, separators=(",", ":")
            ).encode()
        )
        mac = hmac.new(self._tenant_key(tenant), payload.encode(), hashlib.sha256).digest()
        return f"{USER_TOKEN_PREFIX}{payload}.{_b64(mac)}"

    def verify_user_token(self, store: RedisStore, token: str, *, now: float) -> Principal:
        invalid = Unauthenticated(
            "Invalid user token; mint a new one from your backend (POST /v1/user-tokens).",
            code="invalid_user_token",
        )
        try:
            payload, mac = token.removeprefix(USER_TOKEN_PREFIX).split(".")
            claims = json.loads(_unb64(payload))
            tenant_id, user_id, expires_at = claims["t"], claims["u"], int(claims["e"])
            check_external_id(tenant_id, what="tenant id")
            check_external_id(user_id, what="user id")
            tenant = store.get_tenant(tenant_id)
            given = _unb64(mac)
        except (ValueError, KeyError, TypeError, binascii.Error, InvalidInput, NotFound):
            raise invalid from None
        expected = hmac.new(self._tenant_key(tenant), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(given, expected):
            raise invalid
        if expires_at <= now:
            raise Unauthenticated(
                "The user token has expired; mint a new one from your backend.",
                code="user_token_expired",
            )
        return Principal(tenant=tenant, user_id=user_id, via="user_token")

    # Image URLs ----------------------------------------------------------------------------

    def _image_mac(self, scope: Scope, image_id: str, expires: int) -> str:
        message = f"{scope.tenant_id}\n{scope.user_id}\n{image_id}\n{expires}".encode()
        return _b64(hmac.new(self._image_key, message, hashlib.sha256).digest()[:_IMAGE_SIG_BYTES])

    def image_query(self, scope: Scope, image_id: str, *, expires: int) -> str:
        query = {"t": scope.tenant_id, "u": scope.user_id, "exp": expires}
        return urlencode(query | {"sig": self._image_mac(scope, image_id, expires)})

    def verify_image(
        self,
        image_id: str,
        *,
        tenant_id: str | None,
        user_id: str | None,
        expires: str | None,
        sig: str | None,
        now: float,
    ) -> Scope:
        """The scope the URL was signed for; ``Forbidden`` for a bad or expired signature."""
        bad = Forbidden(
            "This image link is not valid; fetch the generation again for a fresh link.",
            code="invalid_image_signature",
        )
        if not (tenant_id and user_id and expires and sig) or not expires.isdigit():
            raise bad
        try:
            scope = Scope(tenant_id, user_id)
        except InvalidInput:
            raise bad from None
        expected = self._image_mac(scope, image_id, int(expires))
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise bad
        if int(expires) <= now:
            raise Forbidden(
                "This image link has expired; fetch the generation again for a fresh link.",
                code="image_url_expired",
            )
        return scope


def resolve_principal(
    store: RedisStore,
    signer: Signer,
    *,
    bearer: str | None,
    user_id: str | None,
    now: float,
) -> Principal:
    """The caller behind ``Authorization: Bearer …`` (+ ``X-User-Id`` for API keys)."""
    if not bearer:
        raise Unauthenticated(
            "Send 'Authorization: Bearer <tenant API key>' (with X-User-Id) or a user token.",
            code="missing_credentials",
        )
    if bearer.startswith(USER_TOKEN_PREFIX):
        principal = signer.verify_user_token(store, bearer, now=now)
        if user_id is not None and user_id != principal.user_id:
            raise Unauthenticated(
                "X-User-Id names another user than the user token; drop the header.",
                code="user_mismatch",
            )
        return principal
    tenant = authenticate(store, api_key=bearer)
    if user_id is not None:
        check_external_id(user_id, what="user id")
    return Principal(tenant=tenant, user_id=user_id, via="api_key")


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip().lower())
    return f"{parts.scheme}://{parts.netloc}"


def check_origin(origin: str | None, *, host: str | None, allowed: list[str]) -> None:
    """Browsers name the page that made a request in ``Origin``; a tenant lists the sites that
    may embed it. Same-origin requests (the demo page) and requests without ``Origin``
    (servers) pass. Enforced here, after authentication, because a CORS preflight carries no
    credentials and so can't tell which tenant's list applies."""
    if not origin:
        return
    normalized = _origin_of(origin)
    if host and urlsplit(normalized).netloc == host.lower():
        return
    if "*" in allowed or normalized in {_origin_of(entry) for entry in allowed}:
        return
    raise Forbidden(
        f"Requests from {origin!r} are not allowed for this tenant; add the origin to the "
        "tenant's allowed origins.",
        code="origin_not_allowed",
        details={"origin": origin[:200]},
    )
