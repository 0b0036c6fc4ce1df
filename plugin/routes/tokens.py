"""User tokens: a tenant's backend mints one per end user for the browser widget."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from core.errors import InvalidInput

from ..deps import Api, TenantAdmin
from ..errors import responses
from ..schemas import UserTokenRequest, UserTokenResponse

__all__ = ["router"]

router = APIRouter(prefix="/v1/user-tokens", tags=["auth"])


@router.post(
    "",
    status_code=201,
    summary="Mint a short-lived token for one end user",
    responses=responses(401, 403, 422, 429),
)
def mint_user_token(body: UserTokenRequest, tenant: TenantAdmin, api: Api) -> UserTokenResponse:
    """Call this from your backend with the tenant API key, and hand the token to your page;
    the widget sends it as ``Authorization: Bearer dcu_…``. It acts for that user only and
    stops working at ``expires_at`` or when the API key is rotated."""
    config = api.settings
    ttl = body.ttl_seconds or config.user_token_ttl_seconds
    if ttl > config.user_token_max_ttl_seconds:
        raise InvalidInput(
            f"ttl_seconds can be at most {config.user_token_max_ttl_seconds}.",
            code="invalid_ttl",
            details={"max_ttl_seconds": config.user_token_max_ttl_seconds},
        )
    expires = int(api.ctx.store.now().timestamp()) + ttl
    token = api.signer.mint_user_token(tenant, user_id=body.user_id, expires_at=expires)
    return UserTokenResponse(
        token=token, user_id=body.user_id, expires_at=datetime.fromtimestamp(expires, UTC)
    )
