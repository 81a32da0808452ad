"""The Provider protocol: one streaming call to a model, in provider-neutral terms.

A provider turns a `ModelRequest` into a stream of deltas (the engine's own `TextDelta`,
`ThinkingDelta`, `ToolCallStarted`, `ToolCallInputDelta` events) followed by exactly one
`ModelResponse` holding the complete assistant message, its stop reason and usage. Any
failure is raised as a `ProviderError` whose `retryable` says whether a new attempt may help.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
from claw_tui.core.transcript import Message


class ToolSpec(BaseModel):
    name: str
    description: str
    input_schema: dict[str, Any]


class ModelRequest(BaseModel):
    model: str  # the provider's own id, e.g. "claude-sonnet-4-5" (no "anthropic/" prefix)
    system: str = ""
    messages: list[Message] = Field(default_factory=list)
    tools: list[ToolSpec] = Field(default_factory=list)
    max_tokens: int = 8192
    thinking_budget: int | None = None  # tokens; None = thinking off
    temperature: float | None = None


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn"]


class TokenUsage(BaseModel):
    input_tokens: int = 0  # uncached input
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


class ModelResponse(BaseModel):
    type: Literal["model_response"] = "model_response"
    message: Message
    stop_reason: StopReason
    usage: TokenUsage
    # Tool calls whose input JSON did not arrive complete (e.g. cut by max_tokens): never run.
    incomplete_tool_calls: list[str] = Field(default_factory=list)


ProviderEvent = TextDelta | ThinkingDelta | ToolCallStarted | ToolCallInputDelta | ModelResponse

ErrorKind = Literal[
    "auth",  # 401/403: fix the key
    "bad_request",  # 400/404/413/422: fix the request or the model id
    "rate_limit",  # 429
    "overloaded",  # 529 / 503
    "server",  # 500 / 502
    "network",  # connection refused / reset, DNS
    "stream",  # the stream broke after HTTP 200: error event, cut, no stop event, stall
    "quota",  # a spending limit or exhausted credit: final, never retried
]

RETRYABLE_KINDS: frozenset[str] = frozenset({"rate_limit", "overloaded", "server", "network", "stream"})


class ProviderError(Exception):
    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        status: int | None = None,
        retry_after: float | None = None,
        partial: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        # True when some deltas were already yielded before the failure.
        self.partial = partial

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


class Provider(Protocol):
    name: str  # "anthropic", "openai", "local"

    def stream(self, request: ModelRequest) -> AsyncGenerator[ProviderEvent, None]: ...

    async def list_models(self) -> list[str]: ...

    def take_cut_short_usage(self) -> TokenUsage | None:
        """What the call a cancel cut short had used, once; None where the API reports usage only at
        a stream's end (OpenAI)."""
        ...

    @property
    def web_searcher(self) -> WebSearcher | None:
        """The provider's server-side web search; None where its API has none."""

    def warm_up(self, model: str) -> None:
        """Build now (the agent calls this on the import thread) what the SDK would otherwise build on
        the event loop as the first answer from `model` arrives."""


class SearchHit(BaseModel):
    title: str
    url: str
    page_age: str | None = None


class WebSearchResult(BaseModel):
    """What a provider's server-side web search found: the model's summary and the pages it cites."""

    text: str
    hits: list[SearchHit] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    searches: int = 0  # billed per search, besides the tokens


# Both Anthropic and OpenAI list web search at $10 per 1,000 searches.
PRICE_PER_SEARCH_USD = 0.01


class WebSearcher(Protocol):
    """A provider whose API runs web searches server-side (Anthropic's web search tool, OpenAI
    Responses' web_search). Local servers have none, so claw offers WebSearch only where this is."""

    async def web_search(
        self, model: str, query: str, allowed_domains: list[str] | None, blocked_domains: list[str] | None
    ) -> WebSearchResult: ...
