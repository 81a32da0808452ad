"""claw's side of the provider host (host.py): the process, and providers whose calls it makes.

`claw` starts the host before anything else loads, so the model's SDK loads on the other core while
the app draws; the agent then builds its providers there (agent.py). They behave as the providers
in claw's own process do, errors and a cancel's usage included. A host that dies fails the calls it
had, as a server error a retry may cure: the next call starts a new host.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncGenerator
from dataclasses import asdict
from functools import cache
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: `claw` starts the host before anything else loads (asyncio: 40 ms)
    import asyncio

    from claw_tui.providers.base import (
        ModelRequest,
        ProviderError,
        ProviderEvent,
        TokenUsage,
        WebSearcher,
        WebSearchResult,
    )
    from claw_tui.providers.registry import ProviderSpec

CANCEL_WAIT_S = 2.0  # for the host to say what a cancelled call had used
# A streaming call's answers come within its provider's idle timeout; beyond it by this much the host
# hangs. It covers building the provider in a host started again (the SDK's import).
HOST_GRACE_S = 15.0
# One message is one line: a whole conversation (images included) or a whole answer.
LINE_LIMIT = 1 << 30


class ProviderHost:
    def __init__(self) -> None:
        self._model: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._stderr: IO[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None  # the host's answers, read into the calls' queues
        self._calls: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._last_call = 0
        self.answered = False  # whether a host has ever answered: one that cannot start never does
        self._spawn()

    @classmethod
    def start(cls) -> ProviderHost | None:
        """The host, started now; None where no process can be started (then claw's providers run in
        its own process)."""
        try:
            return cls()
        except OSError:
            return None

    def preload(self, model: str) -> None:
        """Have the host load `model`'s SDK now, before the first call asks for it."""
        self._model = model
        if self._socket is not None and self._writer is None:  # before the event loop: this is all it sends
            self._socket.sendall(json.dumps({"op": "preload", "model": model}).encode() + b"\n")

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept for the reason the host ended
        command = [sys.executable, "-P", "-m", "claw_tui.providers.host", "--fd", str(theirs.fileno())]
        try:
            # -P: not the project's folder on the import path (a repository's json.py is not imported).
            # A session of its own: a Ctrl+C at the terminal is claw's to handle, not the host's.
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                pass_fds=(theirs.fileno(),), start_new_session=True,
            )  # fmt: skip
        finally:
            theirs.close()
        self._socket = ours

    async def provider(self, spec: ProviderSpec, model: str) -> RemoteProvider:
        """The provider `spec` describes, built in the host (its first request to `model` loaded)."""
        made = await self.request("make", spec=asdict(spec), model=model)
        return RemoteProvider(self, spec, web_search=made["web_search"])

    async def request(self, op: str, **fields: Any) -> Any:
        """One call with one answer: its result, or its error raised."""
        call, answers = await self.begin(op, **fields)
        try:
            answer = await answers.get()
        finally:
            self.forget(call)
        if "error" in answer:
            raise _provider_error(answer["error"])
        return answer["result"]

    async def begin(self, op: str, **fields: Any) -> tuple[int, asyncio.Queue[dict[str, Any]]]:
        """Send a call; its answers arrive in the queue."""
        import asyncio

        writer = await self._connection()
        self._last_call += 1
        call = self._last_call
        answers = self._calls[call] = asyncio.Queue()
        writer.write(json.dumps({"op": op, "call": call, **fields}).encode() + b"\n")
        return call, answers

    async def answer(self, answers: asyncio.Queue[dict[str, Any]], within: float) -> dict[str, Any]:
        """A call's next answer; a host silent for `within` seconds is stopped, and the call fails as
        a host that ended does (a retry starts another)."""
        import asyncio

        try:
            async with asyncio.timeout(within):
                return await answers.get()
        except TimeoutError:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
            message = f"claw's provider process gave no answer for {within:.0f} s; claw stopped it"
            if self._writer is not None:
                self._ended(self._writer, message, "stream")
            return {"error": {"message": message, "kind": "stream", "ended": True}}

    def forget(self, call: int) -> None:
        """A call that has had its last answer."""
        self._calls.pop(call, None)

    async def cancel(self, call: int, answers: asyncio.Queue[dict[str, Any]]) -> TokenUsage | None:
        """Stop a streaming call; what it had used, as the host's provider reports it."""
        import asyncio

        if self._writer is None:
            return None
        self._writer.write(json.dumps({"op": "cancel", "call": call}).encode() + b"\n")
        try:
            async with asyncio.timeout(CANCEL_WAIT_S):
                while "cut_short" not in (answer := await answers.get()):
                    if "error" in answer and answer["error"].get("ended"):
                        return None
        except TimeoutError:
            return None
        finally:
            self.forget(call)
        from claw_tui.providers.base import TokenUsage

        usage = answer["cut_short"]
        return TokenUsage.model_validate(usage) if usage is not None else None

    async def _connection(self) -> asyncio.StreamWriter:
        import asyncio

        if self._writer is None:
            if self._socket is None:
                self._spawn()  # the last host ended
                if self._model is not None:
                    self.preload(self._model)
            assert self._socket is not None
            reader, self._writer = await asyncio.open_connection(sock=self._socket, limit=LINE_LIMIT)
            self._reading = asyncio.get_running_loop().create_task(self._read(reader, self._writer))
        return self._writer

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):  # a host that breaks off has ended too
            while line := await reader.readline():
                answer = json.loads(line)
                self.answered = True
                if (answers := self._calls.get(answer["call"])) is not None:
                    answers.put_nowait(answer)
        if self._writer is writer:  # not given up on already (a host that hung)
            self._ended(writer, self._why_ended(), "server")

    def _ended(self, writer: asyncio.StreamWriter, message: str, kind: str) -> None:
        """The host is gone: the calls it had fail, and the next call starts another."""
        writer.close()
        self._writer, self._socket = None, None
        calls, self._calls = self._calls, {}
        for answers in calls.values():
            answers.put_nowait({"error": {"message": message, "kind": kind, "ended": True}})

    def _why_ended(self) -> str:
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=0.5)  # it is ending: its socket closed
            except subprocess.TimeoutExpired:
                self._process.kill()
        last = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
            last = f": {lines[-1]}" if lines else ""
        return f"claw's provider process {_how_it_ended(code)}{last}"

    def close(self) -> None:
        """End the host (claw is ending)."""
        if self._writer is not None:
            with contextlib.suppress(RuntimeError):  # its event loop has ended already (the app's has)
                self._writer.close()
        elif self._socket is not None:
            self._socket.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._process.kill()


