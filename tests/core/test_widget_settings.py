"""A tenant's widget settings: the rules every door shares, the contrast check, and how they
are kept (one record per tenant, changed field by field, reset with ``None``). The widget's own
copy of the defaults, languages and contrast rule is read from ``widget.js`` itself."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from core import widget
from core.errors import InvalidInput, NotFound
from core.store import RedisStore
from core.tenants import create_tenant
from core.widget import (
    WidgetSettings,
    check_widget_settings,
    contrast_ratio,
    get_widget_settings,
    update_widget_settings,
)


def _refused(changes: dict) -> list[dict]:
    with pytest.raises(InvalidInput) as exc:
        check_widget_settings(changes)
    assert exc.value.code == "invalid_widget_settings" and exc.value.http_status == 422
    return exc.value.details["errors"]


def test_contrast_is_wcags():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert contrast_ratio("#5b3df5", "#ffffff") == contrast_ratio("#ffffff", "#5b3df5")


def test_a_colour_too_light_for_the_panel_is_refused_with_a_darker_suggestion():
    (error,) = _refused({"primary_color": "#FFCC00"})
    assert error["field"] == "primary_color" and error["contrast"] < 3
    suggestion = error["suggestion"]
    assert re.fullmatch(widget.COLOR_PATTERN, suggestion)
    assert all(contrast_ratio(suggestion, s) >= widget.MIN_CONTRAST for s in widget.SURFACES)
    assert check_widget_settings({"primary_color": suggestion}) == {"primary_color": suggestion}
    # Passing against white is not enough: the assistant's grey bubbles are a surface too.
    between = "#f0640f"
    assert contrast_ratio(between, "#ffffff") >= 3 > contrast_ratio(between, "#f4f4f6")
    _refused({"primary_color": between})


def test_values_are_cleaned():
    cleaned = check_widget_settings(
        {
            "primary_color": "#0B6E4F",
            "title": "  Pet   portraits ",
            "suggested_prompts": ["Rex  on the beach", "Rex in Paris"],
            "launcher_icon": "https://cdn.example.com/icon.svg",
            "language": None,
        }
    )
    assert cleaned == {
        "primary_color": "#0b6e4f",
        "title": "Pet portraits",
        "suggested_prompts": ["Rex on the beach", "Rex in Paris"],
        "launcher_icon": "https://cdn.example.com/icon.svg",
        "language": None,
    }
    assert check_widget_settings({"suggested_prompts": None}) == {"suggested_prompts": []}


def test_every_problem_is_reported_at_once():
    errors = _refused(
        {
            "primary_color": "blue",
            "position": "top",
            "launcher_icon": "http://insecure.example.com/i.png",
            "title": "x" * 61,
            "assistant_name": "   ",
            "avatar_url": "javascript:alert(1)",
            "welcome_message": "two\nlines",
            "suggested_prompts": ["a", "b", "c", "d", "e"],
            "language": "xx",
            "colour": "#000000",
        }
    )
    assert [e["field"] for e in errors] == [
        "primary_color",
        "position",
        "launcher_icon",
        "title",
        "assistant_name",
        "avatar_url",
        "welcome_message",
        "suggested_prompts",
        "language",
        "colour",
    ]
    assert _refused({"suggested_prompts": ["fine", ""]})[0]["field"] == "suggested_prompts"
    assert _refused({"title": 3})[0]["message"] == "must be a string"


def test_settings_change_field_by_field_per_tenant(store: RedisStore):
    acme, _ = create_tenant(store, name="acme")
    globex, _ = create_tenant(store, name="globex")
    assert get_widget_settings(store, tenant_id=acme.id) == WidgetSettings()

    first = update_widget_settings(
        store, tenant_id=acme.id, changes={"primary_color": "#0b6e4f", "language": "de"}
    )
    assert first.updated_at is not None
    second = update_widget_settings(store, tenant_id=acme.id, changes={"language": None})
    assert (second.primary_color, second.language) == ("#0b6e4f", None)
    assert get_widget_settings(store, tenant_id=acme.id) == second
    assert get_widget_settings(store, tenant_id=globex.id) == WidgetSettings()
    assert f"{store.prefix}:{acme.id}:_widget" in set(store.iter_keys(tenant_id=acme.id))

    with pytest.raises(InvalidInput):  # a refused change stores nothing
        update_widget_settings(
            store, tenant_id=acme.id, changes={"title": "New", "primary_color": "#ffffff"}
        )
    assert get_widget_settings(store, tenant_id=acme.id).title is None

    for call in (
        lambda: get_widget_settings(store, tenant_id="ten_missing"),
        lambda: update_widget_settings(store, tenant_id="ten_missing", changes={"title": "x"}),
    ):
        with pytest.raises(NotFound) as exc:
            call()
        assert exc.value.code == "tenant_not_found"
    assert not list(store.iter_keys(tenant_id="ten_missing"))


def _widget_table() -> dict:
    source = files("plugin").joinpath("static/widget.js").read_text(encoding="utf-8")
    found = re.search(r"/\* table \*/(.*?)/\* end table \*/", source, re.S)
    assert found, "widget.js has no /* table */ … /* end table */ block"
    return json.loads(found.group(1))


def test_the_widget_shares_these_rules():
    table = _widget_table()
    assert tuple(table["strings"]) == widget.LANGUAGES
    english = set(table["strings"]["en"])
    for language, strings in table["strings"].items():
        assert set(strings) == english, f"{language} lacks or adds strings"
        for key, text in strings.items():
            english_vars = sorted(re.findall(r"\{\w+\}", table["strings"]["en"][key]))
            assert sorted(re.findall(r"\{\w+\}", text)) == english_vars, (language, key)
    assert tuple(table["surfaces"]) == widget.SURFACES
    assert table["min_contrast"] == widget.MIN_CONTRAST
    defaults = table["defaults"]
    check_widget_settings(defaults)  # the widget's own defaults pass the tenant rules
