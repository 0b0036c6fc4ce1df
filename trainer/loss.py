"""The DreamBooth objective, as a pure function so it can be checked against a hand computation.

With prior preservation the batch is ``[instance images..., class images...]`` in one forward
pass, and the loss is ``MSE(instance) + λ · MSE(prior)`` (Ruiz et al., 2023, eq. 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import ConfigError

__all__ = ["LossParts", "diffusion_target", "dreambooth_loss"]


@dataclass
class LossParts:
    total: torch.Tensor
    instance: torch.Tensor
    prior: torch.Tensor | None


def diffusion_target(
    scheduler, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor
) -> torch.Tensor:
    """What the UNet should predict: the noise (epsilon) or the velocity (v-prediction)."""
    kind = scheduler.config.prediction_type
    if kind == "epsilon":
        return noise
    if kind == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps)
    raise ConfigError(f"unsupported prediction_type {kind!r}; use an epsilon or v-prediction model")


def dreambooth_loss(
    pred: torch.Tensor, target: torch.Tensor, *, with_prior: bool, prior_loss_weight: float
) -> LossParts:
    pred, target = pred.float(), target.float()
    if not with_prior:
        instance = F.mse_loss(pred, target)
        return LossParts(instance, instance, None)
    pred_instance, pred_prior = pred.chunk(2)
    target_instance, target_prior = target.chunk(2)
    instance = F.mse_loss(pred_instance, target_instance)
    prior = F.mse_loss(pred_prior, target_prior)
    return LossParts(instance + prior_loss_weight * prior, instance, prior)
