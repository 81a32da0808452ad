"""A scripted model server on 127.0.0.1 speaking the real Anthropic and OpenAI wire formats.

A plain asyncio HTTP/1.1 server in a background thread: it needs full control of the
socket to cut a stream mid-chunk or stall it, which a framework would hide. Every response
closes its connection (`Connection: close`), so no keep-alive state is involved.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import wire_anthropic, wire_openai
from .script import Reply
from .sse import Stream

NO_SCRIPT = "fake model server: no scripted reply"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    json: Any = field(default=None)


class FakeModelServer:
    def __init__(self, models: list[str] | None = None, *, steady_rate: bool = False) -> None:
        self.models = list(models or ["llama3"])
        # With steady_rate, `Reply.token_delay` is kept as an average rate: each event waits for its
        # slot (start + index × delay), so delays under the event loop's 1 ms timer still give their rate.
        self.steady_rate = steady_rate
        # time.perf_counter() when the last byte of the latest streamed reply was written (benchmarks).
        self.last_chunk_at: float | None = None
        self.requests: list[RecordedRequest] = []
        self._replies: collections.deque[Reply] = collections.deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeModelServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-model-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def __enter__(self) -> FakeModelServer:  # noqa: PYI034 - start() returns the server
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- script -------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def clear_script(self) -> None:
        """Drop the replies not asked for yet (a killed client will not ask for them)."""
        with self._lock:
            self._replies.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def _next_reply(self, body: Any = None) -> Reply | None:
        """The reply routed to this request by `Reply.when`, else the next unrouted one."""
        first_user = _first_user_text(body)
        with self._lock:
            routed = [r for r in self._replies if r.when is not None and r.when in first_user]
            plain = [r for r in self._replies if r.when is None]
            reply = (routed or plain or [None])[0]
            if reply is not None:
                self._replies.remove(reply)
            return reply

    # --- HTTP ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await self._read_request(reader)
            if request is not None:
                self.requests.append(request)
                await self._answer(request, reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to answer
        except Exception as exc:  # noqa: BLE001 - a bug in the fake itself: fail the test loudly, not by a hang
            with contextlib.suppress(Exception):
                await _send_json(
                    writer, 500, {"error": {"type": "api_error", "message": f"fake model server bug: {exc!r}"}}
                )
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> RecordedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parsed = None
        if body:
            with contextlib.suppress(ValueError):
                parsed = json.loads(body)
        return RecordedRequest(method, target.split("?", 1)[0], headers, body, parsed)

    async def _answer(
        self, request: RecordedRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        path = request.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            await _send_json(writer, 200, self._model_list())
            return
        wire = _wire_for(path)
        if request.method != "POST" or wire is None:
            await _send_json(
                writer, 404, {"error": {"message": f"no route {request.method} {path}", "type": "not_found"}}
            )
            return
        reply = self._next_reply(request.json)
        if reply is None:
            await _send_json(writer, 500, wire.error_body(500, NO_SCRIPT))
            return
        fault = reply.fault
        if fault is not None and fault.kind == "http":
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["retry-after"] = _number(fault.retry_after)
            body = fault.body if fault.body is not None else wire.error_body(fault.status, fault.message)
            await _send_json(writer, fault.status, body, headers)
            return
        body = request.json if isinstance(request.json, dict) else {}
        if not body.get("stream"):
            await _send_json(writer, 200, wire.complete(reply, body, request.body))
            return
        await self._stream(wire, wire.stream(reply, body, request.body), reply, reader, writer)

    async def _stream(
        self, wire: _Wire, stream: Stream, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        fault = reply.fault
        events = stream.events
        if fault is not None and fault.kind == "no_stop":
            events = events[: fault.after_events] if fault.after_events is not None else events[: -stream.stop_events]
        head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
        writer.write((head + "transfer-encoding: chunked\r\nconnection: close\r\n\r\n").encode())
        await writer.drain()
        start = time.monotonic()
        for index, event in enumerate(events):
            if fault is not None and fault.after_events == index:
                if fault.kind == "error_event":
                    await _send_chunk(writer, wire.error_event(fault.error_type, fault.message, index))
                    break
                if fault.kind == "cut":
                    writer.transport.abort()
                    return
                if fault.kind == "stall" and await _client_left(reader, fault.seconds):
                    return
            if reply.token_delay and index:
                wait = start + index * reply.token_delay - time.monotonic() if self.steady_rate else reply.token_delay
                if wait > 0 and await _client_left(reader, wait):
                    return
            await _send_chunk(writer, event)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        self.last_chunk_at = time.perf_counter()

    def _model_list(self) -> dict[str, Any]:
        data = [
            {
                "id": m,
                "object": "model",
                "type": "model",
                "created": 0,
                "created_at": "2025-01-01T00:00:00Z",
                "owned_by": "fake",
                "display_name": m,
            }
            for m in self.models
        ]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return {"object": "list", "data": data, "has_more": False, "first_id": first, "last_id": last}


class _Wire:
    """One wire format's renderers, behind a common face."""

    def __init__(self, error_body, error_event, complete, stream) -> None:  # type: ignore[no-untyped-def]
        self.error_body = error_body
        self.error_event = error_event
        self.complete = complete
        self.stream = stream


_ANTHROPIC = _Wire(
    wire_anthropic.error_body,
    lambda kind, message, _seq: wire_anthropic.error_event(kind, message),
    wire_anthropic.message,
    wire_anthropic.stream,
)
_CHAT = _Wire(
    wire_openai.error_body,
    lambda kind, message, _seq: wire_openai.chat_error_event(kind, message),
    wire_openai.chat_completion,
    wire_openai.chat_stream,
)
_RESPONSES = _Wire(
    wire_openai.error_body, wire_openai.responses_error_event, wire_openai.response, wire_openai.responses_stream
)


def _wire_for(path: str) -> _Wire | None:
    if path.endswith("/messages"):
        return _ANTHROPIC
    if path.endswith("/chat/completions"):
        return _CHAT
    if path.endswith("/responses"):
        return _RESPONSES
    return None


def _first_user_text(body: Any) -> str:
    """The text of the first user message, on any wire (Messages, Chat Completions, Responses)."""
    if not isinstance(body, dict):
        return ""
    items = body.get("messages") or body.get("input") or []
    if isinstance(items, str):
        return items
    for item in items:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            return "".join(
                str(part.get("text", "")) for part in content or [] if isinstance(part, dict)
            )
    return ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def _send_json(
    writer: asyncio.StreamWriter, status: int, data: Any, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(data).encode()
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "content-type: application/json"]
    lines += [f"content-length: {len(body)}", "connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def _send_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def _client_left(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Wait `seconds`; True as soon as the client closes its end (it timed out or cancelled)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            data = await asyncio.wait_for(reader.read(1), left)
        except TimeoutError:
            return False
        except (ConnectionError, OSError):
            return True
        if not data:
            return True
    return False


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}