class RemoteProvider:
    """A provider whose calls the host makes (the Provider protocol in base.py)."""

    def __init__(self, host: ProviderHost, spec: ProviderSpec, *, web_search: bool) -> None:
        self.name = spec.name
        self._host = host
        self._spec = asdict(spec)
        self._web_search = web_search
        self._cut_short: TokenUsage | None = None

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ProviderEvent, None]:
        call, answers = await self._host.begin("stream", spec=self._spec, request=request.model_dump(mode="json"))
        over = yielded = False
        try:
            while True:
                # The host's provider says something within its idle timeout (an event, or that the stream
                # stalled); a host silent for longer hangs.
                answer = await self._host.answer(answers, self._spec["idle_timeout"] + HOST_GRACE_S)
                if "event" in answer:
                    event = answer["event"]
                    yielded = True
                    yield _event_types()[event["type"]].model_validate(event)
                elif "end" in answer:
                    over = True
                    return
                elif "error" in answer:
                    over = True
                    error = _provider_error(answer["error"])
                    error.partial = error.partial or yielded  # the host ended mid-stream
                    raise error
        finally:
            if over:
                self._host.forget(call)
            else:  # cancelled, or closed at a yield
                self._cut_short = await self._host.cancel(call, answers)

    async def list_models(self) -> list[str]:
        return list(await self._host.request("list_models", spec=self._spec))

    def take_cut_short_usage(self) -> TokenUsage | None:
        usage, self._cut_short = self._cut_short, None
        return usage

    @property
    def web_searcher(self) -> WebSearcher | None:
        return self if self._web_search else None

    async def web_search(
        self, model: str, query: str, allowed_domains: list[str] | None, blocked_domains: list[str] | None
    ) -> WebSearchResult:
        from claw_tui.providers.base import WebSearchResult

        args = {"model": model, "query": query, "allowed_domains": allowed_domains, "blocked_domains": blocked_domains}
        return WebSearchResult.model_validate(await self._host.request("web_search", spec=self._spec, args=args))

    def warm_up(self, model: str) -> None:
        """Nothing here: the host warms a provider up as it builds it."""


def _how_it_ended(code: int | None) -> str:
    if code is None or code >= 0:
        return f"ended (exit status {code})"
    try:
        return f"was stopped by {signal.Signals(-code).name}"
    except ValueError:
        return f"was stopped by signal {-code}"


@cache
def _event_types() -> dict[str, Any]:
    from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
    from claw_tui.providers.base import ModelResponse

    return {
        "text_delta": TextDelta, "thinking_delta": ThinkingDelta, "tool_call_started": ToolCallStarted,
        "tool_call_input_delta": ToolCallInputDelta, "model_response": ModelResponse,
    }  # fmt: skip


def _provider_error(error: dict[str, Any]) -> ProviderError:
    from claw_tui.providers.base import ProviderError

    return ProviderError(
        error["message"], kind=error["kind"], status=error.get("status"), retry_after=error.get("retry_after"),
        partial=bool(error.get("partial")),
    )  # fmt: skip
