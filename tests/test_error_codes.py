"""One code, one status: every error code the code base raises answers with one HTTP status,
whichever class raises it and wherever (an AST scan of ``code="..."`` and class defaults)."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import core.errors
import plugin.errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "trainer", "worker", "agent", "plugin", "dreamchat")
HELPERS = {"require": core.errors.InvalidInput}
"""Functions that raise a given class with the ``code`` they are handed."""


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _scan() -> tuple[dict[str, set[tuple[str, str]]], dict[str, str]]:
    """code → {(class name, where)}; class name → module defining it."""
    uses: dict[str, set[tuple[str, str]]] = defaultdict(set)
    defined: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    defined[node.name] = module
                    for item in node.body:
                        if (
                            isinstance(item, ast.Assign)
                            and any(getattr(t, "id", None) == "code" for t in item.targets)
                            and isinstance(item.value, ast.Constant)
                        ):
                            uses[item.value.value].add((node.name, where))
                elif isinstance(node, ast.Call) and (name := _name(node.func)):
                    for kw in node.keywords:
                        if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                            uses[kw.value.value].add((name, where))
    return uses, defined


def _status(cls_name: str, code: str, defined: dict[str, str]) -> int:
    """The status ``plugin.errors.translate`` answers an instance of the class with."""
    cls = HELPERS.get(cls_name) or getattr(importlib.import_module(defined[cls_name]), cls_name)
    if cls is plugin.errors.BodyTooLarge:
        return 413
    if cls is plugin.errors.RateLimited:
        return plugin.errors.translate(cls("x", code=code, retry_after=1)).status_code
    return plugin.errors.translate(cls("x", code=code)).status_code


def test_each_code_has_one_status() -> None:
    uses, defined = _scan()
    assert len(uses) > 50, "the scan found too few codes; is it still looking in the right place?"
    statuses: dict[str, dict[int, list[str]]] = {}
    for code, raisers in uses.items():
        by_status: dict[int, list[str]] = defaultdict(list)
        for cls_name, where in raisers:
            if cls_name not in HELPERS and cls_name not in defined:
                continue  # a call outside our error tree (e.g. a third-party API's ``code=``)
            by_status[_status(cls_name, code, defined)].append(f"{cls_name} in {where}")
        statuses[code] = by_status
    clashes = {code: dict(s) for code, s in statuses.items() if len(s) > 1}
    assert not clashes, f"codes answered with more than one status: {clashes}"


def test_the_scan_sees_a_clash() -> None:
    """The check itself: two classes of different statuses for one code are caught."""
    defined = {"NotFound": "core.errors", "InvalidInput": "core.errors"}
    assert _status("NotFound", "subject_not_ready", defined) == 404
    assert _status("InvalidInput", "subject_not_ready", defined) == 422
    assert _status("require", "invalid_generation", defined) == 422


def test_one_class_for_503() -> None:
    unavailable = [
        cls
        for cls in _all_subclasses(core.errors.DreamchatError)
        if getattr(cls, "http_status", None) == 503
    ]
    assert unavailable == [core.errors.Unavailable]


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found
