from __future__ import annotations

import pytest

from .harness import ServiceEnv


@pytest.fixture(scope="module")
def service(redis_url, tiny_sd, tmp_path_factory):
    """A deployment for the module's tests: shared workers keep the suite fast."""
    env = ServiceEnv(redis_url, tmp_path_factory.mktemp("data"), tiny_sd)
    yield env
    env.close()
