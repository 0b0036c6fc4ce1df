"""ToyWorld pictures: deterministic, varied, captioned consistently, subject photos uploadable."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from trainer.data import load_photos
from trainer.toyworld import world


def _bytes(pairs) -> list[bytes]:
    return [image.tobytes() for image, _, _ in pairs]


def test_same_seed_same_pictures_and_captions():
    first, second = world.sample_pairs(40, seed=7), world.sample_pairs(40, seed=7)
    assert _bytes(first) == _bytes(second)
    assert [c for _, c, _ in first] == [c for _, c, _ in second]


def test_different_seeds_differ():
    assert _bytes(world.sample_pairs(20, seed=1)) != _bytes(world.sample_pairs(20, seed=2))
    images = _bytes(world.sample_pairs(50, seed=3))
    assert len(set(images)) == len(images)


def test_native_size_is_the_drawing_box_shrunk():
    spec = world.Spec("dog", "brown", "beach", seed=5)
    small, big = world.render(spec), world.render(spec, size=world.DRAW_SIZE)
    assert small.size == (32, 32) and big.size == (64, 64)
    assert small.tobytes() == big.resize((32, 32), Image.Resampling.BOX).tobytes()


def test_every_class_colour_and_scene_is_drawn_and_named():
    pairs = world.sample_pairs(600, seed=11)
    specs = [s for _, _, s in pairs]
    assert {s.cls for s in specs} == set(world.CLASSES)
    assert {s.scene for s in specs} == set(world.SCENES)
    for cls, colours in world.CLASS_COLOURS.items():
        assert {s.colour for s in specs if s.cls == cls} == set(colours)
    for _, caption, spec in pairs:
        words = caption.split()
        assert words[0] == "a" and spec.cls in words
        # a colour word, when there is one, is the drawn colour
        named = [w for w in words if w in world.PALETTE]
        assert named in ([], [spec.colour])


def test_caption_forms_vary_and_name_the_scene():
    rng = random.Random(0)
    spec = world.Spec("car", "red", "city", seed=1)
    captions = {world.caption(spec, rng) for _ in range(200)}
    assert len(captions) >= 6
    assert "a photo of a red car in the city" in captions
    assert "a red car" in captions
    assert any("paris" in c for c in captions)
    beach = {world.caption(world.Spec("dog", "brown", "beach", seed=1), rng) for _ in range(100)}
    assert "a photo of a brown dog on the beach" in beach


def test_the_scene_is_where_the_caption_says():
    """Cheap pixel facts of each scene: snow ground is white, night sky dark, forest ground green,
    beach ground sand under a blue sky, city ground grey asphalt."""
    for seed in range(30):
        rng = random.Random(seed)
        spec = world.sample_spec(rng)
        array = np.asarray(world.render(spec), dtype=np.float32)
        sky, ground = array[:6].reshape(-1, 3).mean(0), array[-3:].reshape(-1, 3).mean(0)
        r, g, b = ground
        if spec.scene == "snow":
            assert min(ground) > 200
        elif spec.scene == "night":
            assert max(sky) < 80
        elif spec.scene == "forest":
            assert g > r + 30 and g > b + 30
        elif spec.scene == "beach":
            assert r > b + 40 and sky[2] > sky[0] + 40
        elif spec.scene == "city":
            assert abs(r - b) < 25 and 60 < g < 170


def test_subject_colours_are_outside_the_palette():
    palette = np.asarray(list(world.PALETTE.values()), dtype=np.float32)
    for subject in world.SUBJECTS.values():
        for colour in subject.colours:
            assert np.linalg.norm(palette - np.asarray(colour), axis=1).min() > 60


def test_subject_photos_vary_and_never_show_a_beach():
    for name in world.SUBJECTS:
        specs = world.subject_photo_specs(name)
        assert len(specs) == 5
        assert all(s.scene != "beach" and s.subject == name for s in specs)
        assert len({s.scene for s in specs}) >= 3 and {s.facing for s in specs} == {"left", "right"}
        photos = [p.tobytes() for p in world.subject_photos(name)]
        assert len(set(photos)) == 5


def test_written_photos_load_in_the_trainer_and_pass_the_upload_size(tmp_path):
    paths = world.write_subject_photos("pinkdog", tmp_path)
    assert [p.name for p in paths] == [f"pinkdog-{i}.png" for i in range(1, 6)]
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG" and min(image.size) >= 256
    photos = load_photos([tmp_path], resolution=world.NATIVE_SIZE)
    assert len(photos) == 5
    # shrunk back to the native size, a photo is the world's own 32 px picture, within rounding
    native = np.asarray(world.subject_photos("pinkdog")[0], dtype=np.float32) / 127.5 - 1
    loaded = photos[0].pixels.permute(1, 2, 0).numpy()
    assert np.abs(native - loaded).mean() < 0.06


def test_bad_specs_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="one of dog, cat, car"):
        world.Spec("horse", "brown", "beach", seed=0)
    with pytest.raises(ValueError, match="unknown scene"):
        world.Spec("dog", "brown", "moon", seed=0)
    with pytest.raises(ValueError, match="is a car"):
        world.Spec("dog", "brown", "snow", seed=0, subject="tealcar")
