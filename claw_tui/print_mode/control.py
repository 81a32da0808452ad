"""`--input-format stream-json`: the Agent SDK's side of the conversation, on standard input.

Each line is a JSON message: a `user` message starts a turn (or waits for the running one), a
`control_request` asks claw something (initialize, interrupt, set_permission_mode, set_model,
mcp_status, mcp_reconnect, mcp_toggle), a `control_response` answers what claw asked (the
can_use_tool permission callback of `--permission-prompt-tool stdio`). Every control request
gets a response; one claw cannot serve gets an error response, never silence. The shapes follow
the `claude-agent-sdk` package's query.py and the recording of Claude Code in
tests/print_mode/recordings/stream_input.jsonl.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.transcript import ImageBlock, Message, TextBlock

if TYPE_CHECKING:
    from claw_tui.print_mode.run import PrintSession

Write = Callable[[dict[str, Any]], None]


class ControlChannel:
    """Control requests claw sends to the host, matched with the responses that come back."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._count = 0
        self.closed: str | None = None  # why the host can answer no more, once it cannot

    async def request(self, subtype: str, **fields: Any) -> dict[str, Any]:
        """Send a request and wait for its response; an error response raises ControlError."""
        if self.closed is not None:
            raise ControlError(self.closed)
        self._count += 1
        request_id = f"claw_req_{self._count}_{os.urandom(4).hex()}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self.write({"type": "control_request", "request_id": request_id, "request": {"subtype": subtype, **fields}})
        try:
            return await future
        finally:
            self._pending.pop(request_id, None)

    def resolve(self, message: dict[str, Any]) -> None:
        """A control_response from the host: settle the request it answers."""
        response = message.get("response") or {}
        future = self._pending.get(str(response.get("request_id")))
        if future is None or future.done():
            return
        if response.get("subtype") == "error":
            future.set_exception(ControlError(str(response.get("error") or "the host answered with an error")))
        else:
            future.set_result(response.get("response") or {})

    def close(self, reason: str) -> None:
        """The host went away: nothing it was asked, or will be asked, is answered."""
        self.closed = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ControlError(reason))

    def respond(self, request_id: str, response: dict[str, Any] | None = None, error: str | None = None) -> None:
        if error is not None:
            self.write({"type": "control_response", "response": {
                "subtype": "error", "request_id": request_id, "error": error}})
        else:
            self.write({"type": "control_response", "response": {
                "subtype": "success", "request_id": request_id, "response": response or {}}})


class ControlError(Exception):
    """The host answered a control request with an error, or cannot answer any more."""


class StdioApprover:
    """`--permission-prompt-tool stdio`: each permission ask goes to the host as can_use_tool."""

    def __init__(self, channel: ControlChannel) -> None:
        self.channel = channel
        # Applies a permission update the host sends with its answer (rules, a mode); set by print mode.
        self.on_update: Callable[[dict[str, Any]], None] | None = None

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        suggestions = []
        if request.suggested_rule:
            tool, _, rest = request.suggested_rule.partition("(")
            rule = {"toolName": tool, **({"ruleContent": rest[:-1]} if rest else {})}
            suggestions.append({"type": "addRules", "rules": [rule], "behavior": "allow", "destination": "session"})
        try:
            answer = await self.channel.request(
                "can_use_tool",
                tool_name=request.tool_name,
                display_name=request.tool_name,
                input=request.input,
                description=request.summary,
                permission_suggestions=suggestions,
                blocked_path=None,
                decision_reason=request.reason,
                tool_use_id=request.call_id,
            )
        except ControlError as exc:
            return ApprovalResponse(behavior="deny", note=f"The permission callback failed: {exc}")
        if answer.get("behavior") != "allow":
            return ApprovalResponse(behavior="deny", note=str(answer.get("message") or ""))
        for update in answer.get("updatedPermissions") or []:
            if self.on_update is not None:
                self.on_update(update)
        updated = answer.get("updatedInput")
        return ApprovalResponse(behavior="allow", updated_input=updated if isinstance(updated, dict) else None)


