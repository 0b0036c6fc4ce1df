"""``dreamchat run``: everything on one machine — Redis (embedded unless ``REDIS_URL``), the API,
a model worker and a webhook worker — stopped together by Ctrl-C."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="all-in-one: Redis, the API and workers")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--log-format", choices=["text", "json"], default="text")
    run.add_argument(
        "--api-workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="API processes (default: 2 where there are 2 cores; chat turns are CPU-bound)",
    )
    run.set_defaults(handler=_run)

    serve = commands.add_parser("serve", help="the HTTP API only (Redis and workers run elsewhere)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-format", choices=["text", "json"], default="json")
    serve.add_argument("--api-workers", type=int, default=1, help="API processes")
    serve.set_defaults(handler=_serve)


def _uvicorn(app, args: argparse.Namespace) -> None:
    """Serve ``app``; with ``--api-workers N`` > 1, N processes that each build the app from
    the environment (the API is stateless: everything lives in Redis and the blob store)."""
    import uvicorn

    # On SIGTERM or Ctrl-C the app drains (plugin/drain.py): event streams end at once, so
    # only ordinary requests are left, and they get this long to finish — a chat turn waits
    # up to DREAMCHAT_CHAT_WAIT_SECONDS (5 s) for a generation — within the 10 s the API has
    # to exit in (docs/operations.md, "Graceful shutdown").
    options: dict = {"host": args.host, "port": args.port, "timeout_graceful_shutdown": 8}
    if args.log_format == "json":
        from plugin.metrics import configure_json_logging

        configure_json_logging()
        options |= {"log_config": None, "access_log": False}
    else:
        options["log_level"] = "info"
    # Once it has shut down, uvicorn raises the signal that stopped it again, for whoever
    # handled it before: a SIGTERM then ends like Ctrl-C (uvicorn.run catches the
    # KeyboardInterrupt), so a drained stop is a clean exit, status 0, not death by signal.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.api_workers > 1:
        # The API processes stop when this one is gone, however it ended (even SIGKILL).
        os.environ["DREAMCHAT_PARENT_PID"] = str(os.getpid())
        # A CPU-starved API process (a training on the same 2 cores) must not be taken for
        # dead by the supervisor's 5 s health check and restarted mid-request.
        options["timeout_worker_healthcheck"] = 30
        uvicorn.run("dreamchat.launcher:api_app", factory=True, workers=args.api_workers, **options)
    else:
        uvicorn.run(app, **options)


def api_app():
    """The app factory of each ``--api-workers`` process."""
    from core.lifecycle import watch_parent
    from core.settings import get_settings
    from plugin.app import create_app

    settings = get_settings()
    if settings.parent_pid is not None:
        watch_parent(settings.parent_pid)
    return create_app()


def _serve(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from plugin.app import create_app

    if not get_settings().redis_url:
        print(
            "error: set REDIS_URL for `dreamchat serve` (or use `dreamchat run`)", file=sys.stderr
        )
        return 2
    _uvicorn(create_app(), args)
    return 0


def dev_tenant(ctx, data_dir: Path) -> dict[str, str]:
    """The development tenant: created on first start, reused after (its key is in the file)."""
    from core.errors import Unauthenticated
    from core.tenants import authenticate, create_tenant

    path = data_dir / "dev-tenant.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        try:
            authenticate(ctx.store, api_key=saved["api_key"])
            return saved
        except (Unauthenticated, KeyError):
            pass  # a fresh Redis: make a new one
    tenant, api_key = create_tenant(ctx.store, name="development")
    saved = {"tenant_id": tenant.id, "api_key": api_key}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved))
    path.chmod(0o600)
    return saved


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a worker and its process group (RQ forks its scheduler there), before Redis goes:
    a warm shutdown first (the current job may finish), then a kill."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    _signal_group(process, signal.SIGKILL)  # a scheduler child left behind by a stopped worker


def _run(args: argparse.Namespace) -> int:
    from core.redis_server import resolve_redis_url
    from core.settings import get_settings
    from plugin.app import create_app
    from worker.context import context_from_settings

    os.environ["DREAMCHAT_DEMO_PAGE"] = "1"  # `run` is the local, development server
    get_settings.cache_clear()
    settings = get_settings()
    if (
        settings.base_model is None
        and not (settings.default_base_model_dir / "model_index.json").is_file()
    ):
        print(
            f"The default base model is missing from {settings.default_base_model_dir}: set "
            "DREAMCHAT_BASE_MODEL to a diffusers pipeline, or rebuild it with "
            "`dreamchat toyworld build` (docs/toyworld.md).",
            file=sys.stderr,
        )
        return 2
    with resolve_redis_url(settings) as url:
        os.environ["REDIS_URL"] = url  # for --api-workers processes, which read the environment
        ctx = context_from_settings(settings, redis_url=url)
        tenant = dev_tenant(ctx, settings.data_dir)
        print(f"Redis:        {url}{'' if settings.redis_url else ' (embedded)'}")
        print(
            f"Dev tenant:   {tenant['tenant_id']}  (key in {settings.data_dir / 'dev-tenant.json'})"
        )
        print(f"API key:      {tenant['api_key']}")
        print(f"Open:         http://{args.host}:{args.port}/")
        # Workers stop when this process is gone, however it ended (core/lifecycle.py).
        env = os.environ | {"REDIS_URL": url, "DREAMCHAT_PARENT_PID": str(os.getpid())}
        # The model worker and a light webhook worker: deliveries never wait behind a training.
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "dreamchat.cli", "worker", "--queues", queues],
                env=env,
                start_new_session=True,  # stopped by us, with its scheduler child, not by Ctrl-C
            )
            for queues in ("generate,train", "webhooks")
        ]
        try:
            _uvicorn(create_app(ctx), args)
        finally:
            for worker in workers:
                _stop(worker)
    print("stopped: API, worker and Redis")
    return 0
