"""Which chat model drives the assistant: an OpenAI-compatible endpoint, or the offline one."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from core.settings import Settings

from .offline_model import OfflineIntentModel

__all__ = ["build_chat_model"]

OFFLINE = "offline"


def build_chat_model(settings: Settings) -> BaseChatModel:
    """``DREAMCHAT_AGENT_MODEL`` (a model name) with ``OPENAI_BASE_URL``/``OPENAI_API_KEY``
    selects any OpenAI-compatible server — OpenAI, vLLM, Ollama, llama.cpp; unset (or
    ``offline``) the embedded offline model."""
    name = settings.agent_model
    if not name or name == OFFLINE:
        return OfflineIntentModel()
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key or SecretStr("not-needed")
    return ChatOpenAI(
        model=name,
        base_url=settings.openai_base_url,
        api_key=key,
        temperature=0,
        timeout=60,
        max_retries=2,
    )
