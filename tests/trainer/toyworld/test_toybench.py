"""ToyBench's fast subset (issue 9): one held-out subject (the teal car: a second class beside
the dogs; the pink dog, the demo page's sample, is trained through the service by
tests/plugin/test_first_minutes.py), LoRA DreamBooth with prior preservation at the service's
default settings on the committed model, the five scenes at 4 pictures each — the paper's
targets hold for it. ``dreamchat bench toybench`` is the full run, all three subjects and
methods (docs/toybench.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dreamchat.bench import service_settings
from trainer.toyworld.bench import run_toybench

MODEL = Path(__file__).resolve().parents[3] / "models" / "toyworld"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (MODEL / "model_index.json").is_file(), reason="no committed model"),
]


def test_prior_preservation_at_the_defaults_holds_the_targets(tmp_path):
    (result,) = run_toybench(
        MODEL,
        service_settings(MODEL),
        work=tmp_path,
        subjects=["tealcar"],
        methods=["prior"],
        images=4,
        pres_images=8,
        log=lambda _: None,
    )
    figures = result.row()
    print(f"\nToyBench subset: {figures}")
    assert result.subject_fidelity >= 0.8, figures
    assert result.prompt_fidelity >= 0.8, figures
    assert result.pres <= 0.1, figures
