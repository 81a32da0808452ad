"""The model catalog (catalog.toml): context windows, output limits, prices, quirks.

Ids are looked up as "provider/model" or bare ("claude-sonnet-4-5", a dated alias too).
A model that is not listed still works; its price is unknown (`cost_usd` returns None).
`resolve` turns what a user typed (`sonnet`, `gpt-5`, `openai/gpt-5`) into a full id.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from claw_tui.providers.base import TokenUsage

PER_MILLION = 1_000_000
PROVIDERS = ("anthropic", "openai", "local")


class UnknownModel(ValueError):
    """A model name that is neither "provider/model" nor in the catalog; the message says what to write."""


@dataclass(frozen=True)
class LongPromptPrices:
    """What a whole request costs (USD per million tokens) when its prompt is over `above` tokens."""

    above: int
    input: float
    output: float
    cache_write: float
    cache_read: float


@dataclass(frozen=True)
class ModelInfo:
    id: str  # the provider's own id, e.g. "claude-sonnet-4-5"
    provider: str  # "anthropic", "openai"
    context_window: int
    max_output: int
    # USD per million tokens; None = unknown
    input_price: float | None = None
    output_price: float | None = None
    cache_write_price: float | None = None
    cache_read_price: float | None = None
    api: Literal["messages", "chat", "responses"] = "chat"
    thinking: Literal["enabled", "adaptive"] = "enabled"
    reasoning: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)
    long_prompt: LongPromptPrices | None = None

    @property
    def full_id(self) -> str:
        return f"{self.provider}/{self.id}"

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None


@functools.cache
def _catalog() -> dict[str, Any]:
    text = resources.files("claw_tui.providers").joinpath("catalog.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def _models() -> dict[str, ModelInfo]:
    """Every known id (full, bare and aliases) → its entry; the TOML is parsed once."""
    index: dict[str, ModelInfo] = {}
    for full_id, entry in _catalog()["models"].items():
        provider, model = full_id.split("/", 1)
        info = ModelInfo(
            id=model,
            provider=provider,
            context_window=int(entry["context_window"]),
            max_output=int(entry["max_output"]),
            input_price=entry.get("input"),
            output_price=entry.get("output"),
            cache_write_price=entry.get("cache_write", entry.get("input")),
            cache_read_price=entry.get("cache_read", entry.get("input")),
            api=entry.get("api", "messages" if provider == "anthropic" else "chat"),
            thinking=entry.get("thinking", "enabled"),
            reasoning=bool(entry.get("reasoning", False)),
            aliases=tuple(entry.get("aliases", ())),
            long_prompt=LongPromptPrices(**entry["long_prompt"]) if "long_prompt" in entry else None,
        )
        for name in (model, *info.aliases):
            index[f"{provider}/{name}"] = info
            index.setdefault(name, info)
    return index


def lookup(model_id: str) -> ModelInfo | None:
    """The entry for "provider/model" or a bare model id; None when claw does not know it."""
    return _models().get(model_id)


def family_aliases() -> dict[str, str]:
    """Claude Code's short names (`sonnet`, `opus`, `haiku`, `fable`) → full ids."""
    return dict(_catalog().get("aliases", {}))


def resolve(name: str) -> str:
    """The full "provider/model" id for a name a user typed: a full id as it is, a short name
    (`sonnet`), or a bare id the catalog knows (`claude-opus-5-5`, `gpt-5.6-sol`).

    Raises UnknownModel for anything else, rather than guessing a provider.
    """
    name = name.strip()
    provider, sep, rest = name.partition("/")
    if sep and rest and provider in PROVIDERS:
        return name
    if full := family_aliases().get(name.lower()):
        return full
    info = lookup(name)
    if info is not None:
        return f"{info.provider}/{name}"
    raise UnknownModel(
        f"Unknown model {name!r}: it is not in claw's catalog. Name a listed model or an alias "
        f"({', '.join(family_aliases())}), or give its provider: anthropic/{name}, openai/{name} or local/{name}."
    )


def all_models() -> list[ModelInfo]:
    """Each known model once, in catalog order."""
    return list(dict.fromkeys(_models().values()))


def cost_usd(model_id: str, usage: TokenUsage) -> float | None:
    """What `usage` costs at list price; None when the model or its price is unknown."""
    info = lookup(model_id)
    if info is None or not info.priced:
        return None
    assert info.input_price is not None and info.output_price is not None
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    long = info.long_prompt
    if long is not None and prompt > long.above:
        total = (
            usage.input_tokens * long.input
            + usage.output_tokens * long.output
            + usage.cache_write_tokens * long.cache_write
            + usage.cache_read_tokens * long.cache_read
        )
        return total / PER_MILLION
    total = (
        usage.input_tokens * info.input_price
        + usage.output_tokens * info.output_price
        + usage.cache_write_tokens * (info.cache_write_price or info.input_price)
        + usage.cache_read_tokens * (info.cache_read_price if info.cache_read_price is not None else info.input_price)
    )
    return total / PER_MILLION
