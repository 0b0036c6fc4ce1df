"""Keep library chatter (weight-loading bars, advisory warnings) out of our own output."""

from __future__ import annotations

import logging
import os
import warnings

__all__ = ["quiet_libraries"]


def quiet_libraries() -> None:
    """For entry points (CLI, worker), never called on import: a library leaves logging alone.

    Only environment variables and logger levels: importing diffusers or transformers to call
    their ``set_verbosity_error()`` would load torch into every process that runs the CLI,
    the API included. Both libraries read ``*_VERBOSITY`` when they configure their logger."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("diffusers", "transformers", "accelerate", "peft", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
