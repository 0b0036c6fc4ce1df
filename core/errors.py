"""Errors the core raises. Every one carries a stable ``code`` that callers match on and a short
``message`` that tells the person what to do next; ``http_status`` is only a hint for ``plugin/``,
which is the one place that turns these into HTTP answers.

DreamchatError            base; ``code``, ``message``, ``details``, ``http_status``
├── InvalidInput          the request is malformed or breaks a rule (422)
│   ├── PolicyViolation   the content policy refuses the request (``content_policy``)
│   ├── UnsupportedPhotoType  not a JPEG, PNG or WebP photo (415)
│   └── InvalidSettings   an environment setting has a value we refuse to start with
├── Unauthenticated       no credentials or unknown credentials (401)
├── Forbidden             known caller, not allowed to do this (403)
├── NotFound              no such thing in the caller's scope (404); also used for other
│                         users' things, so existence never leaks across scopes
├── Conflict              the thing is in a state that forbids this now (409),
│                         e.g. ``training_in_progress``
├── LimitExceeded         a quota or concurrency limit; retrying later can succeed (429)
└── Unavailable           a dependency (Redis, the queue) is down; retrying later can succeed
                          (503, with ``Retry-After``); the only 503 class
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "Conflict",
    "DreamchatError",
    "Forbidden",
    "InvalidInput",
    "InvalidSettings",
    "LimitExceeded",
    "NotFound",
    "PolicyViolation",
    "Unauthenticated",
    "Unavailable",
    "UnsupportedPhotoType",
]


class DreamchatError(Exception):
    code: str = "internal_error"
    http_status: int = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The ``{"code", "message", "details"}`` body shared by the API, tools and webhooks."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(DreamchatError):
    code = "invalid_input"
    http_status = 422


class PolicyViolation(InvalidInput):
    """The message says what kind of picture we won't make and what to ask for instead;
    ``details["category"]`` names the policy category (sexual, violence, demeaning, ...)."""

    code = "content_policy"


class UnsupportedPhotoType(InvalidInput):
    """Not a JPEG, PNG or WebP photo, whatever its name says."""

    code = "unsupported_photo_type"
    http_status = 415


class InvalidSettings(InvalidInput):
    code = "invalid_settings"
    http_status = 500


class Unauthenticated(DreamchatError):
    code = "unauthenticated"
    http_status = 401


class Forbidden(DreamchatError):
    code = "forbidden"
    http_status = 403


class NotFound(DreamchatError):
    code = "not_found"
    http_status = 404


class Conflict(DreamchatError):
    code = "conflict"
    http_status = 409


class LimitExceeded(DreamchatError):
    code = "limit_exceeded"
    http_status = 429


class Unavailable(DreamchatError):
    code = "unavailable"
    http_status = 503
