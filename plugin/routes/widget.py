"""The embeddable chat: ``/widget.js``, the tenant's widget settings (``/v1/widget/settings``)
and ``/`` (a demo page that embeds it).

The demo page signs in as the development tenant that ``dreamchat run`` creates: it mints a
short-lived user token for one demo user, exactly as a platform's backend would for its own
users, and ``/demo/token`` hands out fresh ones as the platform's token endpoint would.
Without a development tenant it explains how to embed the widget instead.
"""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from core import widget as settings_rules
from core.errors import DreamchatError, NotFound
from core.widget import WidgetSettings

from ..deps import Api, Ctx, CurrentTenant, TenantAdmin
from ..errors import responses

__all__ = ["DEMO_USER", "WidgetSettingsOut", "WidgetSettingsUpdate", "router", "settings_router"]

router = APIRouter(include_in_schema=False)
settings_router = APIRouter(
    prefix="/v1/widget", tags=["widget"], responses=responses(401, 403, 422, 429)
)
DEMO_USER = "demo-user"
DEMO_TOKEN_TTL_SECONDS = 3600
_WIDGET = files("plugin").joinpath("static/widget.js")


@router.get("/widget.js")
def widget() -> Response:
    return Response(
        _WIDGET.read_text(encoding="utf-8"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


# Tenant widget settings -------------------------------------------------------------------
# The request model states the rules of ``core.widget`` for the OpenAPI document; the service
# function checks them (422 ``invalid_widget_settings``), the same answer the CLI gives.


def _nullable(*branches: dict[str, Any]) -> Any:
    return WithJsonSchema({"anyOf": [*branches, {"type": "null"}]})


def _text(field: str) -> Any:
    return _nullable(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": settings_rules.TEXT_MAX_LENGTH[field],
            "pattern": settings_rules.TEXT_PATTERN,
        }
    )


_URL = {
    "type": "string",
    "maxLength": settings_rules.URL_MAX_LENGTH,
    "pattern": settings_rules.URL_PATTERN,
}
_PROMPT = {
    "type": "string",
    "minLength": 1,
    "maxLength": settings_rules.PROMPT_MAX_LENGTH,
    "pattern": settings_rules.TEXT_PATTERN,
}
_SETTINGS_EXAMPLE: dict[str, Any] = {
    "primary_color": "#0b6e4f",
    "position": "left",
    "launcher_icon": "camera",
    "title": "Pet portraits",
    "assistant_name": "Nova",
    "avatar_url": "https://shop.example.com/nova.png",
    "welcome_message": "Hi! Send me three photos of your pet to start.",
    "suggested_prompts": ["Rex on the beach", "Rex as an astronaut"],
    "language": "de",
}


class WidgetSettingsUpdate(BaseModel):
    """The fields to change; ``null`` resets one to the widget's default, a field left out
    stays as it is."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_SETTINGS_EXAMPLE, {"language": None}]}
    )
    primary_color: Annotated[
        str | None,
        _nullable(
            {
                "type": "string",
                "pattern": settings_rules.COLOR_PATTERN,
                "description": "#rrggbb, with at least 3:1 contrast against the white panel "
                "(a lighter colour is 422 with a darker suggestion in details)",
            }
        ),
    ] = None
    position: Annotated[
        str | None, _nullable({"type": "string", "enum": list(settings_rules.POSITIONS)})
    ] = None
    launcher_icon: Annotated[
        str | None,
        _nullable({"type": "string", "enum": list(settings_rules.LAUNCHER_ICONS)}, _URL),
    ] = None
    title: Annotated[str | None, _text("title")] = None
    assistant_name: Annotated[str | None, _text("assistant_name")] = None
    avatar_url: Annotated[str | None, _nullable(_URL)] = None
    welcome_message: Annotated[str | None, _text("welcome_message")] = None
    suggested_prompts: Annotated[
        list[str] | None,
        _nullable({"type": "array", "maxItems": settings_rules.MAX_PROMPTS, "items": _PROMPT}),
    ] = None
    language: Annotated[
        str | None, _nullable({"type": "string", "enum": list(settings_rules.LANGUAGES)})
    ] = None


class WidgetSettingsOut(BaseModel):
    """``null`` (or no prompts): the widget's default. A script tag's ``data-*`` attributes
    override each field on that page."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_SETTINGS_EXAMPLE | {"updated_at": "2026-01-01T12:00:00Z"}]}
    )
    primary_color: str | None
    position: str | None
    launcher_icon: str | None
    title: str | None
    assistant_name: str | None
    avatar_url: str | None
    welcome_message: str | None
    suggested_prompts: list[str]
    language: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, settings: WidgetSettings) -> WidgetSettingsOut:
        return cls.model_validate(settings.model_dump())


@settings_router.get("/settings", summary="The tenant's widget settings")
def get_settings(ctx: Ctx, tenant: CurrentTenant) -> WidgetSettingsOut:
    """What the widget fetches once per page load, with the user token it was given; the
    tenant API key (with or without ``X-User-Id``) reads them too."""
    return WidgetSettingsOut.of(settings_rules.get_widget_settings(ctx.store, tenant_id=tenant.id))


