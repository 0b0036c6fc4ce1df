"""``dreamchat toyworld …`` as a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image


def dreamchat(*args):
    return subprocess.run(
        [sys.executable, "-m", "dreamchat.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_photos_writes_a_subjects_photos(tmp_path):
    done = dreamchat("toyworld", "photos", "spotdog", tmp_path / "rex")
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "rex").iterdir())
    assert [f.name for f in files] == [f"spotdog-{i}.png" for i in range(1, 6)]
    assert done.stdout.split() == [str(f) for f in files]
    with Image.open(files[0]) as image:
        assert image.size == (256, 256)


def test_unknown_subject_is_refused_with_the_choices(tmp_path):
    done = dreamchat("toyworld", "photos", "rex", tmp_path)
    assert done.returncode != 0
    assert "pinkdog, spotdog, tealcar" in done.stderr


def test_build_states_what_the_budget_means():
    done = dreamchat("toyworld", "build", "--help")
    assert done.returncode == 0
    assert "not a wall-clock limit" in done.stdout and "--resume" in done.stdout
