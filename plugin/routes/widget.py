"""``/widget.js`` (the embeddable chat) and ``/`` (a demo page that embeds it).

The demo page signs in as the development tenant that ``dreamchat run`` creates: it mints a
short-lived user token for one demo user, exactly as a platform's backend would for its own
users. Without a development tenant it explains how to embed the widget instead.
"""

from __future__ import annotations

import html
import json
import time
from importlib.resources import files

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from core.errors import DreamchatError

from ..deps import Api

__all__ = ["DEMO_USER", "router"]

router = APIRouter(include_in_schema=False)
DEMO_USER = "demo-user"
_WIDGET = files("plugin").joinpath("static/widget.js")


@router.get("/widget.js")
def widget() -> Response:
    return Response(
        _WIDGET.read_text(encoding="utf-8"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


def _demo_token(api: Api) -> str | None:
    path = api.settings.data_dir / "dev-tenant.json"
    if not api.settings.demo_page or not path.is_file():
        return None
    try:
        tenant_id = json.loads(path.read_text())["tenant_id"]
        tenant = api.ctx.store.get_tenant(tenant_id)
    except (OSError, KeyError, ValueError, DreamchatError):
        return None
    return api.signer.mint_user_token(tenant, user_id=DEMO_USER, expires_at=int(time.time()) + 3600)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>dreamchat demo</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:720px;margin:40px auto;padding:0 20px;color:#222}}
code{{background:#f1f0f6;padding:2px 5px;border-radius:4px}}</style></head>
<body><h1>dreamchat</h1>
<p>Your personal photo studio. Open the chat (bottom right), say <code>this is my dog Rex</code>,
attach 3&ndash;25 photos, then <code>train Rex</code>; when it's ready, ask for
<code>Rex on the beach at sunset</code>.</p>
{body}
</body></html>"""


@router.get("/", response_class=HTMLResponse)
def demo_page(api: Api) -> str:
    token = _demo_token(api)
    if token is None:
        body = (
            "<p>No development tenant here. Start the service with <code>dreamchat run</code>, "
            "or embed the widget with a user token minted by your backend:</p>"
            '<pre><code>&lt;script src="/widget.js" data-token="USER_TOKEN" async&gt;&lt;/script&gt;'
            '</code></pre><p>API reference: <a href="/docs">/docs</a>.</p>'
        )
        return _PAGE.format(body=body)
    tag = f'<script src="/widget.js" data-token="{html.escape(token)}" data-open="true" async></script>'
    note = (
        "<p><small>This page signs in as the development tenant's demo user. "
        "The model is the offline tiny one unless <code>DREAMCHAT_BASE_MODEL</code> is set, "
        "so its images are noise by design.</small></p>"
    )
    return _PAGE.format(body=note + tag)
