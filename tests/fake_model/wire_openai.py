"""The OpenAI wires: Chat Completions chunks and Responses events, as `openai` parses them."""

from __future__ import annotations

import json
import time
from typing import Any

from .script import Reply, Text, Thinking, ToolCall, WebSearchCall, json_pieces, make_id, words
from .sse import Stream, sse

_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}

FINISH_REASONS = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length", "refusal": "content_filter"}


def error_body(status: int, message: str) -> dict[str, Any]:
    kind, code = _ERRORS.get(status, ("server_error", None))
    return {"error": {"message": message or f"fake {status} error", "type": kind, "param": None, "code": code}}


def chat_error_event(error_type: str, message: str) -> bytes:
    return sse({"error": {"message": message or error_type, "type": error_type, "param": None, "code": error_type}})


def responses_error_event(error_type: str, message: str, sequence: int) -> bytes:
    data = {
        "type": "error",
        "code": error_type,
        "message": message or error_type,
        "param": None,
        "sequence_number": sequence,
    }
    return sse(data, event="error")


# --- Chat Completions ---------------------------------------------------------------------


def _chat_usage(reply: Reply, body: bytes) -> dict[str, Any]:
    u = reply.token_usage(body)
    prompt = u["input_tokens"] + u["cache_read"] + u["cache_write"]
    details: dict[str, int] = {"cached_tokens": u["cache_read"]}
    if u["cache_write"]:
        details["cache_write_tokens"] = u["cache_write"]
    return {
        "prompt_tokens": prompt,
        "completion_tokens": u["output_tokens"],
        "total_tokens": prompt + u["output_tokens"],
        "prompt_tokens_details": details,
    }


def _call_ids(reply: Reply) -> list[str]:
    return [p.id or make_id("call") for p in reply.parts if isinstance(p, ToolCall)]


