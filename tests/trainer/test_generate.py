"""GenerationRuntime: one pipeline, an LRU of adapters, composition, seeds."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from trainer import AdapterError, ConfigError, GenerationCancelled, train
from trainer.generate import AdapterRef, GenerationRequest, GenerationRuntime

from .conftest import tiny_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runtime(tiny_sd):
    return GenerationRuntime(tiny_sd, max_adapters=2)


@pytest.fixture(scope="module")
def second_adapter(tiny_sd, photos_dir, class_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("adapter2")
    train(
        tiny_config(
            tiny_sd,
            photos_dir,
            out,
            steps=4,
            lr=1e-2,
            seed=7,
            token="zwx",
            class_cache_dir=str(class_cache),
        )
    )
    return out


def _px(image):
    return np.asarray(image, dtype=np.float64)


def _request(*adapters, **kw):
    values = dict(prompt="a photo of sks dog in paris", width=64, height=64, steps=3, seed=1)
    values.update(kw)
    return GenerationRequest(adapters=tuple(adapters), **values)


def test_same_seed_same_image_and_count(runtime):
    a = runtime.generate(_request(count=2))
    b = runtime.generate(_request(count=2))
    assert len(a) == 2 and a[0].size == (64, 64)
    assert np.array_equal(_px(a[0]), _px(b[0])) and np.array_equal(_px(a[1]), _px(b[1]))
    assert not np.array_equal(_px(a[0]), _px(a[1]))  # seed + i per image


def test_adapter_changes_output_and_base_is_restored(runtime, trained_adapter):
    base = runtime.generate(_request())[0]
    tuned = runtime.generate(_request(AdapterRef("sub_a", str(trained_adapter.output_dir))))[0]
    assert np.abs(_px(base) - _px(tuned)).mean() > 0.1
    again = runtime.generate(_request())[0]
    assert np.array_equal(_px(base), _px(again))


def test_lru_hit_miss_and_eviction(tiny_sd, trained_adapter, second_adapter, tmp_path):
    runtime = GenerationRuntime(tiny_sd, max_adapters=1)
    a = AdapterRef("sub_a", str(trained_adapter.output_dir))
    b = AdapterRef("sub_b", str(second_adapter))
    assert runtime.ensure_adapter(a) is False
    assert runtime.ensure_adapter(a) is True
    assert runtime.ensure_adapter(b) is False
    assert runtime.loaded_adapters == ["sub_b"]
    assert runtime.stats == {"adapter_hits": 1, "adapter_misses": 2, "evictions": 1}
    assert runtime.pipe.get_list_adapters()["unet"] == ["sub_b"]  # evicted from diffusers too


def test_compose_two_adapters_with_weights(runtime, trained_adapter, second_adapter):
    a = AdapterRef("sub_a", str(trained_adapter.output_dir))
    b = AdapterRef("sub_b", str(second_adapter))
    only_a = runtime.generate(_request(a))[0]
    both = runtime.generate(_request(a, b))[0]
    b_off = runtime.generate(_request(a, AdapterRef("sub_b", str(second_adapter), weight=0.0)))[0]
    assert np.abs(_px(only_a) - _px(both)).mean() > 0.1
    assert np.abs(_px(only_a) - _px(b_off)).mean() < 1.0  # weight 0 ≈ not there


def test_adapter_from_another_base_is_refused(runtime, tiny_sdxl, trained_adapter, tmp_path):
    other = GenerationRuntime(tiny_sdxl)
    with pytest.raises(AdapterError) as err:
        other.ensure_adapter(AdapterRef("sub_a", str(trained_adapter.output_dir)))
    assert err.value.code == "adapter_base_mismatch"


def test_missing_adapter_and_bad_requests(runtime, tmp_path):
    with pytest.raises(AdapterError) as err:
        runtime.ensure_adapter(AdapterRef("nope", str(tmp_path)))
    assert err.value.code == "adapter_not_found"
    for bad in (dict(count=0), dict(count=9), dict(width=65), dict(steps=0), dict(prompt="  ")):
        with pytest.raises(ConfigError):
            _request(**bad)


def test_retrained_adapter_under_the_same_name_is_reloaded(
    runtime, trained_adapter, second_adapter, tmp_path
):
    moving = tmp_path / "moving"
    shutil.copytree(trained_adapter.output_dir, moving)
    first = runtime.generate(
        _request(AdapterRef("sub_m", str(moving / "pytorch_lora_weights.safetensors")))
    )[0]
    retrained = tmp_path / "retrained"
    shutil.copytree(second_adapter, retrained)
    second = runtime.generate(_request(AdapterRef("sub_m", str(retrained))))[0]
    assert np.abs(_px(first) - _px(second)).mean() > 0.1


def test_should_stop_ends_a_generation_between_steps_and_the_runtime_stays_usable(runtime):
    seen: list[tuple[int, int]] = []

    def stop_after_three() -> bool:
        return len(seen) >= 3

    with pytest.raises(GenerationCancelled) as stopped:
        runtime.generate(
            _request(steps=20),
            progress=lambda s, t: seen.append((s, t)),
            should_stop=stop_after_three,
        )
    assert seen == [(1, 20), (2, 20), (3, 20)]  # no step ran after the answer was yes
    assert stopped.value.details == {"step": 3, "total": 20}
    with pytest.raises(GenerationCancelled) as early:
        runtime.generate(
            _request(), progress=lambda s, t: seen.append((s, t)), should_stop=lambda: True
        )
    assert early.value.details["step"] == 0 and len(seen) == 3  # not a single step
    counted: list[int] = []
    images = runtime.generate(_request(steps=4), progress=lambda s, t: counted.append(s))
    assert counted == [1, 2, 3, 4] and len(images) == 1
