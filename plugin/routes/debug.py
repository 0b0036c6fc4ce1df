"""Process introspection for tests and operators, mounted only with ``DREAMCHAT_DEBUG_ROUTES``.

It answers one question the design depends on: has this API process loaded the heavy ML
libraries? (It must not: jobs are enqueued by dotted path and run in the workers.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fastapi import APIRouter

__all__ = ["HEAVY_MODULES", "router"]

HEAVY_MODULES = ("torch", "diffusers", "transformers", "accelerate", "peft")

router = APIRouter(prefix="/debug", include_in_schema=False)


def _rss_bytes() -> int | None:
    """Resident set size from ``/proc`` (Linux); None elsewhere."""
    try:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@router.get("/process")
def process() -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "rss_bytes": _rss_bytes(),
        "heavy_modules_loaded": sorted(m for m in HEAVY_MODULES if m in sys.modules),
    }
