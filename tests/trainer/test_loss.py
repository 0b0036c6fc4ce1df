import pytest
import torch
from diffusers import DDPMScheduler

from trainer.errors import ConfigError
from trainer.loss import diffusion_target, dreambooth_loss


def test_prior_preservation_loss_matches_hand_computation():
    # batch of 2 instance + 2 class predictions, one scalar "pixel" each
    pred = torch.tensor([1.0, 2.0, 3.0, 5.0]).view(4, 1, 1, 1)
    target = torch.tensor([0.0, 0.0, 1.0, 1.0]).view(4, 1, 1, 1)
    parts = dreambooth_loss(pred, target, with_prior=True, prior_loss_weight=0.5)
    instance = ((1 - 0) ** 2 + (2 - 0) ** 2) / 2  # 2.5
    prior = ((3 - 1) ** 2 + (5 - 1) ** 2) / 2  # 10.0
    assert parts.instance.item() == pytest.approx(instance)
    assert parts.prior.item() == pytest.approx(prior)
    assert parts.total.item() == pytest.approx(instance + 0.5 * prior)  # 7.5


def test_without_prior_the_loss_is_plain_mse():
    pred, target = torch.ones(2, 4, 8, 8), torch.zeros(2, 4, 8, 8)
    parts = dreambooth_loss(pred, target, with_prior=False, prior_loss_weight=1.0)
    assert parts.total.item() == pytest.approx(1.0)
    assert parts.prior is None


def test_loss_is_computed_in_fp32_even_for_half_predictions():
    pred = torch.full((2, 1, 2, 2), 300.0, dtype=torch.float16)
    target = torch.zeros(2, 1, 2, 2, dtype=torch.float16)
    parts = dreambooth_loss(pred, target, with_prior=True, prior_loss_weight=1.0)
    assert parts.total.dtype == torch.float32
    assert parts.total.item() == pytest.approx(2 * 90000.0)  # would overflow fp16 (max 65504)


def test_targets_for_epsilon_and_v_prediction():
    latents, noise = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    t = torch.tensor([10, 500])
    eps = DDPMScheduler(prediction_type="epsilon")
    assert torch.equal(diffusion_target(eps, latents, noise, t), noise)
    v = DDPMScheduler(prediction_type="v_prediction")
    alpha = v.alphas_cumprod[t].sqrt().view(-1, 1, 1, 1)
    sigma = (1 - v.alphas_cumprod[t]).sqrt().view(-1, 1, 1, 1)
    expected = alpha * noise - sigma * latents
    assert torch.allclose(diffusion_target(v, latents, noise, t), expected, atol=1e-6)
    with pytest.raises(ConfigError):
        diffusion_target(DDPMScheduler(prediction_type="sample"), latents, noise, t)
