"""Per-photo captions (trainer/captions.py): caption files, ToyWorld's own captioner, and the
conditioning each photo trains with."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from trainer import TrainConfig
from trainer.captions import CONTEXTS, caption_class_images, caption_photos, load_captioner
from trainer.data import load_photos, read_caption
from trainer.errors import ConfigError, PhotoError
from trainer.models import TextConditioner
from trainer.setup import Timings, prepare_run
from trainer.toyworld import world

from .conftest import TINY_CLIP_VISION, tiny_clip_image_processor, tiny_config

MODEL = Path(__file__).resolve().parents[2] / "models" / "toyworld"
PROMPT = "a photo of sks dog"
DOG = dict(instance_prompt=PROMPT, token="sks", class_noun="dog")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A whole CLIP model (text and vision towers) with random weights, saved like a
    downloaded one, with the offline tiny tokenizer: nothing is fetched."""
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTextConfig

    from trainer.tiny import tiny_tokenizer

    path = tmp_path_factory.mktemp("clip") / "tiny-clip"
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    text = CLIPTextConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_attention_heads=2,
        num_hidden_layers=2,
        max_position_embeddings=77,
        eos_token_id=tokenizer.eos_token_id,
    )
    config = CLIPConfig(
        text_config=text.to_dict(), vision_config=TINY_CLIP_VISION, projection_dim=16
    )
    CLIPModel(config).save_pretrained(path)
    processor = CLIPProcessor(image_processor=tiny_clip_image_processor(), tokenizer=tokenizer)
    processor.save_pretrained(path)
    return path


def _captioned(photos_dir: Path, tmp_path: Path, captions: dict[int, str]) -> Path:
    folder = tmp_path / "photos"
    shutil.copytree(photos_dir, folder)
    files = sorted(p for p in folder.iterdir() if p.suffix == ".png")
    for index, text in captions.items():
        files[index].with_suffix(".txt").write_text(text)
    return folder


def test_a_caption_file_adds_the_photos_context_or_is_the_whole_caption(
    tiny_sd, photos_dir, tmp_path
):
    folder = _captioned(
        photos_dir, tmp_path, {0: "  on a red\nsofa \n", 1: "SKS dog asleep in a basket"}
    )
    photos = load_photos([folder], resolution=64)
    captions = caption_photos(
        photos, mode="auto", captioner=load_captioner(None, str(tiny_sd)), **DOG
    )
    assert [(c.prompt, c.source) for c in captions] == [
        ("a photo of sks dog on a red sofa", "file"),
        ("SKS dog asleep in a basket", "file"),
        (PROMPT, "none"),
        (PROMPT, "none"),
    ]
    assert [c.photo for c in captions] == [p.name for p in photos]
    off = caption_photos(photos, mode="off", captioner=None, **DOG)
    assert {(c.prompt, c.source) for c in off} == {(PROMPT, "none")}


def test_a_bad_caption_file_is_a_clear_error(tmp_path):
    photo = tmp_path / "rex.png"
    photo.write_bytes(b"")
    assert read_caption(photo) == ""
    photo.with_suffix(".txt").write_text("x" * 301)
    with pytest.raises(PhotoError) as error:
        read_caption(photo)
    assert error.value.code == "caption_invalid" and "300" in str(error.value)
    photo.with_suffix(".txt").write_bytes(b"\xff\xfe on a sofa \xff")
    with pytest.raises(PhotoError) as error:
        read_caption(photo)
    assert error.value.code == "caption_invalid"


def test_an_unknown_caption_mode_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="photo_captions"):
        tiny_config(tmp_path, tmp_path, tmp_path, photo_captions="blip")


@pytest.mark.skipif(not (MODEL / "toyworld.json").is_file(), reason="no committed model")
def test_a_toyworld_base_names_each_photos_scene(tmp_path):
    world.write_subject_photos("pinkdog", tmp_path / "rex")
    (tmp_path / "rex" / "pinkdog-2.txt").write_text("on a red sofa")
    photos = load_photos([tmp_path / "rex"], resolution=32)
    scenes = [spec.scene for spec in world.subject_photo_specs("pinkdog")]
    captioner = load_captioner(None, str(MODEL))  # a ToyWorld base captions by itself
    assert captioner is not None and captioner.name == "toyworld"
    captions = caption_photos(photos, mode="auto", captioner=captioner, **DOG)
    expected = [f"{PROMPT} {world.PLACES[scene]}" for scene in scenes]
    expected[1] = f"{PROMPT} on a red sofa"  # the caption file wins over the captioner
    assert [c.prompt for c in captions] == expected
    assert [c.source for c in captions] == ["toyworld", "file", "toyworld", "toyworld", "toyworld"]
    files_only = caption_photos(photos, mode="files", captioner=captioner, **DOG)
    assert [c.source for c in files_only] == ["none", "file", "none", "none", "none"]


