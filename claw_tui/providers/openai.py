"""OpenAI models, and local OpenAI-compatible servers, through the `openai` SDK.

Chat Completions is the default wire (every local server speaks it); models the catalog
marks `api = "responses"` go through the Responses API. Thinking from these models is
shown but never sent back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    new_id,
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
from claw_tui.providers.errors import (
    TRANSPORT_ERRORS,
    Where,
    ended_early,
    mid_stream_error,
    stalled,
    to_provider_error,
)
from claw_tui.providers.streaming import next_or_none, parse_tool_input, read_one_event, within
from claw_tui.providers.transport import client_options

SDK_ERRORS = (openai.OpenAIError, *TRANSPORT_ERRORS)

Api = Literal["chat", "responses"]

_FINISH_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


def reasoning_effort(budget: int) -> str:
    """A thinking budget in tokens as OpenAI's coarse reasoning effort."""
    if budget <= 2048:
        return "low"
    return "medium" if budget <= 16384 else "high"


class OpenAIProvider:
    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        api: Api = "chat",
        name: str = "openai",
        idle_timeout: float = 90.0,
    ) -> None:
        # claw retries whole turns itself so every retry shows; the SDK must not retry too.
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, max_retries=0,
            **client_options(base_url, openai.DefaultAsyncHttpxClient),
        )
        self.api = api
        self.name = name
        self.idle_timeout = idle_timeout
        self.base_url = str(self._client.base_url)

    def _where(self, model: str = "") -> Where:
        if self.name == "local":
            return Where("the local model server", "CLAW_LOCAL_API_KEY", "CLAW_LOCAL_BASE_URL", self.base_url, model)
        return Where("OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", self.base_url, model)

    def _info(self, model: str) -> catalog.ModelInfo | None:
        return catalog.lookup(f"openai/{model}") if self.name == "openai" else None

    def api_for(self, model: str) -> Api:
        info = self._info(model)
        return "responses" if info is not None and info.api == "responses" else self.api

    def warm_up(self, model: str) -> None:
        # The client loads each resource's modules on first use, and the SDK builds each class it reads
        # on first use: the events hold every kind of part claw reads (the Responses API's took a second).
        if self.api_for(model) == "responses":
            from openai.types.responses import ResponseStreamEvent

            _ = self._client.responses
            read_one_event(openai.AsyncStream, ResponseStreamEvent, self._client, _RESPONSES_EVENT)
        else:
            from openai.types.chat import ChatCompletionChunk

            _ = self._client.chat.completions
            read_one_event(openai.AsyncStream, ChatCompletionChunk, self._client, _CHAT_CHUNK)

    def take_cut_short_usage(self) -> TokenUsage | None:
        return None  # OpenAI's APIs report usage only at a stream's end

    async def list_models(self) -> list[str]:
        try:
            return [m.id async for m in self._client.models.list()]
        except SDK_ERRORS as exc:
            raise to_provider_error(exc, self._where(), partial=False) from None

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ProviderEvent, None]:
        where = self._where(request.model)
        info = self._info(request.model)
        reasoning = info is not None and info.reasoning
        if self.api_for(request.model) == "responses":
            reader: _ChatReader | _ResponsesReader = _ResponsesReader(self.name, request.model, where)
            call = self._client.responses.create(**sent_as_built(responses_params(request, reasoning)), stream=True)
        else:
            reader = _ChatReader(self.name, request.model)
            chat = sent_as_built(self._chat_params(request, reasoning), required=("messages",))
            call = self._client.chat.completions.create(**chat, stream=True)
        started = False
        try:
            raw = await within(self.idle_timeout, call)
            started = True
            try:
                while (event := await next_or_none(raw, self.idle_timeout)) is not None:
                    for out in reader.feed(event):
                        reader.yielded = True
                        yield out
            finally:
                await raw.close()
        except TimeoutError:
            raise stalled(where, self.idle_timeout, partial=reader.yielded) from None
        except SDK_ERRORS as exc:
            raise to_provider_error(exc, where, partial=reader.yielded, started=started) from None
        if not reader.stopped:
            raise ended_early(where, partial=reader.yielded)
        yield reader.response()

    @property
    def web_searcher(self) -> WebSearcher | None:
        """OpenAI's Responses API searches the web server-side; local servers do not."""
        return self if self.name == "openai" else None

    async def web_search(
        self, model: str, query: str, allowed_domains: list[str] | None, blocked_domains: list[str] | None
    ) -> WebSearchResult:
        """One search through the Responses API's web_search tool, in a request of its own. The API
        filters only by allowed domains; blocked ones are asked for and dropped from the results."""
        tool: dict[str, Any] = {"type": "web_search"}
        if allowed_domains:
            tool["filters"] = {"allowed_domains": allowed_domains}
        ask = f"Perform a web search for the query: {query}"
        if blocked_domains:
            ask += f"\nDo not use results from these domains: {', '.join(blocked_domains)}."
        try:
            response = await self._client.responses.create(
                model=model, instructions=SEARCH_INSTRUCTIONS, input=ask, tools=[tool],  # type: ignore[list-item]
                store=False,
            )
        except SDK_ERRORS as exc:
            raise to_provider_error(exc, self._where(model), partial=False) from None
        return _search_result(response, blocked_domains or [])

    def _chat_params(self, request: ModelRequest, reasoning: bool) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": to_chat_messages(request.system, request.messages),
            "stream_options": {"include_usage": True},
        }
        # OpenAI's reasoning models refuse max_tokens; local servers know max_tokens best.
        params["max_tokens" if self.name == "local" else "max_completion_tokens"] = request.max_tokens
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
                }
                for t in request.tools
            ]
        if reasoning and request.thinking_budget:
            params["reasoning_effort"] = reasoning_effort(request.thinking_budget)
        if request.temperature is not None and not reasoning:
            params["temperature"] = request.temperature
        return params


