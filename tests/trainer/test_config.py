import pytest

from trainer import ConfigError, TrainConfig


def _config(**kw):
    values = dict(base_model="m", photos="p", token="sks", class_noun="dog", output_dir="o")
    values.update(kw)
    return TrainConfig(**values)


def test_defaults_follow_the_reference_script():
    c = _config()
    assert (c.rank, c.lr, c.resolution, c.num_class_images) == (4, 5e-4, 512, 100)
    assert c.batch_size == 1  # the script's documented run and the service, not its argparse 4
    assert c.alpha == 4 and c.prior and c.prior_loss_weight == 1.0 and c.max_grad_norm == 1.0
    assert c.photos == ("p",)
    assert c.resolved_instance_prompt == "a photo of sks dog"
    assert c.resolved_class_prompt == "a photo of a dog"


def test_the_class_prompt_takes_the_article_the_noun_wants():
    assert _config(class_noun="owl").resolved_class_prompt == "a photo of an owl"
    assert _config(class_noun="Umbrella").resolved_class_prompt == "a photo of an Umbrella"
    assert _config(class_prompt="dogs").resolved_class_prompt == "dogs"  # given: as given


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        _config().steps = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (dict(steps=0), "steps must be at least 1"),
        (dict(token="two words"), "token must be one word"),
        (dict(class_noun=""), "class_noun is required"),
        (dict(resolution=100), "multiple of 8"),
        (dict(lr=0), "lr must be positive"),
        (dict(mixed_precision="fp8"), "mixed_precision"),
        (dict(num_class_images=0), "num_class_images"),
    ],
)
def test_bad_values_are_refused_with_a_reason(change, needle):
    with pytest.raises(ConfigError) as err:
        _config(**change)
    assert needle in str(err.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        _config(steps=0, rank=0)
    assert len(err.value.details["problems"]) == 2
