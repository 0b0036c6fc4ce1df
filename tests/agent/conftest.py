from __future__ import annotations

from pathlib import Path

import pytest

from core.blob_keys import upload_key
from core.domain import Scope
from core.ids import UPLOAD, new_id

from ..worker.harness import ServiceEnv


@pytest.fixture(scope="module")
def service(redis_url, tiny_sd, tmp_path_factory):
    env = ServiceEnv(redis_url, tmp_path_factory.mktemp("data"), tiny_sd)
    yield env
    env.close()


def upload_photos(service: ServiceEnv, scope: Scope, photos: Path) -> list[str]:
    """Store photos as uploads, the way POST /v1/uploads leaves them."""
    ids = []
    for photo in sorted(photos.iterdir()):
        upload_id = new_id(UPLOAD)
        service.ctx.blobs.put(upload_key(scope, upload_id, photo.suffix), photo.read_bytes())
        ids.append(upload_id)
    return ids