SEARCH_INSTRUCTIONS = (
    "You search the web for a coding agent. Search for the query, then answer in a few sentences with "
    "what the results say, citing the pages you used."
)


def _search_result(response: Any, blocked: list[str]) -> WebSearchResult:
    texts: list[str] = []
    hits: dict[str, SearchHit] = {}
    searches = 0
    for item in response.output:
        if item.type == "web_search_call":
            searches += 1
            for source in getattr(item.action, "sources", None) or []:
                hits.setdefault(source.url, SearchHit(title=source.url, url=source.url))
        elif item.type == "message":
            for part in item.content:
                if part.type != "output_text":
                    continue
                texts.append(part.text)
                for note in part.annotations or []:
                    if note.type == "url_citation":
                        hits[note.url] = SearchHit(title=note.title or note.url, url=note.url)
    usage = response.usage
    details = usage.input_tokens_details if usage is not None else None
    token_usage = TokenUsage()
    if usage is not None:
        token_usage = _usage(usage.input_tokens, getattr(details, "cached_tokens", 0), 0, usage.output_tokens)
    kept = [hit for hit in hits.values() if not any(_on_domain(hit.url, d) for d in blocked)]
    return WebSearchResult(text="".join(texts).strip(), hits=kept, usage=token_usage, searches=searches)


