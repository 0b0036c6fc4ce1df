"""A tenant's widget settings: how its embedded chat looks unless the page says otherwise.

The widget (``plugin/static/widget.js``) fetches them once per page load; the script tag's
``data-*`` attributes override them field by field. A field left unset (``None``, or no
prompts) means the widget's own default, so a tenant only stores what it changes.

The rules live here for every door (the admin route and ``dreamchat tenants widget``); the
OpenAPI document states the same patterns and bounds from these constants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from .domain import Record
from .errors import InvalidInput

if TYPE_CHECKING:
    from .store import RedisStore

__all__ = [
    "COLOR_PATTERN",
    "FIELDS",
    "LANGUAGES",
    "LAUNCHER_ICONS",
    "MAX_PROMPTS",
    "MIN_CONTRAST",
    "POSITIONS",
    "PROMPT_MAX_LENGTH",
    "SURFACES",
    "TEXT_MAX_LENGTH",
    "TEXT_PATTERN",
    "URL_MAX_LENGTH",
    "URL_PATTERN",
    "WidgetSettings",
    "check_widget_settings",
    "contrast_ratio",
    "get_widget_settings",
    "update_widget_settings",
]

LANGUAGES = ("en", "de", "fr", "es")
"""The widget's string table has exactly these (a test reads it from ``widget.js``)."""
POSITIONS = ("left", "right")
LAUNCHER_ICONS = ("chat", "camera", "sparkles")
"""Built-in launcher icons; an ``https://`` image URL works too."""
MAX_PROMPTS = 4
PROMPT_MAX_LENGTH = 80
TEXT_MAX_LENGTH = {"title": 60, "assistant_name": 40, "welcome_message": 500}
URL_MAX_LENGTH = 2000

COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
URL_PATTERN = r"""^https://[^\s"'<>\\]+$"""
_CONTROL = r"\x00-\x1f\x7f-\x9f"
TEXT_PATTERN = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
"""Some visible character and no control characters (spacing is normalized)."""

SURFACES = ("#ffffff", "#f4f4f6")
"""What the widget draws the primary colour on (the panel, the assistant's messages): focus
rings, icons and borders in that colour need ``MIN_CONTRAST`` against each (WCAG 1.4.11).
Text on the colour itself is black or white, whichever contrasts more, which is always at
least 4.5:1."""
MIN_CONTRAST = 3.0


class WidgetSettings(Record):
    primary_color: str | None = None
    position: str | None = None
    launcher_icon: str | None = None
    title: str | None = None
    assistant_name: str | None = None
    avatar_url: str | None = None
    welcome_message: str | None = None
    suggested_prompts: list[str] = Field(default_factory=list)
    language: str | None = None
    updated_at: datetime | None = None


FIELDS = tuple(name for name in WidgetSettings.model_fields if name != "updated_at")


# Colour contrast (WCAG 2.1 relative luminance) ---------------------------------------------


def _luminance(color: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast of two ``#rrggbb`` colours, from 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _worst_contrast(color: str) -> float:
    return min(contrast_ratio(color, surface) for surface in SURFACES)


def _darkened(color: str) -> str:
    """The same hue, darkened just enough to pass: what to suggest instead."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    factor = 1.0
    while True:
        factor -= 0.02
        shade = "#" + "".join(f"{round(c * factor):02x}" for c in rgb)
        if _worst_contrast(shade) >= MIN_CONTRAST or factor <= 0:
            return shade


# Checks, one per field: the cleaned value, or a _Problem -----------------------------------


class _Problem(ValueError):
    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Problem("must be a string")
    return value


def _color(value: object) -> str:
    color = _string(value)
    if not re.fullmatch(COLOR_PATTERN, color):
        raise _Problem("must be a colour written like #5b3df5")
    color = color.lower()
    worst = _worst_contrast(color)
    if worst < MIN_CONTRAST:
        suggestion = _darkened(color)
        raise _Problem(
            f"{color} is too light to see on the widget's white panel (contrast "
            f"{worst:.2f}:1, at least {MIN_CONTRAST:g}:1 needed); try {suggestion}",
            contrast=round(worst, 2),
            suggestion=suggestion,
        )
    return color


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value not in choices:
            raise _Problem(f"must be one of {', '.join(choices)}")
        return str(value)

    return check


def _url(value: object) -> str:
    url = _string(value)
    if len(url) > URL_MAX_LENGTH or not re.fullmatch(URL_PATTERN, url):
        raise _Problem(f"must be an https:// URL of at most {URL_MAX_LENGTH} characters")
    return url


def _icon(value: object) -> str:
    if value in LAUNCHER_ICONS:
        return str(value)
    try:
        return _url(value)
    except _Problem:
        raise _Problem(
            f"must be one of {', '.join(LAUNCHER_ICONS)} or an https:// image URL"
        ) from None


def _text(max_length: int) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _string(value)
        if len(text) > max_length or not re.fullmatch(TEXT_PATTERN, text):
            raise _Problem(f"must be 1 to {max_length} characters, not blank, on one line")
        return " ".join(text.split())

    return check


def _prompts(value: object) -> list[str]:
    if not isinstance(value, list):
        raise _Problem("must be a list of strings")
    if len(value) > MAX_PROMPTS:
        raise _Problem(f"can hold at most {MAX_PROMPTS} prompts", max=MAX_PROMPTS)
    prompt = _text(PROMPT_MAX_LENGTH)
    return [prompt(item) for item in value]


_CHECKS: dict[str, Callable[[object], Any]] = {
    "primary_color": _color,
    "position": _one_of(POSITIONS),
    "launcher_icon": _icon,
    "title": _text(TEXT_MAX_LENGTH["title"]),
    "assistant_name": _text(TEXT_MAX_LENGTH["assistant_name"]),
    "avatar_url": _url,
    "welcome_message": _text(TEXT_MAX_LENGTH["welcome_message"]),
    "suggested_prompts": _prompts,
    "language": _one_of(LANGUAGES),
}
assert set(_CHECKS) == set(FIELDS)


def check_widget_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned changes (``None`` resets a field to the widget's default), or
    ``InvalidInput`` (``invalid_widget_settings``) listing every problem at once."""
    cleaned: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []
    for field, value in changes.items():
        if field not in _CHECKS:
            problems.append({"field": field, "message": "is not a widget setting"})
        elif value is None:
            cleaned[field] = [] if field == "suggested_prompts" else None
        else:
            try:
                cleaned[field] = _CHECKS[field](value)
            except _Problem as problem:
                problems.append({"field": field, "message": str(problem), **problem.details})
    if problems:
        raise InvalidInput(
            "Widget settings refused: "
            + "; ".join(f"{p['field']} {p['message']}" for p in problems)
            + ".",
            code="invalid_widget_settings",
            details={"errors": problems},
        )
    return cleaned


# Service functions -------------------------------------------------------------------------


def get_widget_settings(store: RedisStore, *, tenant_id: str) -> WidgetSettings:
    """The tenant's settings; all unset for a tenant that never changed any."""
    store.get_tenant(tenant_id)  # an unknown tenant is tenant_not_found, not empty settings
    return store.get_widget_settings(tenant_id) or WidgetSettings()


def update_widget_settings(
    store: RedisStore, *, tenant_id: str, changes: Mapping[str, Any]
) -> WidgetSettings:
    """Change the named fields (``None`` resets one); the others stay as they are."""
    cleaned = check_widget_settings(changes)
    now = store.now()

    def update(settings: WidgetSettings) -> None:
        for field, value in cleaned.items():
            setattr(settings, field, value)
        settings.updated_at = now

    return store.update_widget_settings(tenant_id, update)
