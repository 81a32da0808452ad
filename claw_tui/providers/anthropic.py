"""Claude through the `anthropic` SDK: streaming, tool use, prompt caching, extended thinking."""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import anthropic

from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    repair,
)
from claw_tui.providers import catalog
from claw_tui.providers.base import (
    ModelRequest,
    ModelResponse,
    ProviderEvent,
    SearchHit,
    StopReason,
    TokenUsage,
    WebSearcher,
    WebSearchResult,
)
from claw_tui.providers.errors import TRANSPORT_ERRORS, Where, ended_early, stalled, to_provider_error
from claw_tui.providers.streaming import next_or_none, parse_tool_input, read_one_event, within
from claw_tui.providers.transport import client_options

SDK_ERRORS = (anthropic.AnthropicError, *TRANSPORT_ERRORS)

# The SDK warns about deprecated model ids on stderr, which would tear a full-screen UI.
warnings.filterwarnings("ignore", message=r"The model '.*' is deprecated", category=DeprecationWarning)

EPHEMERAL = {"type": "ephemeral"}
MIN_THINKING_BUDGET = 1024
_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
    "pause_turn": "pause_turn",
}


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, api_key: str, base_url: str | None = None, idle_timeout: float = 90.0) -> None:
        # claw retries whole turns itself so every retry shows; the SDK must not retry too.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, max_retries=0,
            **client_options(base_url, anthropic.DefaultAsyncHttpxClient),
        )
        self.idle_timeout = idle_timeout
        self.base_url = str(self._client.base_url)
        self._in_flight: _StreamReader | None = None  # the call streaming now, or the one a cancel cut short

    def _where(self, model: str = "") -> Where:
        return Where("Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", self.base_url, model)

    async def list_models(self) -> list[str]:
        try:
            return [m.id async for m in self._client.models.list()]
        except SDK_ERRORS as exc:
            raise to_provider_error(exc, self._where(), partial=False) from None

    def warm_up(self, model: str) -> None:
        _ = self._client.messages  # the client loads each resource's modules on first use
        read_one_event(anthropic.AsyncStream, anthropic.types.RawMessageStreamEvent, self._client, _STREAM_EVENT)

    def take_cut_short_usage(self) -> TokenUsage | None:
        """What the call a cancel cut short had used (the server counts the input when the stream
        starts), once. It holds however the stream stopped: cancelled inside or closed at a yield."""
        reader, self._in_flight = self._in_flight, None
        return reader.usage if reader is not None else None

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ProviderEvent, None]:
        where = self._where(request.model)
        reader = self._in_flight = _StreamReader(self.name, request.model)
        started = False
        try:
            raw = await within(self.idle_timeout, self._client.messages.create(**build_params(request), stream=True))
            started = True
            try:
                while (event := await next_or_none(raw, self.idle_timeout)) is not None:
                    for out in reader.feed(event):
                        reader.yielded = True
                        yield out
            finally:
                await raw.close()
        except TimeoutError:
            self._in_flight = None
            raise stalled(where, self.idle_timeout, partial=reader.yielded) from None
        except SDK_ERRORS as exc:
            self._in_flight = None
            raise to_provider_error(exc, where, partial=reader.yielded, started=started) from None
        self._in_flight = None
        if not reader.stopped:
            raise ended_early(where, partial=reader.yielded)
        yield reader.response()


    @property
    def web_searcher(self) -> WebSearcher | None:
        return self

    async def web_search(
        self, model: str, query: str, allowed_domains: list[str] | None, blocked_domains: list[str] | None
    ) -> WebSearchResult:
        """One search through Anthropic's server-side web search tool, in a request of its own."""
        tool: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search", "max_uses": MAX_SEARCHES}
        if allowed_domains:
            tool["allowed_domains"] = allowed_domains
        if blocked_domains:
            tool["blocked_domains"] = blocked_domains
        try:
            response = await self._client.messages.create(
                model=model,
                max_tokens=SEARCH_MAX_TOKENS,
                system=SEARCH_SYSTEM,
                tools=[tool],  # type: ignore[list-item]
                messages=[{"role": "user", "content": f"Perform a web search for the query: {query}"}],
            )
        except SDK_ERRORS as exc:
            raise to_provider_error(exc, self._where(model), partial=False) from None
        return _search_result(response)


# What `AnthropicProvider.warm_up` has the SDK read: one event builds the validator of every event type.
_STREAM_EVENT = b'event: content_block_stop\ndata: {"type": "content_block_stop", "index": 0}\n\n'

