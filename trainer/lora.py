"""LoRA adapters: attach them for training, checkpoint them, and save them in diffusers format.

The saved file is exactly what ``pipe.load_lora_weights(dir)`` expects (diffusers' own writer
produces it, with its adapter-config metadata); we add our own keys to the same safetensors
header — token, class noun, base fingerprint — so an adapter file explains itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .errors import AdapterError

__all__ = [
    "ADAPTER_FILE",
    "UNET_TARGETS",
    "TEXT_TARGETS",
    "add_lora",
    "lora_state",
    "load_lora_state",
    "read_adapter_metadata",
    "remove_lora",
    "save_adapter",
]

ADAPTER_FILE = "pytorch_lora_weights.safetensors"
UNET_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]
_META_PREFIX = "dreamchat."


def add_lora(model, *, rank: int, alpha: int, targets: list[str]) -> list[torch.nn.Parameter]:
    """Attach a fresh LoRA (Gaussian A, zero B: the model's output is unchanged at step 0)."""
    from peft import LoraConfig

    config = LoraConfig(
        r=rank, lora_alpha=alpha, init_lora_weights="gaussian", target_modules=targets
    )
    model.add_adapter(config)
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()  # LoRA weights train in fp32 even when the base is bf16/fp16
    return params


def remove_lora(module) -> None:
    """Take ``add_lora``'s layers out again: the module is its frozen base model once more."""
    from diffusers.utils import recurse_remove_peft_layers

    recurse_remove_peft_layers(module)
    for attr in ("peft_config", "_hf_peft_config_loaded"):
        if hasattr(module, attr):
            delattr(module, attr)
    module.requires_grad_(False)


def lora_state(model) -> dict[str, torch.Tensor]:
    from peft.utils import get_peft_model_state_dict

    return {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(model).items()}


def load_lora_state(model, state: dict[str, torch.Tensor]) -> None:
    from peft.utils import set_peft_model_state_dict

    result = set_peft_model_state_dict(model, state)
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise AdapterError(f"checkpoint does not match the model: {unexpected[:3]}...")


def _lora_config_metadata(model) -> dict[str, Any] | None:
    config = getattr(model, "peft_config", {}).get("default")
    return config.to_dict() if config is not None else None


def save_adapter(
    output_dir: Path,
    *,
    unet,
    text_encoders: list[Any],
    xl: bool,
    metadata: dict[str, str],
) -> Path:
    """Write ``pytorch_lora_weights.safetensors`` atomically, with our metadata in its header."""
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    def layers(model):
        if model is None or not getattr(model, "peft_config", None):
            return None
        return convert_state_dict_to_diffusers(get_peft_model_state_dict(model))

    staging = output_dir / f".adapter-tmp{os.getpid()}"
    staging.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "unet_lora_layers": layers(unet),
        "unet_lora_adapter_metadata": _lora_config_metadata(unet),
        "text_encoder_lora_layers": layers(text_encoders[0]),
        "text_encoder_lora_adapter_metadata": _lora_config_metadata(text_encoders[0]),
    }
    if xl:
        kwargs["text_encoder_2_lora_layers"] = layers(text_encoders[1])
        kwargs["text_encoder_2_lora_adapter_metadata"] = _lora_config_metadata(text_encoders[1])
        StableDiffusionXLPipeline.save_lora_weights(staging, **kwargs)
    else:
        StableDiffusionPipeline.save_lora_weights(staging, **kwargs)
    written = staging / ADAPTER_FILE
    with safe_open(written, framework="pt") as handle:
        header = dict(handle.metadata() or {})
    header.update({_META_PREFIX + k: str(v) for k, v in metadata.items()})
    target = output_dir / ADAPTER_FILE
    save_file(load_file(written), target.with_suffix(".tmp"), metadata=header)
    os.replace(target.with_suffix(".tmp"), target)
    written.unlink()
    staging.rmdir()
    return target


def read_adapter_metadata(path: str | Path) -> dict[str, str]:
    """Our metadata from an adapter file or directory: token, class_noun, base_fingerprint, ..."""
    file = Path(path)
    if file.is_dir():
        file = file / ADAPTER_FILE
    if not file.is_file():
        raise AdapterError(f"{file}: no adapter file here", code="adapter_not_found")
    try:
        with safe_open(file, framework="pt") as handle:
            header = handle.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise AdapterError(f"{file}: not a readable safetensors file ({exc})") from exc
    return {k[len(_META_PREFIX) :]: v for k, v in header.items() if k.startswith(_META_PREFIX)}
