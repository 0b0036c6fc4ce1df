"""LangChain's standard unit tests for chat models, run against the offline model."""

from __future__ import annotations

from langchain_tests.unit_tests import ChatModelUnitTests

from agent.offline_model import ChatOfflineIntents


class TestChatOfflineIntentsStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatOfflineIntents]:
        return ChatOfflineIntents

    @property
    def chat_model_params(self) -> dict:
        return {"model": "dreamchat-offline-intents"}