def chat_completion(reply: Reply, request: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The non-streaming response."""
    ids = iter(_call_ids(reply))
    calls = [
        {"id": next(ids), "type": "function", "function": {"name": p.name, "arguments": json.dumps(p.input)}}
        for p in reply.parts
        if isinstance(p, ToolCall)
    ]
    text = "".join(p.text for p in reply.parts if isinstance(p, Text))
    return {
        "id": make_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "gpt"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text or None, "tool_calls": calls or None},
                "finish_reason": FINISH_REASONS.get(reply.final_stop_reason, "stop"),
            }
        ],
        "usage": _chat_usage(reply, body),
    }


def chat_stream(reply: Reply, request: dict[str, Any], body: bytes) -> Stream:
    base = {"id": make_id("chatcmpl"), "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = request.get("model", "gpt")
    events: list[bytes] = []

    def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
        events.append(sse(base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))

    chunk({"role": "assistant", "content": ""})
    ids = iter(_call_ids(reply))
    call_index = 0
    for part in reply.parts:
        if isinstance(part, Text):
            for piece in words(part.text):
                chunk({"content": piece})
        elif isinstance(part, Thinking):
            # Local servers (vLLM, llama.cpp, DeepSeek) stream reasoning this way.
            for piece in words(part.text):
                chunk({"reasoning_content": piece})
        elif isinstance(part, WebSearchCall):
            continue  # Chat Completions has no server-side search
        else:
            head = {"index": call_index, "id": next(ids), "type": "function"}
            chunk({"tool_calls": [head | {"function": {"name": part.name, "arguments": ""}}]})
            for piece in json_pieces(part, reply.truncate_tool_json):
                chunk({"tool_calls": [{"index": call_index, "function": {"arguments": piece}}]})
            call_index += 1
    stop = 1
    chunk({}, FINISH_REASONS.get(reply.final_stop_reason, "stop"))
    if (request.get("stream_options") or {}).get("include_usage"):
        events.append(sse(base | {"choices": [], "usage": _chat_usage(reply, body)}))
        stop += 1
    events.append(sse("[DONE]"))
    return Stream(events=events, stop_events=stop + 1)


# --- Responses ----------------------------------------------------------------------------


def _responses_usage(reply: Reply, body: bytes) -> dict[str, Any]:
    u = reply.token_usage(body)
    total_in = u["input_tokens"] + u["cache_read"] + u["cache_write"]
    return {
        "input_tokens": total_in,
        "input_tokens_details": {"cached_tokens": u["cache_read"], "cache_write_tokens": u["cache_write"]},
        "output_tokens": u["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": total_in + u["output_tokens"],
    }


def _output_items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cited: list[tuple[str, str]] = []  # the results of the searches before a text, cited in it
    for part in reply.parts:
        if isinstance(part, WebSearchCall):
            sources = [{"type": "url", "url": url} for _, url in part.results]
            action = {"type": "search", "query": part.query, "sources": sources}
            items.append({"id": make_id("ws"), "type": "web_search_call", "status": "completed", "action": action})
            cited += part.results
            continue
        if isinstance(part, Text):
            notes = [
                {"type": "url_citation", "start_index": 0, "end_index": len(part.text), "title": title, "url": url}
                for title, url in cited
            ]
            cited = []
            content = [{"type": "output_text", "text": part.text, "annotations": notes}]
            items.append(
                {
                    "id": make_id("msg"),
                    "type": "message",
                    "role": "assistant",
                    "status": "completed",
                    "content": content,
                }
            )
        elif isinstance(part, Thinking):
            summary = [{"type": "summary_text", "text": part.text}]
            items.append({"id": make_id("rs"), "type": "reasoning", "summary": summary})
        else:
            args = "".join(json_pieces(part, reply.truncate_tool_json))
            status = "incomplete" if reply.truncate_tool_json else "completed"
            items.append(
                {
                    "id": make_id("fc"),
                    "type": "function_call",
                    "call_id": part.id or make_id("call"),
                    "name": part.name,
                    "arguments": args,
                    "status": status,
                }
            )
    return items


def _response(
    reply: Reply, request: dict[str, Any], body: bytes, items: list[dict[str, Any]], status: str
) -> dict[str, Any]:
    incomplete = None
    if status == "incomplete":
        reason = "content_filter" if reply.final_stop_reason == "refusal" else "max_output_tokens"
        incomplete = {"reason": reason}
    return {
        "id": make_id("resp"),
        "object": "response",
        "created_at": time.time(),
        "model": request.get("model", "gpt"),
        "status": status,
        "output": items,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "incomplete_details": incomplete,
        "error": None,
        "usage": _responses_usage(reply, body) if status != "in_progress" else None,
    }


def _final_status(reply: Reply) -> str:
    return "incomplete" if reply.final_stop_reason in ("max_tokens", "refusal") else "completed"


def response(reply: Reply, request: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The non-streaming response."""
    return _response(reply, request, body, _output_items(reply), _final_status(reply))


def responses_stream(reply: Reply, request: dict[str, Any], body: bytes) -> Stream:
    events: list[bytes] = []

    def event(name: str, **data: Any) -> None:
        events.append(sse({"type": name, "sequence_number": len(events), **data}, event=name))

    items = _output_items(reply)
    event("response.created", response=_response(reply, request, body, [], "in_progress"))
    for index, (part, item) in enumerate(zip(reply.parts, items, strict=True)):
        at = {"item_id": item["id"], "output_index": index}
        if isinstance(part, Text):
            event(
                "response.output_item.added", output_index=index, item=item | {"status": "in_progress", "content": []}
            )
            empty = {"type": "output_text", "text": "", "annotations": []}
            event("response.content_part.added", **at, content_index=0, part=empty)
            for piece in words(part.text):
                event("response.output_text.delta", **at, content_index=0, delta=piece, logprobs=[])
            event("response.output_text.done", **at, content_index=0, text=part.text, logprobs=[])
            event("response.content_part.done", **at, content_index=0, part=item["content"][0])
        elif isinstance(part, WebSearchCall):
            event("response.output_item.added", output_index=index, item=item | {"status": "in_progress"})
        elif isinstance(part, Thinking):
            event("response.output_item.added", output_index=index, item=item | {"summary": []})
            event(
                "response.reasoning_summary_part.added",
                **at,
                summary_index=0,
                part={"type": "summary_text", "text": ""},
            )
            for piece in words(part.text):
                event("response.reasoning_summary_text.delta", **at, summary_index=0, delta=piece)
            event("response.reasoning_summary_text.done", **at, summary_index=0, text=part.text)
            event("response.reasoning_summary_part.done", **at, summary_index=0, part=item["summary"][0])
        else:
            event(
                "response.output_item.added", output_index=index, item=item | {"arguments": "", "status": "in_progress"}
            )
            for piece in json_pieces(part, reply.truncate_tool_json):
                event("response.function_call_arguments.delta", **at, delta=piece)
            event("response.function_call_arguments.done", **at, arguments=item["arguments"])
        event("response.output_item.done", output_index=index, item=item)
    status = _final_status(reply)
    name = "response.completed" if status == "completed" else "response.incomplete"
    event(name, response=_response(reply, request, body, items, status))
    return Stream(events=events, stop_events=1)
