"""Imports point down only (DESIGN.md, Layers): plugin → agent → worker → trainer, all but the
trainer → core, and the trainer imports nothing of ours. Every import statement counts,
including those inside functions, so a lazy import can't hide an upward dependency."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "trainer": frozenset(),
    "worker": frozenset({"trainer", "core"}),
    "agent": frozenset({"worker", "core"}),
    "plugin": frozenset({"agent", "worker", "core"}),
    "dreamchat": frozenset({"plugin", "agent", "worker", "trainer", "core"}),
}
"""Layer → the other layers it may import. ``dreamchat`` is the command line above them all."""


def imported_modules(source: str, module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, the module being
    ``module`` (dotted, e.g. ``worker.jobs``); relative imports are resolved against it."""
    package = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # ``from plugin import app`` names a module too
                yield node.lineno, f"{target}.{alias.name}"


def violations(layer: str, module: str, source: str) -> list[str]:
    """Imports of another layer that ``layer`` may not make."""
    found = []
    for line, name in imported_modules(source, module):
        other = name.split(".")[0]
        if other in ALLOWED and other != layer and other not in ALLOWED[layer]:
            found.append(f"{module}:{line} imports {name}")
    return sorted(set(found))


def _modules() -> Iterator[tuple[str, str, Path]]:
    for layer in ALLOWED:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield layer, ".".join(parts), path


def test_every_layer_is_a_top_level_package() -> None:
    for layer in ALLOWED:
        assert (ROOT / layer / "__init__.py").is_file(), layer


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down_only(layer: str) -> None:
    bad = []
    for module_layer, module, path in _modules():
        if module_layer == layer:
            bad += violations(layer, module, path.read_text())
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("layer", "module", "source"),
    [
        ("core", "core.store", "from worker.context import Context"),
        ("trainer", "trainer.loop", "def f():\n    from core.settings import get_settings\n"),
        ("worker", "worker.jobs", "import agent.tools"),
        ("agent", "agent.tools", "from plugin import deps"),
        ("plugin", "plugin.routes.chat", "from ...trainer import train"),
        ("worker", "worker.services", "from ..plugin.app import create_app"),
    ],
)
def test_the_check_catches_upward_imports(layer: str, module: str, source: str) -> None:
    assert violations(layer, module, source)


@pytest.mark.parametrize(
    ("layer", "module", "source"),
    [
        ("plugin", "plugin.routes.chat", "from ..deps import Ctx\nfrom agent import tools"),
        ("worker", "worker.jobs", "from trainer import train\nfrom core.ids import new_id"),
        ("dreamchat", "dreamchat.cli", "from plugin.app import create_app"),
        ("trainer", "trainer.loop", "import torch\nfrom .config import TrainConfig"),
    ],
)
def test_the_check_allows_downward_imports(layer: str, module: str, source: str) -> None:
    assert violations(layer, module, source) == []
