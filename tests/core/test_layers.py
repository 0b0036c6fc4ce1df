"""core/ sits at the bottom: it may import nothing else of dreamchat (DESIGN.md, Layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import core

FORBIDDEN = ("trainer", "worker", "agent", "plugin")


def test_core_imports_no_upper_layer() -> None:
    for path in Path(core.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
                if node.level > 1:
                    names = ["dreamchat." + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith(FORBIDDEN)]
            assert not bad, f"{path.name} imports {bad}"


def test_package_exports_resolve() -> None:
    for name in core.__all__:
        assert getattr(core, name) is not None
