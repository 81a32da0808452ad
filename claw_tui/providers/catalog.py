"""The model catalog (catalog.toml): context windows, output limits, prices, quirks.

Ids are looked up as "provider/model" or bare ("claude-sonnet-4-5", a dated alias too).
A model that is not listed still works; its price is unknown (`cost_usd` returns None).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from claw_tui.providers.base import TokenUsage

PER_MILLION = 1_000_000


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

    @property
    def full_id(self) -> str:
        return f"{self.provider}/{self.id}"

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None


@functools.cache
def _models() -> dict[str, ModelInfo]:
    """Every known id (full, bare and aliases) → its entry; the TOML is parsed once."""
    text = resources.files("claw_tui.providers").joinpath("catalog.toml").read_text(encoding="utf-8")
    index: dict[str, ModelInfo] = {}
    for full_id, entry in tomllib.loads(text)["models"].items():
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
        )
        for name in (model, *info.aliases):
            index[f"{provider}/{name}"] = info
            index.setdefault(name, info)
    return index


def lookup(model_id: str) -> ModelInfo | None:
    """The entry for "provider/model" or a bare model id; None when claw does not know it."""
    return _models().get(model_id)


def all_models() -> list[ModelInfo]:
    """Each known model once, in catalog order."""
    return list(dict.fromkeys(_models().values()))


def cost_usd(model_id: str, usage: TokenUsage) -> float | None:
    """What `usage` costs at list price; None when the model or its price is unknown."""
    info = lookup(model_id)
    if info is None or not info.priced:
        return None
    assert info.input_price is not None and info.output_price is not None
    total = (
        usage.input_tokens * info.input_price
        + usage.output_tokens * info.output_price
        + usage.cache_write_tokens * (info.cache_write_price or info.input_price)
        + usage.cache_read_tokens * (info.cache_read_price if info.cache_read_price is not None else info.input_price)
    )
    return total / PER_MILLION