def user_message(message: dict[str, Any]) -> Message:
    """A stream-json `user` line's message as a transcript message (text and image blocks)."""
    content = (message.get("message") or {}).get("content")
    if isinstance(content, str):
        return Message(role="user", content=[TextBlock(text=content)])
    blocks: list[TextBlock | ImageBlock] = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            blocks.append(TextBlock(text=str(block.get("text", ""))))
        elif block.get("type") == "image" and isinstance(block.get("source"), dict):
            source = block["source"]
            blocks.append(ImageBlock(media_type=str(source.get("media_type", "")), data=str(source.get("data", ""))))
    if not blocks:
        raise ValueError("a user message needs text or image content")
    return Message(role="user", content=list(blocks))


def read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
    """Standard input's lines onto `queue` (None at the end), from a thread: a pipe, a file or a
    socket alike, without blocking the event loop."""

    def pump() -> None:
        try:
            for line in sys.stdin.buffer:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="claw-stdin", daemon=True).start()


class StreamInput:
    """The conversation with an Agent SDK program: prompts in order, control requests at once."""

    def __init__(self, session: PrintSession, channel: ControlChannel) -> None:
        self.session = session
        self.channel = channel
        self.prompts: asyncio.Queue[Message | None] = asyncio.Queue()
        self.current: asyncio.Task[None] | None = None
        self.last_error = False
        self.handlers: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            "initialize": session.initialize,
            "interrupt": self.interrupt,
            "set_permission_mode": session.set_permission_mode,
            "set_model": session.set_model,
            "mcp_status": session.mcp_status,
            "mcp_reconnect": session.mcp_reconnect,
            "mcp_toggle": session.mcp_toggle,
        }

    async def serve(self) -> int:
        """Until standard input ends and the prompts it sent are answered; 1 if the last turn failed."""
        lines: asyncio.Queue[bytes | None] = asyncio.Queue()
        read_lines(asyncio.get_running_loop(), lines)
        turns = asyncio.create_task(self._run_turns())
        tasks: set[asyncio.Task[None]] = set()
        while (raw := await lines.get()) is not None:
            task = self._dispatch(raw)
            if task is not None:
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        self.channel.close("standard input ended")  # a permission ask now waiting is denied, not a hang
        await self.prompts.put(None)
        await turns
        for task in list(tasks):
            task.cancel()
        return 1 if self.last_error else 0

    def _dispatch(self, raw: bytes) -> asyncio.Task[None] | None:
        try:
            message = json.loads(raw)
        except ValueError:
            if raw.strip():
                self.session.note(f"ignored a line on standard input that is not JSON: {raw[:80]!r}")
            return None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "user":
            try:
                self.prompts.put_nowait(user_message(message))
            except ValueError as exc:
                self.session.note(f"ignored a user message: {exc}")
            return None
        if kind == "control_request":
            return asyncio.create_task(self._control(message))
        if kind == "control_response":
            self.channel.resolve(message)
        elif kind not in ("keep_alive", "control_cancel_request"):
            self.session.note(f"ignored a message of type {kind!r} on standard input")
        return None

    async def _control(self, message: dict[str, Any]) -> None:
        request_id = str(message.get("request_id", ""))
        request = message.get("request") or {}
        subtype = str(request.get("subtype", ""))
        handler = self.handlers.get(subtype)
        if handler is None:
            self.channel.respond(request_id, error=f"Unsupported control request subtype: {subtype}")
            return
        try:
            response = await handler(request)
        except Exception as exc:  # noqa: BLE001 - any failure is the host's answer, never a hang
            self.channel.respond(request_id, error=str(exc) or type(exc).__name__)
            return
        self.channel.respond(request_id, response)

    async def interrupt(self, request: dict[str, Any]) -> dict[str, Any]:
        """Stop the running turn where it is; its result says it was interrupted."""
        if self.current is not None and not self.current.done():
            self.current.cancel()
        return {"still_queued": []}

    async def _run_turns(self) -> None:
        while (prompt := await self.prompts.get()) is not None:
            self.current = asyncio.create_task(self.session.turn(prompt))
            try:
                await self.current
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise  # claw itself is stopping
                self.session.interrupted()
            self.last_error = self.session.finish_turn() != 0
            self.current = None