def test_a_clip_model_captions_photos_of_a_real_base(tiny_sd, photos_dir, tiny_clip, tmp_path):
    folder = _captioned(photos_dir, tmp_path, {0: "on a red sofa"})
    photos = load_photos([folder], resolution=64)
    captioner = load_captioner(str(tiny_clip), str(tiny_sd))
    assert captioner is not None and captioner.name == "tiny-clip"
    # Random weights are unsure of everything: no context reaches the confidence needed.
    captions = caption_photos(photos, mode="auto", captioner=captioner, **DOG)
    assert [c.source for c in captions] == ["file", "none", "none", "none"]
    # Sure of anything, it names one of its everyday places for each photo it captions.
    captioner.confidence = 0.0
    captions = caption_photos(photos, mode="auto", captioner=captioner, **DOG)
    assert [c.source for c in captions] == ["file"] + ["tiny-clip"] * 3
    for caption in captions[1:]:
        assert caption.prompt.startswith(PROMPT + " ")
        assert caption.prompt.removeprefix(PROMPT + " ") in CONTEXTS
    assert load_captioner("off", str(MODEL)) is None
    with pytest.raises(ConfigError) as error:
        load_captioner(str(tmp_path / "no-such-clip"), str(tiny_sd))
    assert error.value.code == "caption_model_unavailable"
    assert load_captioner(None, str(tiny_sd)) is None


def test_each_photo_trains_with_its_own_caption(tiny_sd, photos_dir, tmp_path):
    folder = _captioned(photos_dir, tmp_path, {2: "in the snow"})
    config = tiny_config(tiny_sd, folder, tmp_path / "out", class_cache_dir=str(tmp_path / "cc"))
    run = prepare_run(config, base=lambda: _load(config), timings=Timings())
    assert [c.prompt for c in run.captions] == [PROMPT] * 2 + [f"{PROMPT} in the snow", PROMPT]
    # No captioner on this base: the class images all train with the plain class prompt.
    assert run.class_captions == ["a photo of a dog"] * 4
    hidden = run.conditioning.hidden
    assert hidden.shape[0] == 3  # a row per distinct caption
    assert run.instance_rows.tolist() == [0, 0, 1, 0] and run.class_rows.tolist() == [2] * 4
    expected = TextConditioner(run.base).encode(
        [PROMPT, f"{PROMPT} in the snow", "a photo of a dog"]
    )
    with torch.no_grad():
        assert torch.allclose(hidden, expected.hidden, atol=1e-5)


@pytest.mark.skipif(not (MODEL / "toyworld.json").is_file(), reason="no committed model")
def test_class_images_are_captioned_like_the_photos(tmp_path):
    specs = [
        world.Spec(cls="dog", colour="brown", scene=scene, seed=i)
        for i, scene in enumerate(["beach", "night", "forest"])
    ]
    paths = []
    for i, spec in enumerate(specs):
        paths.append(tmp_path / f"{i:05d}.png")
        world.render(spec).save(paths[-1])
    paths.append(tmp_path / "00003.png")  # not in the cache: keeps the plain prompt
    captioner = load_captioner(None, str(MODEL))
    prompts = caption_class_images(
        paths, class_prompt="a photo of a dog", class_noun="dog", captioner=captioner
    )
    assert prompts == [
        "a photo of a dog on the beach",
        "a photo of a dog at night",
        "a photo of a dog in the forest",
        "a photo of a dog",
    ]
    plain = caption_class_images(
        paths, class_prompt="a photo of a dog", class_noun="dog", captioner=None
    )
    assert plain == ["a photo of a dog"] * 4
    assert not list(tmp_path.glob("captions-*.json"))  # not kept while an image is missing

    class Unavailable:  # a captioner that must not be asked again
        name = "toyworld"

        def places(self, images, class_noun):
            raise AssertionError("captioned twice")

    world.render(specs[0]).save(paths[3])
    prompts = caption_class_images(
        paths, class_prompt="a photo of a dog", class_noun="dog", captioner=captioner
    )
    assert prompts[3] == "a photo of a dog on the beach"
    assert (tmp_path / "captions-toyworld.json").is_file()
    again = caption_class_images(
        paths, class_prompt="a photo of a dog", class_noun="dog", captioner=Unavailable()
    )
    assert again == prompts


def _load(config: TrainConfig):
    from trainer.models import load_base_model

    return load_base_model(config.base_model, device=torch.device("cpu"), dtype=torch.float32)
