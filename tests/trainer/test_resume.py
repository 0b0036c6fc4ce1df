"""13 steps + a pause + resume + 7 steps gives the adapter of 20 steps straight.

Tolerance: the losses agree to 1e-6; the adapter weights, after 20 Adam steps that amplify
the last bits, to 5e-5 absolute (weights are ~0.1–0.5). On a busy 2-core machine the weights
of the straight and the resumed run were seen to differ by up to 1.1e-5: CPU kernels do not
promise the same reduction order from run to run.
"""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from trainer import TrainingCancelled, TrainingInterrupted, train

from .conftest import tiny_config

pytestmark = pytest.mark.slow


def test_resume_reproduces_a_straight_run(tiny_sd, photos_dir, class_cache, tmp_path):
    common = dict(steps=20, lr=5e-3, checkpoint_every=10, class_cache_dir=str(class_cache))
    straight = train(tiny_config(tiny_sd, photos_dir, tmp_path / "straight", **common))

    # A worker shutting down pauses between checkpoints (step 13; checkpoints every 10): the
    # pause itself writes step 13, so nothing is trained twice or lost.
    interrupted = tiny_config(tiny_sd, photos_dir, tmp_path / "resumed", **common)
    steps_seen = []
    with pytest.raises(TrainingInterrupted) as paused:
        train(
            interrupted,
            progress=lambda e: steps_seen.append(e.step),
            should_pause=lambda: len(steps_seen) >= 13,
        )
    assert paused.value.step == 13
    assert (tmp_path / "resumed" / "checkpoints" / "step-000013").is_dir()

    resumed = train(interrupted.replace(resume=True))
    assert resumed.resumed_from == 13
    assert resumed.losses[:13] == pytest.approx(straight.losses[:13], abs=1e-6)
    assert resumed.losses == pytest.approx(straight.losses, abs=1e-6)
    a, b = load_file(straight.adapter_path), load_file(resumed.adapter_path)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=5e-5), key


def test_checkpoints_are_rotated_and_removed_after_success(
    tiny_sd, photos_dir, class_cache, tmp_path
):
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path,
        steps=7,
        checkpoint_every=2,
        checkpoints_total_limit=2,
        class_cache_dir=str(class_cache),
    )
    seen = []

    def stop_at_six():
        return len(seen) >= 6

    with pytest.raises(TrainingCancelled):
        train(config, progress=lambda e: seen.append(e.step), should_stop=stop_at_six)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["step-000004", "step-000006"]
    # a checkpoint holds LoRA tensors, not the base model
    files = {p.name for p in (tmp_path / "checkpoints" / "step-000006").iterdir()}
    assert "unet_lora.safetensors" in files and not any(n.startswith("model") for n in files)
    result = train(config.replace(resume=True))
    assert result.resumed_from == 6 and len(result.losses) == 7
    assert not (tmp_path / "checkpoints").exists()