@settings_router.patch("/settings", summary="Change the tenant's widget settings")
def update_settings(body: WidgetSettingsUpdate, ctx: Ctx, tenant: TenantAdmin) -> WidgetSettingsOut:
    """Tenant API key only. Every widget of the tenant shows the change on its next page
    load, except where a script tag's ``data-*`` attribute sets that field itself."""
    settings = settings_rules.update_widget_settings(
        ctx.store, tenant_id=tenant.id, changes=body.model_dump(exclude_unset=True)
    )
    return WidgetSettingsOut.of(settings)


# The demo page ----------------------------------------------------------------------------


def _demo_token(api: Api) -> tuple[str, int] | None:
    path = api.settings.data_dir / "dev-tenant.json"
    if not api.settings.demo_page or not path.is_file():
        return None
    try:
        tenant_id = json.loads(path.read_text())["tenant_id"]
        tenant = api.ctx.store.get_tenant(tenant_id)
    except (OSError, KeyError, ValueError, DreamchatError):
        return None
    expires_at = int(time.time()) + DEMO_TOKEN_TTL_SECONDS
    return api.signer.mint_user_token(tenant, user_id=DEMO_USER, expires_at=expires_at), expires_at


@router.get("/demo/token")
def demo_token(api: Api) -> dict[str, str]:
    """A fresh token for the demo page's user: the endpoint a platform's backend would have
    for its ``data-token-url``."""
    minted = _demo_token(api)
    if minted is None:
        raise NotFound("No demo here; start the service with `dreamchat run`.", code="not_found")
    token, expires_at = minted
    return {"token": token, "expires_at": datetime.fromtimestamp(expires_at, UTC).isoformat()}


SAMPLE_SUBJECT = "pinkdog"
"""The held-out ToyWorld subject the demo page offers as sample photos: the default base model
never saw it, so a visitor without photos of their own can walk the whole flow."""


_SAMPLES_DIR = files("plugin").joinpath("static/samples")


@router.get("/demo/sample-photos/{index}.png")
def sample_photo(index: int, api: Api) -> Response:
    """One of the sample photos (demo page only), as a visitor's phone would upload it. They
    are ``dreamchat toyworld photos pinkdog plugin/static/samples``, committed: the API never
    imports the trainer."""
    if not api.settings.demo_page:
        raise NotFound("No demo here; start the service with `dreamchat run`.", code="not_found")
    photos = sorted(
        (p for p in _SAMPLES_DIR.iterdir() if p.name.endswith(".png")), key=lambda p: p.name
    )
    if not 0 <= index < len(photos):
        raise NotFound(f"There are {len(photos)} sample photos.", code="not_found")
    return Response(
        photos[index].read_bytes(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=3600"},
    )


_SAMPLES = """<p><button type="button" id="samples">Try it with sample photos</button>
<small>5 photos of a pink dog with a white band, a subject the base model never saw.</small></p>
<script>
document.getElementById("samples").onclick = function () {{
  var names = [0, 1, 2, 3, 4];
  Promise.all(names.map(function (i) {{
    return fetch("/demo/sample-photos/" + i + ".png").then(function (r) {{ return r.blob(); }})
      .then(function (b) {{ return new File([b], "pinkdog-" + i + ".png", {{type: "image/png"}}); }});
  }})).then(function (files) {{
    return window.dreamchat.attach(files).then(function () {{
      return window.dreamchat.send("this is my dog Rex");
    }});
  }});
}};
</script>"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>dreamchat demo</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:720px;margin:40px auto;padding:0 20px;color:#222}}
code{{background:#f1f0f6;padding:2px 5px;border-radius:4px}}</style></head>
<body><main><h1>dreamchat</h1>
<p>Your personal photo studio. Open the chat (bottom right), say <code>this is my dog Rex</code>,
attach 3&ndash;25 photos, then <code>train Rex</code>; when it's ready, ask for
<code>show Rex on the beach</code>.</p>
{body}
</main></body></html>"""


@router.get("/", response_class=HTMLResponse)
def demo_page(api: Api) -> str:
    minted = _demo_token(api)
    if minted is None:
        body = (
            "<p>No development tenant here. Start the service with <code>dreamchat run</code>, "
            "or embed the widget with a user token minted by your backend:</p>"
            '<pre><code>&lt;script src="/widget.js" data-token="USER_TOKEN" async&gt;&lt;/script&gt;'
            '</code></pre><p>API reference: <a href="/docs">/docs</a>.</p>'
        )
        return _PAGE.format(body=body)
    tag = (
        f'<script src="/widget.js" data-token="{html.escape(minted[0])}" '
        'data-token-url="/demo/token" data-open="true" async></script>'
    )
    note = (
        "<p><small>This page signs in as the development tenant's demo user. Unless "
        "<code>DREAMCHAT_BASE_MODEL</code> is set, the model is ToyWorld: tiny 32&nbsp;px "
        "pictures of dogs, cats and cars on beaches, snow, forests, at night and in a city."
        "</small></p>"
    )
    return _PAGE.format(body=note + _SAMPLES.format() + tag)
