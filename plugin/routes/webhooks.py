"""Webhook endpoints of the tenant (API key only; they are not any one user's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from worker import events

from ..deps import Ctx, TenantAdmin
from ..errors import responses
from ..schemas import (
    DeletedResponse,
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookId,
    WebhookList,
    WebhookOut,
)

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/webhooks", tags=["webhooks"], responses=responses(401, 403, 422, 429)
)


@router.post("", status_code=201, summary="Register a webhook endpoint")
def create_webhook(body: WebhookCreate, ctx: Ctx, tenant: TenantAdmin) -> WebhookCreated:
    """Events are signed with Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``) using the returned ``secret``, shown only now. The URL must be
    public (private and local addresses are refused unless the server allows their host)."""
    endpoint, secret = events.create_webhook_endpoint(
        ctx, tenant_id=tenant.id, url=body.url, events=[str(e) for e in body.events]
    )
    return WebhookCreated(**WebhookOut.of(endpoint).model_dump(), secret=secret)


@router.get("", summary="List webhook endpoints")
def list_webhooks(ctx: Ctx, tenant: TenantAdmin) -> WebhookList:
    endpoints = events.list_webhook_endpoints(ctx, tenant_id=tenant.id)
    return WebhookList(data=[WebhookOut.of(e) for e in endpoints])


@router.delete("/{webhook_id}", summary="Delete a webhook endpoint", responses=responses(404))
def delete_webhook(webhook_id: WebhookId, ctx: Ctx, tenant: TenantAdmin) -> DeletedResponse:
    events.delete_webhook_endpoint(ctx, tenant_id=tenant.id, endpoint_id=webhook_id)
    return DeletedResponse(id=webhook_id)


@router.get(
    "/{webhook_id}/deliveries", summary="Recent delivery attempts", responses=responses(404)
)
def list_deliveries(
    webhook_id: WebhookId,
    ctx: Ctx,
    tenant: TenantAdmin,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DeliveryList:
    """Newest first: status code, error and timing of each attempt, to debug a receiver."""
    deliveries = events.list_deliveries(
        ctx, tenant_id=tenant.id, endpoint_id=webhook_id, limit=limit
    )
    return DeliveryList(data=[DeliveryOut.of(d) for d in deliveries])
