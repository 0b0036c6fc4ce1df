"""No hidden process-wide state where a seam belongs: only ``Settings`` reads the environment,
only entry points (CLIs, the launcher, ``create_app``'s default) call ``get_settings()``, and
service functions take their settings instead of falling back to the global ones."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "worker", "agent", "plugin", "dreamchat")

ENTRY_POINTS = {
    "agent/cli.py",
    "worker/cli.py",
    "worker/worker_process.py",  # run_worker: `dreamchat worker`
    "plugin/app.py",  # create_app() without a context: the ASGI factory
    "dreamchat/cli.py",
    "dreamchat/launcher.py",
    "dreamchat/demo.py",
}
ENV_WRITERS = {"dreamchat/launcher.py"}
"""Sets the environment its child processes read (their Settings), and hands it to them."""


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def test_only_settings_reads_the_environment() -> None:
    readers = []
    for name, tree in _modules():
        if name in ("core/settings.py", *ENV_WRITERS):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(f"{name}:{node.lineno}")
    assert not readers, f"read the environment through Settings instead: {readers}"


def test_get_settings_only_at_entry_points() -> None:
    callers = []
    for name, tree in _modules():
        if name in ENTRY_POINTS or name == "core/settings.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "get_settings":
                callers.append(f"{name}:{node.lineno}")
    assert not callers, f"take settings as a parameter instead: {callers}"


def test_no_module_caches_a_context_or_a_runtime() -> None:
    """The worker creates them once and serves them (worker/resources.py)."""
    cached = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Global) and name != "worker/resources.py":
                cached.append(f"{name}:{node.lineno} global {', '.join(node.names)}")
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                returns = ast.unparse(node.returns)
                decorated = [ast.unparse(d) for d in node.decorator_list]
                if returns in ("Context", "WorkerRuntime") and any("cache" in d for d in decorated):
                    cached.append(f"{name}:{node.lineno} {node.name}")
    assert not cached, cached
