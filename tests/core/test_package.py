"""``core``'s public names resolve (its ``__init__`` re-exports them)."""

from __future__ import annotations

import core


def test_package_exports_resolve() -> None:
    for name in core.__all__:
        assert getattr(core, name) is not None
