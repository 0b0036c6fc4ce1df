"""``dreamchat worker`` and ``dreamchat tenants create|set-origins|widget``."""

from __future__ import annotations

import argparse
import json

from .context import QUEUE_ORDER

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    worker = commands.add_parser("worker", help="one worker process (loads the model once)")
    worker.add_argument(
        "--queues",
        default=",".join(QUEUE_ORDER),
        help="comma list, served in the order generate, train, webhooks",
    )
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.add_argument("--name", help="worker name (default: host and pid)")
    worker.set_defaults(handler=_worker)

    tenants = commands.add_parser("tenants", help="manage tenants")
    sub = tenants.add_subparsers(dest="tenants_command", required=True)
    create = sub.add_parser("create", help="create a tenant and print its API key as JSON")
    create.add_argument("name")
    create.set_defaults(handler=_tenants_create)
    origins = sub.add_parser("set-origins", help="the sites allowed to embed this tenant's widget")
    origins.add_argument("tenant_id")
    origins.add_argument(
        "origins", nargs="*", help="e.g. https://shop.example.com; none clears the list"
    )
    origins.set_defaults(handler=_tenants_set_origins)
    widget = sub.add_parser(
        "widget",
        help="show or change the tenant's widget settings (no options: show them)",
        description="Options change only the settings they name; --unset FIELD resets one to "
        "the widget's default. A script tag's data-* attributes override these on its page.",
    )
    widget.add_argument("tenant_id")
    widget.add_argument("--color", dest="primary_color", help="primary colour, #rrggbb")
    widget.add_argument("--position", choices=("left", "right"))
    widget.add_argument("--launcher-icon", help="chat, camera, sparkles or an https:// image URL")
    widget.add_argument("--title", help="the chat's heading")
    widget.add_argument("--assistant-name")
    widget.add_argument("--avatar", dest="avatar_url", help="an https:// image URL")
    widget.add_argument("--welcome", dest="welcome_message", help="the first message")
    widget.add_argument(
        "--prompt",
        dest="suggested_prompts",
        action="append",
        help="a suggested prompt shown as a chip; repeat for up to 4 (replaces the list)",
    )
    widget.add_argument("--language", help="en, de, fr or es")
    widget.add_argument(
        "--unset", action="append", default=[], metavar="FIELD", help="reset a field, e.g. title"
    )
    widget.set_defaults(handler=_tenants_widget)


def _worker(args: argparse.Namespace) -> int:
    import logging

    from core.lifecycle import watch_parent
    from core.settings import get_settings

    from .worker_process import run_worker

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if (parent := get_settings().parent_pid) is not None:  # started by `dreamchat run`
        watch_parent(parent)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    run_worker(queues, burst=args.burst, name=args.name)
    return 0


def _tenants_set_origins(args: argparse.Namespace) -> int:
    from core.redis_server import resolve_redis_url
    from core.settings import get_settings
    from core.tenants import set_allowed_origins

    from .context import context_from_settings

    settings = get_settings()
    with resolve_redis_url(settings) as url:
        ctx = context_from_settings(settings, redis_url=url)
        tenant = set_allowed_origins(ctx.store, tenant_id=args.tenant_id, origins=args.origins)
    print(json.dumps({"tenant_id": tenant.id, "allowed_origins": tenant.allowed_origins}))
    return 0


def _tenants_widget(args: argparse.Namespace) -> int:
    from core.redis_server import resolve_redis_url
    from core.settings import get_settings
    from core.widget import FIELDS, get_widget_settings, update_widget_settings

    from .context import context_from_settings

    changes = {field: None for field in args.unset}
    changes |= {f: getattr(args, f) for f in FIELDS if getattr(args, f) is not None}
    settings = get_settings()
    with resolve_redis_url(settings) as url:
        store = context_from_settings(settings, redis_url=url).store
        if changes:
            widget = update_widget_settings(store, tenant_id=args.tenant_id, changes=changes)
        else:
            widget = get_widget_settings(store, tenant_id=args.tenant_id)
    print(json.dumps({"tenant_id": args.tenant_id, **widget.model_dump(mode="json")}))
    return 0


def _tenants_create(args: argparse.Namespace) -> int:
    from core.redis_server import resolve_redis_url
    from core.settings import get_settings
    from core.tenants import create_tenant

    from .context import context_from_settings

    settings = get_settings()
    with resolve_redis_url(settings) as url:
        ctx = context_from_settings(settings, redis_url=url)
        tenant, api_key = create_tenant(ctx.store, name=args.name)
    print(json.dumps({"tenant_id": tenant.id, "name": tenant.name, "api_key": api_key}))
    return 0