SEARCH_SYSTEM = (
    "You search the web for a coding agent. Search for the query, then answer in a few sentences with "
    "what the results say, citing the pages you used."
)
MAX_SEARCHES = 5
SEARCH_MAX_TOKENS = 2048


def _search_result(response: Any) -> WebSearchResult:
    texts: list[str] = []
    hits: list[SearchHit] = []
    errors: list[str] = []
    for block in response.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "web_search_tool_result":
            content = block.content
            if isinstance(content, list):
                hits += [SearchHit(title=r.title, url=r.url, page_age=r.page_age) for r in content]
            else:
                errors.append(str(getattr(content, "error_code", "error")))
    server = getattr(response.usage, "server_tool_use", None)
    searches = getattr(server, "web_search_requests", 0) or 0
    text = "".join(texts).strip()
    if errors and not hits:
        text = f"{text}\n(The search failed: {', '.join(errors)}.)".strip()
    usage = TokenUsage(
        input_tokens=response.usage.input_tokens or 0,
        output_tokens=response.usage.output_tokens or 0,
        cache_read_tokens=getattr(response.usage, "cache_read_input_tokens", 0) or 0,
        cache_write_tokens=getattr(response.usage, "cache_creation_input_tokens", 0) or 0,
    )
    return WebSearchResult(text=text, hits=hits, usage=usage, searches=searches)


# --- request ------------------------------------------------------------------------------


def build_params(request: ModelRequest) -> dict[str, Any]:
    """The Messages API request: cache breakpoints on the system prompt, last tool, last user message."""
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": to_anthropic_messages(request.messages),
    }
    if request.system:
        params["system"] = [{"type": "text", "text": request.system, "cache_control": EPHEMERAL}]
    if request.tools:
        tools = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in request.tools]
        tools[-1]["cache_control"] = EPHEMERAL
        params["tools"] = tools
    _mark_last_user_message(params["messages"])
    thinking = _thinking_config(request) if _may_think(params["messages"]) else None
    if thinking is not None:
        params["thinking"] = thinking
    elif request.temperature is not None:
        # The API refuses a temperature other than 1 while thinking, so it is only sent without.
        params["temperature"] = request.temperature
    return params


def _thinking_config(request: ModelRequest) -> dict[str, Any] | None:
    if not request.thinking_budget:
        return None
    info = catalog.lookup(f"anthropic/{request.model}")
    if info is not None and info.thinking == "adaptive":
        return {"type": "adaptive"}
    budget = min(max(request.thinking_budget, MIN_THINKING_BUDGET), request.max_tokens - 1)
    if budget < MIN_THINKING_BUDGET:
        return None  # max_tokens leaves no room for a valid budget
    return {"type": "enabled", "budget_tokens": budget}


def _may_think(messages: list[dict[str, Any]]) -> bool:
    """False while a tool loop runs on an assistant turn without its thinking block.

    With thinking on, the API wants the last assistant turn that called tools to open with
    its signed thinking; a turn written by another provider (or unsigned) has none, so that
    request goes without thinking rather than being refused.
    """
    for message in reversed(messages):
        if message["role"] == "assistant":
            blocks = message["content"]
            calls_tools = any(b["type"] == "tool_use" for b in blocks)
            return not calls_tools or blocks[0]["type"] in ("thinking", "redacted_thinking")
    return True


def _mark_last_user_message(messages: list[dict[str, Any]]) -> None:
    for message in reversed(messages):
        if message["role"] == "user" and message["content"]:
            message["content"][-1]["cache_control"] = EPHEMERAL
            return


def _safe_id(tool_id: str) -> str:
    # Anthropic accepts [a-zA-Z0-9_-] only; other providers' (or local servers') ids may not fit.
    return re.sub(r"[^a-zA-Z0-9_-]", "_", tool_id) or "call"


def _image(block: ImageBlock) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": block.media_type, "data": block.data}}


