"""The catalog keeps up with the model lists the installed `anthropic` and `openai` SDKs carry.

A new SDK release that adds a model fails `test_every_sdk_model_is_in_the_catalog` until the
model is added to catalog.toml (with its published price and window) or to NOT_LISTED below
with the reason; models the SDKs themselves mark deprecated are not required.
"""

from __future__ import annotations

import inspect
import re
import typing

import pytest
from anthropic._data.deprecated_models import DEPRECATED_MODELS
from anthropic.types import model_param
from openai.types.shared import chat_model, responses_model

from claw_tui.providers import catalog
from claw_tui.providers.base import TokenUsage

# SDK model ids claw's catalog leaves out on purpose, with why.
NOT_LISTED = {
    "openai/gpt-5.2-pro": "no published price in the sources searched (pricing pages, model docs)",
    "openai/gpt-5.2-pro-2025-12-11": "dated snapshot of gpt-5.2-pro",
    **{
        f"openai/{m}": "Responses-only model for a special domain (research, computer use, security, "
        "health, law), not a coding agent's model"
        for m in (
            "o1-pro", "o1-pro-2025-03-19", "o3-pro", "o3-pro-2025-06-10", "o3-deep-research",
            "o3-deep-research-2025-06-26", "o4-mini-deep-research", "o4-mini-deep-research-2025-06-26",
            "computer-use-preview", "computer-use-preview-2025-03-11", "gpt-5.1-codex-max",
            "gpt-daybreak-blue-latest", "gpt-daybreak-red-latest", "gpt-5.6-cyber", "gpt-6-cyber",
            "gpt-rosalind-research", "gpt-6-rosalind", "gpt-6.2-astra-law", "gpt-6-astra-healthcare",
            "gpt-6.1-sol-healthcare", "gpt-6.2-astra-healthcare", "gpt-6.2-sol-healthcare",
        )
    },
}


# Catalog entries the SDKs no longer list, kept so sessions that used them still show their cost.
KEPT_AFTER_THE_SDKS_DROPPED = {"anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5-20250929"}


def _literals(alias: typing.Any) -> list[str]:
    """The string literals of a `Union[Literal[...], str]`-style alias, nested unions included."""
    out: list[str] = []
    for arg in typing.get_args(alias):
        if isinstance(arg, str):
            out.append(arg)
        elif arg is not str:
            out += _literals(arg)
    return out


def _openai_deprecated() -> set[str]:
    """The ids ChatModel's docstring lists under "Deprecated values" (with shutdown dates)."""
    source = inspect.getsource(chat_model)
    return set(re.findall(r'"([^"]+)"', source[source.index("Deprecated values") :]))


def sdk_models() -> dict[str, bool]:
    """Every model id the installed SDKs list, as provider/id → whether the SDK marks it deprecated."""
    found = {f"anthropic/{m}": m in DEPRECATED_MODELS for m in _literals(model_param.ModelParam)}
    deprecated = _openai_deprecated()
    for m in _literals(responses_model.ResponsesModel):
        found[f"openai/{m}"] = m in deprecated
    return found


def test_the_sdks_list_the_models_the_issue_names():
    """The comparison below reads real lists: the models Claude Code and the SDKs use today are in them."""
    models = sdk_models()
    for name in ("claude-sonnet-5", "claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5", "claude-fable-5-2",
                 "claude-mythos-5-2"):
        assert f"anthropic/{name}" in models
    for name in ("gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna"):
        assert f"openai/{name}" in models
    assert models["anthropic/claude-mythos-preview"] and models["openai/gpt-3.5-turbo"], "deprecation is read"


def test_every_sdk_model_is_in_the_catalog():
    missing = [
        m for m, deprecated in sdk_models().items()
        if not deprecated and m not in NOT_LISTED and catalog.lookup(m) is None
    ]
    assert missing == [], f"add these to claw_tui/providers/catalog.toml (or NOT_LISTED, saying why): {missing}"


def test_every_catalog_model_is_one_an_sdk_knows():
    """Catches a typo in an id: every entry and alias names a model the SDKs list."""
    known = sdk_models()
    unknown = [
        f"{m.provider}/{name}" for m in catalog.all_models() for name in (m.id, *m.aliases)
        if f"{m.provider}/{name}" not in known and f"{m.provider}/{name}" not in KEPT_AFTER_THE_SDKS_DROPPED
    ]
    assert unknown == []
    assert all(catalog.lookup(m) is not None and m not in known for m in KEPT_AFTER_THE_SDKS_DROPPED)


def test_not_listed_names_only_models_the_sdks_still_list():
    """An exclusion for a model the SDKs dropped is dead weight: take it out."""
    assert [m for m in NOT_LISTED if m not in sdk_models()] == []


@pytest.mark.parametrize(
    "typed,full",
    [
        ("sonnet", "anthropic/claude-sonnet-5-5"),
        ("opus", "anthropic/claude-opus-5-5"),
        ("haiku", "anthropic/claude-haiku-5-5"),
        ("fable", "anthropic/claude-fable-5-2"),
        ("Sonnet", "anthropic/claude-sonnet-5-5"),
        ("claude-sonnet-5", "anthropic/claude-sonnet-5"),
        ("claude-haiku-4-5-20251001", "anthropic/claude-haiku-4-5-20251001"),
        ("gpt-5.6-sol", "openai/gpt-5.6-sol"),
        ("openai/gpt-imaginary", "openai/gpt-imaginary"),
        ("local/llama3", "local/llama3"),
    ],
)
def test_names_resolve_through_the_catalog(typed, full):
    assert catalog.resolve(typed) == full


@pytest.mark.parametrize("typed", ["sonet", "llama3", "claude-sonnet-9", "mistral/large"])
def test_an_unknown_name_is_a_clear_error(typed):
    with pytest.raises(catalog.UnknownModel, match=f"Unknown model '{re.escape(typed)}'.*local/{re.escape(typed)}"):
        catalog.resolve(typed)


def test_the_aliases_point_at_priced_claude_models():
    for full in catalog.family_aliases().values():
        info = catalog.lookup(full)
        assert info is not None and info.provider == "anthropic" and info.priced


def test_long_prompts_are_priced_at_the_long_rate():
    """Haiku 5.5 costs $0.10/$0.50 up to a 100K-token prompt and $0.50/$2.50 for the whole request above."""
    short = catalog.cost_usd("claude-haiku-5-5", TokenUsage(input_tokens=100_000, output_tokens=1_000))
    long = catalog.cost_usd("claude-haiku-5-5", TokenUsage(input_tokens=90_000, cache_read_tokens=20_000,
                                                           output_tokens=1_000))
    assert short == pytest.approx((100_000 * 0.1 + 1_000 * 0.5) / 1e6)
    assert long == pytest.approx((90_000 * 0.5 + 20_000 * 0.05 + 1_000 * 2.5) / 1e6)
