"""One source of truth for every limit: core's hard ranges are the trainer's, and settings
may narrow them but never widen them."""

from __future__ import annotations

import pytest

import trainer.limits as trainer_limits
from core import limits
from core.errors import InvalidInput, InvalidSettings
from core.settings import load_settings


def test_core_mirrors_the_trainer() -> None:
    t = trainer_limits
    assert (limits.PHOTOS.lo, limits.PHOTOS.hi) == (t.MIN_PHOTOS, t.MAX_PHOTOS)
    assert limits.TRAINING_STEPS.hi == t.MAX_TRAIN_STEPS
    assert limits.IMAGES_PER_GENERATION.hi == t.MAX_IMAGES_PER_REQUEST
    assert limits.GENERATION_STEPS.hi == t.MAX_GENERATION_STEPS
    for side in (limits.IMAGE_SIDE, limits.TRAIN_RESOLUTION):
        assert side.lo >= t.MIN_SIDE and side.hi == t.MAX_SIDE
        assert side.multiple_of == t.SIDE_MULTIPLE


def test_trainer_limits_load_no_torch() -> None:
    import subprocess
    import sys

    code = "import sys, trainer.limits; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("max_photos", 26, "DREAMCHAT_MAX_PHOTOS"),
        ("min_photos", 2, "DREAMCHAT_MIN_PHOTOS"),
        ("max_training_steps", 100_001, "DREAMCHAT_MAX_TRAINING_STEPS"),
        ("generation_steps", 151, "DREAMCHAT_GENERATION_STEPS"),
        ("max_images_per_generation", 9, "DREAMCHAT_MAX_IMAGES_PER_GENERATION"),
        ("max_images_per_generation", 0, "DREAMCHAT_MAX_IMAGES_PER_GENERATION"),
        ("image_size", 4096, "DREAMCHAT_IMAGE_SIZE"),
        ("max_image_size", 2056, "DREAMCHAT_MAX_IMAGE_SIZE"),
        ("image_size", 500, "DREAMCHAT_IMAGE_SIZE"),
        ("train_resolution", 4096, "DREAMCHAT_TRAIN_RESOLUTION"),
    ],
)
def test_a_setting_outside_the_trainer_range_stops_start_up(
    field: str, value: int, variable: str
) -> None:
    with pytest.raises(InvalidSettings) as exc:
        load_settings(**{field: value})
    assert variable in exc.value.message
    assert "accepts" in exc.value.message


def test_env_setting_outside_the_range_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DREAMCHAT_MAX_PHOTOS", "100")
    with pytest.raises(InvalidSettings, match="DREAMCHAT_MAX_PHOTOS"):
        load_settings()


def test_settings_may_narrow() -> None:
    settings = load_settings(max_photos=10, max_images_per_generation=2, max_image_size=768)
    assert (settings.max_photos, settings.max_images_per_generation) == (10, 2)
    with pytest.raises(InvalidSettings, match="DREAMCHAT_IMAGE_SIZE"):
        load_settings(image_size=512, max_image_size=256)
    with pytest.raises(InvalidSettings, match=r"DREAMCHAT_MIN_PHOTOS \(5\) is above"):
        load_settings(min_photos=5, max_photos=4)


def test_require_reports_the_bounds() -> None:
    allowed = limits.IMAGES_PER_GENERATION.narrowed(3)
    limits.require(3, allowed, field="count", code="invalid_generation")
    for bad in (0, 4, True, "2", 2.0):
        with pytest.raises(InvalidInput) as exc:
            limits.require(bad, allowed, field="count", code="invalid_generation")
        assert exc.value.code == "invalid_generation"
        assert exc.value.details == {"field": "count", "min": 1, "max": 3}
    assert 64 in limits.IMAGE_SIDE and 68 not in limits.IMAGE_SIDE
