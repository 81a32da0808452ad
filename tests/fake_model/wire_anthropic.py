"""The Anthropic Messages wire: SSE events exactly as `anthropic` parses them."""

from __future__ import annotations

from typing import Any

from .script import Reply, Text, Thinking, ToolCall, WebSearchCall, json_pieces, make_id, words
from .sse import Stream, sse

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
    503: "overloaded_error",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message or f"fake {status} error"}}


def error_event(error_type: str, message: str) -> bytes:
    return sse({"type": "error", "error": {"type": error_type, "message": message or error_type}}, event="error")


def _usage(reply: Reply, body: bytes, *, final: bool) -> dict[str, Any]:
    u = reply.token_usage(body)
    usage: dict[str, Any] = {
        "input_tokens": u["input_tokens"],
        "output_tokens": u["output_tokens"] if final else 1,
        "cache_creation_input_tokens": u["cache_write"],
        "cache_read_input_tokens": u["cache_read"],
    }
    if reply.searches:
        usage["server_tool_use"] = {"web_search_requests": len(reply.searches), "web_fetch_requests": 0}
    return usage


def _search_blocks(part: WebSearchCall) -> list[dict[str, Any]]:
    call_id = make_id("srvtoolu")
    content: Any = (
        {"type": "web_search_tool_result_error", "error_code": part.error}
        if part.error
        else [
            {"type": "web_search_result", "title": title, "url": url, "encrypted_content": "enc", "page_age": None}
            for title, url in part.results
        ]
    )
    return [
        {"type": "server_tool_use", "id": call_id, "name": "web_search", "input": {"query": part.query}},
        {"type": "web_search_tool_result", "tool_use_id": call_id, "content": content},
    ]


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in reply.parts:
        if isinstance(part, Text):
            out.append({"type": "text", "text": part.text})
        elif isinstance(part, Thinking):
            out.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, ToolCall):
            out.append({"type": "tool_use", "id": part.id or make_id("toolu"), "name": part.name, "input": part.input})
        elif isinstance(part, WebSearchCall):
            out += _search_blocks(part)
    return out


def message(reply: Reply, request: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The non-streaming response."""
    return {
        "id": make_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "claude"),
        "content": _blocks(reply),
        "stop_reason": reply.final_stop_reason,
        "stop_sequence": None,
        "usage": _usage(reply, body, final=True),
    }


def stream(reply: Reply, request: dict[str, Any], body: bytes) -> Stream:
    start = message(reply, request, body) | {"content": [], "stop_reason": None}
    start["usage"] = _usage(reply, body, final=False)
    events = [sse({"type": "message_start", "message": start}, event="message_start")]

    def event(name: str, **data: Any) -> None:
        events.append(sse({"type": name, **data}, event=name))

    index = 0
    for part in reply.parts:
        if isinstance(part, WebSearchCall):  # whole blocks, as the API sends a finished search
            for block in _search_blocks(part):
                event("content_block_start", index=index, content_block=block)
                event("content_block_stop", index=index)
                index += 1
            continue
        if isinstance(part, Text):
            event("content_block_start", index=index, content_block={"type": "text", "text": ""})
            for piece in words(part.text):
                event("content_block_delta", index=index, delta={"type": "text_delta", "text": piece})
        elif isinstance(part, Thinking):
            block = {"type": "thinking", "thinking": "", "signature": ""}
            event("content_block_start", index=index, content_block=block)
            for piece in words(part.text):
                event("content_block_delta", index=index, delta={"type": "thinking_delta", "thinking": piece})
            event("content_block_delta", index=index, delta={"type": "signature_delta", "signature": part.signature})
        else:
            block = {"type": "tool_use", "id": part.id or make_id("toolu"), "name": part.name, "input": {}}
            event("content_block_start", index=index, content_block=block)
            for piece in json_pieces(part, reply.truncate_tool_json):
                event("content_block_delta", index=index, delta={"type": "input_json_delta", "partial_json": piece})
        event("content_block_stop", index=index)
        index += 1
    event(
        "message_delta",
        delta={"stop_reason": reply.final_stop_reason, "stop_sequence": None},
        usage=_usage(reply, body, final=True),
    )
    event("message_stop")
    return Stream(events=events, stop_events=1)
