"""The class-image phase is visible and stoppable: progress with an ETA, cancel, pause/resume."""

from __future__ import annotations

import pytest

from trainer import TrainingCancelled, TrainingInterrupted, train

from .conftest import tiny_config


def _images(cache):
    return sorted(cache.glob("*/*.png"))


def test_class_images_report_progress_before_the_first_step(tiny_sd, photos_dir, tmp_path):
    events = []
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=3,
        num_class_images=8,
        class_batch_size=2,
        class_cache_dir=str(tmp_path / "cache"),
    )
    train(config, progress=events.append)
    sampling = [e for e in events if e.phase == "class_images"]
    assert [e.done for e in sampling] == [2, 4, 6, 8]
    assert all(e.count == 8 and e.step == 0 and e.total == 3 for e in sampling)
    assert sampling[0].eta_s > 0 and sampling[-1].eta_s == 0
    assert events.index(sampling[-1]) < events.index(next(e for e in events if e.step == 1))
    assert [e.step for e in events if e.phase == "training"] == [1, 2, 3]


def test_cancel_while_sampling_class_images_keeps_what_was_sampled(tiny_sd, photos_dir, tmp_path):
    cache = tmp_path / "cache"
    events = []
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=3,
        num_class_images=8,
        class_batch_size=2,
        class_cache_dir=str(cache),
    )
    with pytest.raises(TrainingCancelled, match="class images"):
        train(config, progress=events.append, should_stop=lambda: len(events) >= 2)
    assert len(_images(cache)) == 4  # two batches, then the cancel
    assert all(e.phase == "class_images" for e in events)


def test_pause_while_sampling_then_resume_samples_only_the_rest(tiny_sd, photos_dir, tmp_path):
    cache = tmp_path / "cache"
    config = tiny_config(
        tiny_sd,
        photos_dir,
        tmp_path / "out",
        steps=3,
        num_class_images=6,
        class_batch_size=2,
        class_cache_dir=str(cache),
        resume=True,
    )
    batches = []
    with pytest.raises(TrainingInterrupted) as paused:
        train(config, progress=batches.append, should_pause=lambda: len(batches) >= 1)
    assert paused.value.step == 0
    assert len(_images(cache)) == 2
    result = train(config)
    assert result.class_images["generated"] == 4
    assert result.steps == 3