def _on_domain(url: str, domain: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    domain = domain.lower().lstrip(".")
    return host == domain or host.endswith("." + domain)


# --- Chat Completions: request ------------------------------------------------------------


def _data_url(block: ImageBlock) -> str:
    return f"data:{block.media_type};base64,{block.data}"


def _result_text(block: ToolResultBlock) -> str:
    text = block.text
    if any(isinstance(b, ImageBlock) for b in block.content):
        text = (text + "\n" if text else "") + "[image attached in the next message]"
    return f"Error: {text}" if block.is_error else text


def to_chat_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in repair(messages):
        if message.role == "assistant":
            text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
            calls = [
                {"id": u.id, "type": "function", "function": {"name": u.name, "arguments": json.dumps(u.input)}}
                for u in message.tool_uses
            ]
            if text or calls:
                entry: dict[str, Any] = {"role": "assistant", "content": text or None}
                if calls:
                    entry["tool_calls"] = calls
                out.append(entry)
            continue
        # Tool messages must follow the assistant's calls directly; other content comes after.
        parts: list[dict[str, Any]] = []
        for block in message.content:
            if isinstance(block, ToolResultBlock):
                out.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": _result_text(block)})
                parts += [
                    {"type": "image_url", "image_url": {"url": _data_url(b)}}
                    for b in block.content
                    if isinstance(b, ImageBlock)
                ]
            elif isinstance(block, TextBlock) and block.text:
                parts.append({"type": "text", "text": block.text})
            elif isinstance(block, ImageBlock):
                parts.append({"type": "image_url", "image_url": {"url": _data_url(block)}})
        if parts and all(p["type"] == "text" for p in parts):
            out.append({"role": "user", "content": "\n\n".join(p["text"] for p in parts)})
        elif parts:
            out.append({"role": "user", "content": parts})
    return out


def sent_as_built(params: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keyword arguments that send `params`, the request's wire JSON, as it is.

    The openai SDK (2.x) walks every value of a request against its typed parameter dicts before
    sending it, to apply aliases and formats that the JSON claw builds never needs: the whole
    conversation and every tool's schema, on every request (on the edit task, most of a run's
    CPU after start-up; the anthropic SDK sends its body as given). The body goes in `extra_body`,
    which the SDK sends untouched; `model` stays an argument, and so do the arguments the SDK
    requires (given empty: the body's value replaces them).
    """
    body = dict(params)
    return {"model": body.pop("model"), **{key: [] for key in required}, "extra_body": body}


# --- Responses: request -------------------------------------------------------------------


def responses_params(request: ModelRequest, reasoning: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": request.model,
        "input": to_responses_input(request.messages),
        "max_output_tokens": request.max_tokens,
        "store": False,
    }
    if request.system:
        params["instructions"] = request.system
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
                "strict": False,
            }
            for t in request.tools
        ]
    if reasoning and request.thinking_budget:
        params["reasoning"] = {"effort": reasoning_effort(request.thinking_budget), "summary": "auto"}
    if request.temperature is not None and not reasoning:
        params["temperature"] = request.temperature
    return params


def _result_output(block: ToolResultBlock) -> str | list[dict[str, Any]]:
    if not any(isinstance(b, ImageBlock) for b in block.content):
        return f"Error: {block.text}" if block.is_error else block.text
    items: list[dict[str, Any]] = [{"type": "input_text", "text": "Error:"}] if block.is_error else []
    for b in block.content:
        if isinstance(b, TextBlock):
            items.append({"type": "input_text", "text": b.text})
        else:
            items.append({"type": "input_image", "image_url": _data_url(b)})
    return items


def to_responses_input(messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in repair(messages):
        if message.role == "assistant":
            for block in message.content:
                if isinstance(block, TextBlock) and block.text:
                    items.append({"role": "assistant", "content": block.text})
                elif isinstance(block, ToolUseBlock):
                    arguments = json.dumps(block.input)
                    items.append(
                        {"type": "function_call", "call_id": block.id, "name": block.name, "arguments": arguments}
                    )
            continue
        content: list[dict[str, Any]] = []
        for block in message.content:
            if isinstance(block, ToolResultBlock):
                items.append(
                    {"type": "function_call_output", "call_id": block.tool_use_id, "output": _result_output(block)}
                )
            elif isinstance(block, TextBlock) and block.text:
                content.append({"type": "input_text", "text": block.text})
            elif isinstance(block, ImageBlock):
                content.append({"type": "input_image", "image_url": _data_url(block)})
        if content:
            items.append({"role": "user", "content": content})
    return items


# --- responses: reading the stream --------------------------------------------------------


def _usage(total_input: int, cached: int | None, cache_write: int | None, output: int) -> TokenUsage:
    cached, cache_write = cached or 0, cache_write or 0
    return TokenUsage(
        input_tokens=max(0, total_input - cached - cache_write),
        output_tokens=output,
        cache_read_tokens=cached,
        cache_write_tokens=cache_write,
    )


@dataclass
class _Call:
    call_id: str
    name: str
    arguments: str = ""


def _finish(
    provider: str, model: str, thinking: str, text: str, calls: list[_Call], stop_reason: StopReason, usage: TokenUsage
) -> ModelResponse:
    content: list[Any] = []
    if thinking:
        content.append(ThinkingBlock(thinking=thinking, provider=provider))
    if text:
        content.append(TextBlock(text=text))
    incomplete: list[str] = []
    for call in calls:
        parsed = parse_tool_input(call.arguments)
        if parsed is None:
            incomplete.append(call.call_id)
        content.append(ToolUseBlock(id=call.call_id, name=call.name, input=parsed or {}))
    if calls and stop_reason == "end_turn":
        stop_reason = "tool_use"  # some local servers finish tool calls with "stop"
    message = Message(role="assistant", content=content, model=f"{provider}/{model}")
    return ModelResponse(message=message, stop_reason=stop_reason, usage=usage, incomplete_tool_calls=incomplete)


@dataclass
class _ChatReader:
    provider: str
    model: str
    text: str = ""
    thinking: str = ""
    calls: dict[int, _Call] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    yielded: bool = False

    @property
    def stopped(self) -> bool:
        # The SDK swallows [DONE]; a finish_reason is the only sign the reply is complete.
        return self.finish_reason is not None

    def feed(self, chunk: Any) -> list[ProviderEvent]:
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            self.usage = _usage(
                chunk.usage.prompt_tokens,
                details.cached_tokens if details else 0,
                getattr(details, "cache_write_tokens", 0) if details else 0,
                chunk.usage.completion_tokens,
            )
        out: list[ProviderEvent] = []
        for choice in chunk.choices[:1]:
            delta = choice.delta
            # Local servers stream reasoning as `reasoning_content` (vLLM, llama.cpp) or `reasoning`.
            reasoning = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
            if isinstance(reasoning, str) and reasoning:
                self.thinking += reasoning
                out.append(ThinkingDelta(text=reasoning))
            if delta.content:
                self.text += delta.content
                out.append(TextDelta(text=delta.content))
            for tool_call in delta.tool_calls or []:
                out += self._tool_delta(tool_call)
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return out

    def _tool_delta(self, tool_call: Any) -> list[ProviderEvent]:
        index = tool_call.index if tool_call.index is not None else max(self.calls, default=0)
        out: list[ProviderEvent] = []
        function = tool_call.function
        call = self.calls.get(index)
        if call is None:
            call = self.calls[index] = _Call(
                tool_call.id or new_id("call"), (function.name if function else None) or ""
            )
            out.append(ToolCallStarted(call_id=call.call_id, name=call.name))
        if function is not None and function.arguments:
            call.arguments += function.arguments
            out.append(ToolCallInputDelta(call_id=call.call_id, partial_json=function.arguments))
        return out

    def response(self) -> ModelResponse:
        stop = _FINISH_REASONS.get(self.finish_reason or "", "end_turn")
        calls = [self.calls[i] for i in sorted(self.calls)]
        return _finish(self.provider, self.model, self.thinking, self.text, calls, stop, self.usage)


@dataclass
class _ResponsesReader:
    provider: str
    model: str
    where: Where
    texts: dict[int, str] = field(default_factory=dict)
    thinking: str = ""
    calls: dict[str, _Call] = field(default_factory=dict)  # by item id
    stop_reason: StopReason = "end_turn"
    usage: TokenUsage = field(default_factory=TokenUsage)
    stopped: bool = False
    yielded: bool = False

    def feed(self, event: Any) -> list[ProviderEvent]:
        kind = event.type
        if kind == "response.output_item.added" and event.item.type == "function_call":
            item = event.item
            self.calls[item.id or item.call_id] = _Call(item.call_id, item.name)
            return [ToolCallStarted(call_id=item.call_id, name=item.name)]
        if kind == "response.output_text.delta":
            self.texts[event.output_index] = self.texts.get(event.output_index, "") + event.delta
            return [TextDelta(text=event.delta)]
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            self.thinking += event.delta
            return [ThinkingDelta(text=event.delta)]
        if kind == "response.function_call_arguments.delta" and event.item_id in self.calls:
            call = self.calls[event.item_id]
            call.arguments += event.delta
            return [ToolCallInputDelta(call_id=call.call_id, partial_json=event.delta)]
        if kind == "response.output_item.done" and event.item.type == "function_call":
            item = event.item
            call = self.calls.setdefault(item.id or item.call_id, _Call(item.call_id, item.name))
            call.arguments = item.arguments or call.arguments
        elif kind in ("response.completed", "response.incomplete"):
            self._finish(event.response)
        elif kind == "response.failed":
            error = event.response.error
            raise mid_stream_error(
                self.where, getattr(error, "code", None), getattr(error, "message", ""), partial=self.yielded
            )
        elif kind == "error":
            raise mid_stream_error(self.where, event.code, event.message, partial=self.yielded)
        return []

    def _finish(self, response: Any) -> None:
        self.stopped = True
        if response.status == "incomplete":
            reason = getattr(response.incomplete_details, "reason", None)
            self.stop_reason = "refusal" if reason == "content_filter" else "max_tokens"
        usage = response.usage
        if usage is not None:
            details = usage.input_tokens_details
            self.usage = _usage(
                usage.input_tokens,
                getattr(details, "cached_tokens", 0),
                getattr(details, "cache_write_tokens", 0),
                usage.output_tokens,
            )

    def response(self) -> ModelResponse:
        text = "".join(self.texts[i] for i in sorted(self.texts))
        calls = list(self.calls.values())
        return _finish(self.provider, self.model, self.thinking, text, calls, self.stop_reason, self.usage)


# What `OpenAIProvider.warm_up` has the SDK read: a chunk and an event with every part claw reads.
_CHAT_CHUNK = b"data: " + json.dumps({
    "id": "", "object": "chat.completion.chunk", "created": 0, "model": "",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "delta": {
        "role": "assistant", "content": "", "reasoning_content": "",
        "tool_calls": [{"index": 0, "id": "", "type": "function", "function": {"name": "", "arguments": ""}}],
    }}],
    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
              "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
}).encode() + b"\n\n"
_RESPONSES_EVENT = b"data: " + json.dumps({"type": "response.completed", "sequence_number": 0, "response": {
    "id": "", "object": "response", "created_at": 0, "model": "", "status": "completed",
    "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    "output": [
        {"type": "reasoning", "id": "", "summary": [{"type": "summary_text", "text": ""}]},
        {"type": "function_call", "id": "", "call_id": "", "name": "", "arguments": "", "status": "completed"},
        {"type": "message", "id": "", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "", "annotations": []}]},
    ],
    "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
              "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
              "output_tokens_details": {"reasoning_tokens": 0}},
}}).encode() + b"\n\n"