def _block(block: Any, role: str) -> dict[str, Any] | None:
    """One transcript block in Anthropic form; None when it cannot or must not be sent."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text} if block.text else None
    if isinstance(block, ImageBlock):
        return _image(block)
    if isinstance(block, ThinkingBlock):
        # Only Anthropic's own signed thinking may go back; any other is shown, never replayed.
        if role != "assistant" or block.provider not in (None, "anthropic"):
            return None
        if block.redacted_data:
            return {"type": "redacted_thinking", "data": block.redacted_data}
        if block.signature:
            return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
        return None
    if isinstance(block, ToolUseBlock) and role == "assistant":
        return {"type": "tool_use", "id": _safe_id(block.id), "name": block.name, "input": block.input}
    if isinstance(block, ToolResultBlock) and role == "user":
        content = [{"type": "text", "text": b.text} if isinstance(b, TextBlock) else _image(b) for b in block.content]
        content = [c for c in content if c.get("type") != "text" or c["text"]]
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": _safe_id(block.tool_use_id), "content": content}
        if block.is_error:
            result["is_error"] = True
        return result
    return None


def to_anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in repair(messages):
        blocks = [b for b in (_block(b, message.role) for b in message.content) if b is not None]
        if not blocks:
            continue
        if out and out[-1]["role"] == message.role:
            # Dropped blocks can leave two turns of one role side by side; join them.
            out[-1]["content"].extend(blocks)
            out[-1]["content"].sort(key=lambda b: 0 if b["type"] == "tool_result" else 1)
        else:
            out.append({"role": message.role, "content": blocks})
    return out


# --- response -----------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str
    text: str = ""
    signature: str = ""
    data: str = ""
    tool_id: str = ""
    tool_name: str = ""


@dataclass
class _StreamReader:
    """Turns raw Messages stream events into claw events and the final message."""

    provider: str
    model: str
    blocks: dict[int, _Block] = field(default_factory=dict)
    usage: TokenUsage = field(default_factory=TokenUsage)
    stop_reason: str | None = None
    stopped: bool = False
    yielded: bool = False

    def feed(self, event: Any) -> list[ProviderEvent]:
        kind = event.type
        if kind == "message_start":
            self._take_usage(event.message.usage)
        elif kind == "content_block_start":
            return self._start(event.index, event.content_block)
        elif kind == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self._take_usage(event.usage)
        elif kind == "message_stop":
            self.stopped = True
        return []

    def _take_usage(self, usage: Any) -> None:
        # message_delta carries cumulative counts; fields it leaves out keep message_start's.
        for ours, theirs in (
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
            ("cache_read_tokens", "cache_read_input_tokens"),
            ("cache_write_tokens", "cache_creation_input_tokens"),
        ):
            value = getattr(usage, theirs, None)
            if value is not None:
                setattr(self.usage, ours, value)

    def _start(self, index: int, block: Any) -> list[ProviderEvent]:
        if block.type == "tool_use":
            self.blocks[index] = _Block("tool_use", tool_id=block.id, tool_name=block.name)
            return [ToolCallStarted(call_id=block.id, name=block.name)]
        if block.type == "redacted_thinking":
            self.blocks[index] = _Block("redacted_thinking", data=block.data)
        elif block.type in ("text", "thinking"):
            self.blocks[index] = _Block(block.type)
        return []

    def _delta(self, index: int, delta: Any) -> list[ProviderEvent]:
        block = self.blocks.get(index)
        if block is None:
            return []
        if delta.type == "text_delta":
            block.text += delta.text
            return [TextDelta(text=delta.text)]
        if delta.type == "thinking_delta":
            block.text += delta.thinking
            return [ThinkingDelta(text=delta.thinking)]
        if delta.type == "signature_delta":
            block.signature += delta.signature
        elif delta.type == "input_json_delta" and delta.partial_json:
            block.text += delta.partial_json
            return [ToolCallInputDelta(call_id=block.tool_id, partial_json=delta.partial_json)]
        return []

    def response(self) -> ModelResponse:
        content: list[Any] = []
        incomplete: list[str] = []
        for _, block in sorted(self.blocks.items()):
            if block.kind == "text" and block.text:
                content.append(TextBlock(text=block.text))
            elif block.kind == "thinking":
                content.append(
                    ThinkingBlock(thinking=block.text, signature=block.signature or None, provider="anthropic")
                )
            elif block.kind == "redacted_thinking":
                content.append(ThinkingBlock(thinking="", redacted_data=block.data, provider="anthropic"))
            elif block.kind == "tool_use":
                parsed = parse_tool_input(block.text)
                if parsed is None:
                    incomplete.append(block.tool_id)
                content.append(ToolUseBlock(id=block.tool_id, name=block.tool_name, input=parsed or {}))
        message = Message(role="assistant", content=content, model=f"{self.provider}/{self.model}")
        return ModelResponse(
            message=message,
            stop_reason=_STOP_REASONS.get(self.stop_reason or "", "end_turn"),
            usage=self.usage,
            incomplete_tool_calls=incomplete,
        )
