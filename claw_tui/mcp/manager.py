"""Running MCP servers: one asyncio task per server holding the SDK's ClientSession.

Each task connects (stdio, SSE, streamable HTTP or WebSocket), runs the initialize
handshake, lists tools, resources and prompts, then waits: for a `list_changed`
notification (refresh that list), for the connection to drop (reconnect with backoff),
or for a request from the user (reconnect, enable, disable, trust, sign in). A server that
fails never stops the others or the session; its status and last error say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from claw_tui.config import user_data_dir
from claw_tui.core import pooled_servers
from claw_tui.core.private_files import open_private
from claw_tui.mcp.config import ServerConfig, TrustStore, file_stem, load_servers
from claw_tui.mcp.oauth import LOGIN_TIMEOUT, AuthRequired, CallbackHandler, RedirectHandler
from claw_tui.mcp.pins import PinStore
from claw_tui.mcp.tools import McpTool, content_blocks, cut_text, tool_name
from claw_tui.tools.base import ToolError

if TYPE_CHECKING:
    import mcp_types
    from mcp.client.session import ClientSession

    from claw_tui.core.transcript import ImageBlock, TextBlock

Status = Literal["connecting", "connected", "failed", "disabled", "needs-trust", "needs-auth"]
# A status in a sentence: "MCP server x <words>".
STATUS_WORDS: dict[str, str] = {
    "connecting": "is still connecting", "connected": "is connected", "failed": "failed to start",
    "disabled": "is disabled", "needs-trust": "needs your trust", "needs-auth": "needs you to sign in",
}


@dataclass(frozen=True)
class ServerStatus:
    """What the /mcp screen shows for one server."""

    name: str
    transport: str
    scope: str
    source: str
    status: Status
    tools: int
    resources: int
    prompts: int
    last_error: str | None
    server_info: str | None  # "name version" from the handshake


@dataclass(frozen=True)
class ResourceEntry:
    server: str
    uri: str
    name: str
    description: str | None
    mime_type: str | None

    @property
    def mention(self) -> str:
        return f"@{self.server}:{self.uri}"


@dataclass(frozen=True)
class PromptEntry:
    server: str
    name: str
    description: str | None
    arguments: tuple[tuple[str, bool, str | None], ...]  # (name, required, description)

    @property
    def command(self) -> str:
        """The slash command, `/server:prompt` as in Claude Code (without the slash)."""
        return f"{self.server}:{self.name}"


def parse_mention(text: str, servers: Iterable[str]) -> tuple[str, str] | None:
    """`@server:uri` → (server, uri) when `server` is a known server, else None."""
    if not text.startswith("@") or ":" not in text:
        return None
    server, uri = text[1:].split(":", 1)
    return (server, uri) if server in set(servers) and uri else None


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe_error(exc: BaseException) -> str:
    exc = _leaf(exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"command not found: {exc.filename}"
    return text


class _EofWatch:
    """The transport's read stream, telling the server task when it ends (process gone, socket shut)."""

    def __init__(self, inner: Any, on_eof: Callable[[], None]) -> None:
        self._inner = inner
        self._on_eof = on_eof

    async def receive(self) -> Any:
        return await self.__anext__()

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _EofWatch:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self._inner.__anext__()
        except (StopAsyncIteration, anyio.EndOfStream, anyio.ClosedResourceError):
            self._on_eof()
            raise

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.aclose()

    def __getattr__(self, name: str) -> Any:  # `last_context` on the SDK's context streams
        return getattr(self._inner, name)


class _Server:
    """One configured server and the task that keeps it connected."""

    def __init__(self, manager: McpManager, config: ServerConfig) -> None:
        self.manager = manager
        self.config = config
        self.status: Status = "connecting"
        self.last_error: str | None = config.error
        self.session: ClientSession | None = None
        self.server_info: str | None = None
        self.tools: list[mcp_types.Tool] = []
        self.resources: list[mcp_types.Resource] = []
        self.prompts: list[mcp_types.Prompt] = []
        self.task: asyncio.Task[None] | None = None
        self.interactive_auth = False
        self.pin_on_connect = False  # the user just trusted it: its tools as they come are the approved ones
        self._changed = asyncio.Event()
        self._signal = asyncio.Event()
        self._lost = False
        self._restart = False
        self._pending_refresh: set[str] = set()
        self._transport_error: BaseException | None = None
        self._auth_needed = False

    # --- state shared with callers -------------------------------------------------------

    def snapshot(self) -> ServerStatus:
        return ServerStatus(
            name=self.config.name,
            transport=self.config.transport,
            scope=self.config.scope,
            source=self.config.source,
            status=self.status,
            tools=len(self.tools),
            resources=len(self.resources),
            prompts=len(self.prompts),
            last_error=self.last_error,
            server_info=self.server_info,
        )

    def set_status(self, status: Status, error: str | None = None) -> None:
        self.status = status
        if error is not None:
            self.last_error = error
        self._changed.set()
        self._changed = asyncio.Event()
        self.manager.notify(self)

    async def changed(self) -> None:
        await self._changed.wait()

    def restart(self) -> None:
        """Drop the connection (or skip the backoff wait) and connect again now."""
        self._restart = True
        self._signal.set()
        if self.status != "connecting":
            self.session = None
            self.set_status("connecting")

    def connection_lost(self) -> None:
        self._lost = True
        self._signal.set()
        if self.status == "connected":  # callers must not reuse the dead session meanwhile
            self.session = None
            self.set_status("connecting")

    # --- the task --------------------------------------------------------------------------

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name=f"mcp:{self.config.name}")

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None
        self.session = None

    async def _run(self) -> None:
        failures = 0
        while True:
            self._restart = False
            self._lost = False
            self._signal.clear()
            self.set_status("connecting")
            was_up = False
            try:
                was_up = await self._connect_and_serve()
            except Exception as exc:  # noqa: BLE001 - any failure of one server is shown, never raised
                if self._auth_needed:  # whatever the SDK made of the AuthRequired from _redirect
                    self.set_status(
                        "needs-auth", f"sign-in required for {self.config.name} (authenticate from /mcp)"
                    )
                    self._signal.clear()
                    await self._signal.wait()
                    continue
                self.set_status("failed", self._failure_text(exc))
            else:
                if self._restart:
                    continue
                self.set_status("failed", self._failure_text(None))
            finally:
                self.session = None
                self.manager.tools_changed()
            failures = 0 if was_up else failures + 1
            if self._restart:
                continue
            if failures > self.manager.max_retries:
                self._signal.clear()
                await self._signal.wait()  # given up: only the user's reconnect starts it again
                failures = 0
                continue
            delay = 0.0 if failures == 0 else min(self.manager.retry_base * 2 ** (failures - 1), 30.0)
            self._signal.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), delay)

    def _failure_text(self, exc: BaseException | None) -> str:
        parts = []
        if exc is not None:
            parts.append(describe_error(exc))
        elif self._transport_error is not None:
            parts.append(describe_error(self._transport_error))
        else:
            parts.append("connection closed")
        if self.config.transport == "stdio" and (tail := self.stderr_tail()):
            parts.append(f"stderr: {tail}")
        return "; ".join(parts)

    def _log_path(self) -> Path:
        return user_data_dir() / "mcp-logs" / f"{file_stem(self.config.name)}.log"

    def stderr_tail(self, lines: int = 5) -> str:
        try:
            text = self._log_path().read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line for line in text.strip().splitlines()[-lines:] if line.strip())

    async def _on_message(self, message: Any) -> None:
        import mcp_types

        if isinstance(message, Exception):
            self._transport_error = message
            self._signal.set()  # wakes a pending initialize; the serving loop ignores it
            return
        kinds: dict[type, str] = {
            mcp_types.ToolListChangedNotification: "tools",
            mcp_types.ResourceListChangedNotification: "resources",
            mcp_types.PromptListChangedNotification: "prompts",
        }
        kind = kinds.get(type(message))
        if kind is not None:
            self._pending_refresh.add(kind)
            self._signal.set()

    def _transport(self, stack: contextlib.AsyncExitStack) -> Any:
        c = self.config
        if c.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            assert c.command is not None
            params = StdioServerParameters(
                command=c.command,
                args=list(c.args),
                env=c.env or None,
                cwd=c.cwd or str(self.manager.project),
            )
            errlog = stack.enter_context(open_private(self._log_path(), "w"))
            if pooled_servers.in_use():  # a run in the warm engine: the server comes from the engine's pool
                from claw_tui.mcp.pooled_stdio import pooled_stdio_client

                return pooled_stdio_client(params, errlog, retire=lambda: self._restart)
            return stdio_client(params, errlog=errlog)
        assert c.url is not None
        if c.transport == "ws":
            from claw_tui.mcp.websocket import websocket_client

            return websocket_client(c.url, headers=c.headers or None)
        auth = None
        if not any(k.lower() == "authorization" for k in c.headers):
            from claw_tui.mcp.oauth import build_oauth_provider

            auth = build_oauth_provider(
                c.name,
                c.url,
                redirect_handler=self._redirect,
                callback_handler=self.manager.oauth_callback_handler,
                scope=c.oauth_scope,
            )
        if c.transport == "sse":
            from mcp.client.sse import sse_client

            return sse_client(c.url, headers=c.headers or None, auth=auth)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        client = httpx2.AsyncClient(headers=c.headers, auth=auth, timeout=httpx2.Timeout(30.0, read=300.0))
        stack.push_async_callback(client.aclose)  # the transport leaves a client it was given open
        return streamable_http_client(c.url, http_client=client)

    async def _redirect(self, url: str) -> None:
        if not self.interactive_auth:
            self._auth_needed = True  # the SDK wraps what this raises; the flag survives that
            raise AuthRequired(f"sign-in required for {self.config.name} (authenticate from /mcp)")
        from claw_tui.mcp.oauth import open_browser

        await (self.manager.oauth_redirect_handler or open_browser)(url)

    async def _connect_and_serve(self) -> bool:
        """Connect and serve until the connection drops or a restart is asked; True if it got up."""
        from mcp.client.session import ClientSession
        from mcp_types import Implementation

        self._transport_error = None
        self._auth_needed = False
        async with contextlib.AsyncExitStack() as stack:
            read, write = await stack.enter_async_context(self._transport(stack))
            session = ClientSession(
                _EofWatch(read, self.connection_lost),
                write,
                message_handler=self._on_message,
                client_info=Implementation(name="claw", version=_version()),
            )
            await stack.enter_async_context(session)
            result = await self._initialize(session)
            self.server_info = f"{result.server_info.name} {result.server_info.version}".strip()
            self.session = session
            await self._refresh(session, {"tools", "resources", "prompts"})
            self.set_status("connected")
            self.manager.tools_changed()
            if self.pin_on_connect:
                self.pin_on_connect = False
                self.manager.pin([t for t in self.manager.tools() if t.server == self.config.name])
            while True:
                await self._signal.wait()
                self._signal.clear()
                if self._lost or self._restart:
                    return True
                kinds, self._pending_refresh = self._pending_refresh, set()
                try:
                    await self._refresh(session, kinds)
                except Exception as exc:  # noqa: BLE001 - a failed refresh keeps the old lists
                    self.last_error = f"refresh failed: {describe_error(exc)}"
                self.set_status("connected")
                self.manager.tools_changed()

    async def _initialize(self, session: ClientSession) -> mcp_types.InitializeResult:
        """The handshake, failing fast when the transport reports an error instead of hanging."""
        loop = asyncio.get_running_loop()
        # A browser sign-in happens inside the first request, so it gets the login time too.
        limit = self.manager.connect_timeout + (LOGIN_TIMEOUT if self.interactive_auth else 0)
        deadline = loop.time() + limit
        init = asyncio.ensure_future(session.initialize())
        try:
            while not init.done():
                waiter = asyncio.ensure_future(self._signal.wait())
                await asyncio.wait(
                    {init, waiter}, timeout=deadline - loop.time(), return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if init.done():
                    break
                if loop.time() >= deadline:
                    raise TimeoutError(f"no answer to initialize within {limit:g}s")
                self._signal.clear()
                if self._lost or self._transport_error is not None:
                    raise self._transport_error or ConnectionError("connection closed during initialize")
            return init.result()
        finally:
            if not init.done():
                init.cancel()
                with contextlib.suppress(BaseException):
                    await init

    async def _refresh(self, session: ClientSession, kinds: set[str]) -> None:
        import mcp_types

        caps = session.server_capabilities or mcp_types.ServerCapabilities()
        if "tools" in kinds and caps.tools is not None:
            self.tools = await _pages(session.list_tools, "tools")
        if "resources" in kinds and caps.resources is not None:
            self.resources = await _pages(session.list_resources, "resources")
        if "prompts" in kinds and caps.prompts is not None:
            self.prompts = await _pages(session.list_prompts, "prompts")

    async def ready(self, timeout: float) -> ClientSession:
        """The live session, waiting while it (re)connects; ToolError if it is not coming."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.status == "connected" and self.session is not None:
                return self.session
            if self.status != "connecting":
                why = f": {self.last_error}" if self.last_error else ""
                raise ToolError(f"MCP server '{self.config.name}' {STATUS_WORDS[self.status]}{why}")
            left = deadline - loop.time()
            if left <= 0:
                raise ToolError(f"MCP server '{self.config.name}' {STATUS_WORDS['connecting']}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed(), left)


async def _pages(method: Callable[..., Any], field: str) -> list[Any]:
    import mcp_types

    items: list[Any] = []
    cursor: str | None = None
    for _ in range(100):  # a paginator that never ends cannot hang the connection
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
        result = await method(params=params)
        items.extend(getattr(result, field))
        cursor = result.next_cursor
        if not cursor:
            break
    return items


class McpManager:
    """Every configured MCP server, kept connected; the agent reads `tools()` each turn.

    Use as `async with McpManager.from_config(cwd) as mgr:`; entering starts every server
    and waits (at most `connect_timeout`) until each is connected or has failed.
    """

    def __init__(
        self,
        servers: Iterable[ServerConfig],
        *,
        project: Path,
        trust: TrustStore | None = None,
        call_timeout: float = 600.0,
        connect_timeout: float = 30.0,
        retry_base: float = 1.0,
        max_retries: int = 5,
        oauth_redirect_handler: RedirectHandler | None = None,
        oauth_callback_handler: CallbackHandler | None = None,
        on_change: Callable[[ServerStatus], None] | None = None,
        pins: PinStore | None = None,
        project_policy: Callable[[str], bool | None] | None = None,
    ) -> None:
        self.project = project
        # Whether a project server runs by the settings (False: disabled; True: enabled; None: the
        # user approves it by name): Claude Code's enabledMcpjsonServers & co, and `claw trust`.
        self.project_policy = project_policy
        self.trust_store = trust or TrustStore()
        self.pins = pins or PinStore()
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.retry_base = retry_base
        self.max_retries = max_retries
        self.oauth_redirect_handler = oauth_redirect_handler
        self.oauth_callback_handler = oauth_callback_handler
        self.on_change = on_change
        self._servers = {s.name: _Server(self, s) for s in servers}
        self._tools: list[McpTool] | None = None
        self._tools_changed_callbacks: list[Callable[[], None]] = []

    @classmethod
    def from_config(
        cls, cwd: Path, mcp_config: Iterable[str] = (), *, strict: bool = False, **kwargs: Any
    ) -> McpManager:
        """Servers from every scope plus `--mcp-config` values; raises McpConfigError on a bad file."""
        return cls.for_servers(load_servers(cwd, tuple(mcp_config), strict=strict), cwd, **kwargs)

    @classmethod
    def for_servers(cls, servers: Iterable[ServerConfig], project: Path, **kwargs: Any) -> McpManager:
        """A manager of these servers, with the defaults `MCP_TIMEOUT` (startup) and `MCP_TOOL_TIMEOUT`
        (per call) set in milliseconds, as in Claude Code."""
        for env, key in (("MCP_TIMEOUT", "connect_timeout"), ("MCP_TOOL_TIMEOUT", "call_timeout")):
            raw = os.environ.get(env, "")
            if raw.isdigit() and int(raw) > 0:
                kwargs.setdefault(key, int(raw) / 1000)
        return cls(servers, project=project, **kwargs)

    async def __aenter__(self) -> Self:
        await self.start()
        await self.wait_settled()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- lifecycle -----------------------------------------------------------------------

    def _blocked(self, server: _Server) -> Status | None:
        c = server.config
        if c.error is not None:
            return "failed"
        if not c.enabled:
            return "disabled"
        policy = self.project_policy(c.name) if c.needs_trust and self.project_policy is not None else None
        if policy is False:
            return "disabled"
        if policy is None and not self.trust_store.is_trusted(self.project, c):
            return "needs-trust"
        return None

    async def start(self) -> None:
        for server in self._servers.values():
            if (blocked := self._blocked(server)) is not None:
                server.set_status(blocked)
            else:
                server.start()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self._servers.values()))

    async def wait_settled(self, timeout: float | None = None) -> None:
        """Until no server is still connecting (or `timeout`, default connect_timeout, passes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if timeout is not None else self.connect_timeout)
        for server in self._servers.values():
            while server.status == "connecting" and (left := deadline - loop.time()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server.changed(), left)

    async def wait_for(self, name: str, *statuses: Status, timeout: float = 30.0) -> ServerStatus:
        """Until server `name` is in one of `statuses`; raises TimeoutError otherwise."""
        server = self._get(name)
        async with asyncio.timeout(timeout):
            while server.status not in statuses:
                await server.changed()
        return server.snapshot()

    def _get(self, name: str) -> _Server:
        server = self._servers.get(name)
        if server is None:
            known = ", ".join(sorted(self._servers)) or "none configured"
            raise ToolError(f"no MCP server named '{name}' (servers: {known})")
        return server

    async def reconnect(self, name: str) -> None:
        server = self._get(name)
        if server.task is None or server.task.done():
            if (blocked := self._blocked(server)) is None:
                server.start()
            else:  # e.g. enabling a project server not trusted yet: show why it stays off
                server.set_status(blocked)
        else:
            server.restart()

    async def enable(self, name: str, enabled: bool = True) -> None:
        """Turn a server on or off for this session (the /mcp screen's toggle)."""
        server = self._get(name)
        from dataclasses import replace

        server.config = replace(server.config, enabled=enabled)
        if enabled:
            await self.reconnect(name)
        else:
            await server.stop()
            server.set_status("disabled")
            self.tools_changed()

    async def trust(self, name: str, trusted: bool = True) -> None:
        """Remember (or forget) the user's trust in a project server for this project."""
        server = self._get(name)
        self.trust_store.set_trusted(self.project, server.config, trusted)
        if trusted:
            server.pin_on_connect = True
            await self.reconnect(name)
        else:
            await server.stop()
            server.set_status("needs-trust")
            self.tools_changed()

    async def authenticate(self, name: str, timeout: float = LOGIN_TIMEOUT + 60) -> ServerStatus:
        """Run the browser sign-in for an HTTP server, then connect; returns the new status."""
        server = self._get(name)
        server.interactive_auth = True
        try:
            await self.reconnect(name)
            return await self.wait_for(name, "connected", "failed", "needs-auth", timeout=timeout)
        finally:
            server.interactive_auth = False

    def logout(self, name: str) -> None:
        """Forget the stored tokens of a server."""
        from claw_tui.mcp.oauth import FileTokenStorage

        FileTokenStorage(self._get(name).config.name).clear()

    # --- what the agent and the UI read --------------------------------------------------

    def statuses(self) -> list[ServerStatus]:
        return [s.snapshot() for s in self._servers.values()]

    def status(self, name: str) -> ServerStatus:
        return self._get(name).snapshot()

    def config(self, name: str) -> ServerConfig:
        """How server `name` is declared: the /mcp screen shows the command that trusting it runs."""
        return self._get(name).config

    def notify(self, server: _Server) -> None:
        if self.on_change is not None:
            self.on_change(server.snapshot())

    def on_tools_changed(self, callback: Callable[[], None]) -> None:
        """Be told when the set of MCP tools changes (connect, drop, list_changed)."""
        self._tools_changed_callbacks.append(callback)

    def tools_changed(self) -> None:
        self._tools = None
        for callback in self._tools_changed_callbacks:
            callback()

    def tools(self) -> list[McpTool]:
        """The tools of every connected server, with unique provider-safe names."""
        if self._tools is None:
            taken: set[str] = set()
            tools: list[McpTool] = []
            for server in self._servers.values():
                if server.status != "connected":
                    continue
                for tool in server.tools:
                    tools.append(
                        McpTool.build(
                            self, server.config.name, tool, tool_name(server.config.name, tool.name, taken)
                        )
                    )
            self._tools = tools
        return list(self._tools)

    # --- pinned definitions (mcp/pins) --------------------------------------------------

    def pin(self, tools: Iterable[McpTool]) -> None:
        """Remember these definitions as the approved ones."""
        self.pins.set(self.project, {t.pin_key: t.definition_hash for t in tools})

    def changed(self, tool: McpTool) -> str | None:
        """Why `tool` needs approval again: its definition is not the one approved, or None."""
        pinned = self.pins.get(self.project, tool.pin_key)
        if pinned is None or pinned == tool.definition_hash:
            return None
        return (f"the definition of {tool.name} changed since it was approved (its description or parameters "
                "differ): it is a new tool until you approve it again; /mcp shows its description")

    def warnings(self) -> list[str]:
        """One line per tool whose definition changed since approval or whose description looks wrong."""
        lines = []
        for tool in self.tools():
            problems = [*tool.flags]
            if self.changed(tool):
                problems.insert(0, "definition changed since you approved it; its next call asks")
            if problems:
                lines.append(f"MCP tool {tool.name}: {'; '.join(problems)} (/mcp shows the full description)")
        return lines

    def resources(self) -> list[ResourceEntry]:
        return [
            ResourceEntry(s.config.name, str(r.uri), r.name, r.description, r.mime_type)
            for s in self._servers.values()
            if s.status == "connected"
            for r in s.resources
        ]

    def list_prompts(self) -> list[PromptEntry]:
        return [
            PromptEntry(
                s.config.name,
                p.name,
                p.description,
                tuple((a.name, bool(a.required), a.description) for a in (p.arguments or [])),
            )
            for s in self._servers.values()
            if s.status == "connected"
            for p in s.prompts
        ]

    # --- calls ---------------------------------------------------------------------------

    async def _call(self, name: str, what: str, timeout: float, fn: Callable[[ClientSession], Any]) -> Any:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        server = self._get(name)
        session = await server.ready(self.connect_timeout)
        try:
            return await fn(session)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise ToolError(f"MCP server '{name}' did not answer {what} within {timeout:g}s") from None
            if exc.code == CONNECTION_CLOSED:
                server.connection_lost()
                tail = server.stderr_tail() if server.config.transport == "stdio" else ""
                why = f" (stderr: {tail})" if tail else ""
                raise ToolError(
                    f"MCP server '{name}' closed the connection during {what}{why}; claw is reconnecting to it"
                ) from None
            raise ToolError(f"MCP server '{name}' refused {what}: {exc.message}") from None
        except (RuntimeError, ValidationError) as exc:
            raise ToolError(f"MCP server '{name}' sent a bad answer to {what}: {exc}") from None

    async def call_tool(
        self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None
    ) -> mcp_types.CallToolResult:
        """Call one tool; ToolError (with the reason) on timeout, crash or protocol error."""
        t = timeout or self._get(server).config.timeout or self.call_timeout
        return await self._call(
            server, f"tool '{tool}'", t, lambda s: s.call_tool(tool, arguments, read_timeout_seconds=t)
        )

    async def read_resource(self, server: str, uri: str) -> list[TextBlock | ImageBlock]:
        """An `@server:uri` attachment: the resource's contents as transcript blocks."""
        result = await self._call(
            server, f"resource '{uri}'", self.call_timeout, lambda s: s.read_resource(uri)
        )
        return cut_text(content_blocks(list(result.contents)))

    async def get_prompt(
        self, server: str, name: str, arguments: dict[str, str] | None = None
    ) -> list[tuple[str, list[TextBlock | ImageBlock]]]:
        """A server prompt (`/server:prompt args`) as (role, blocks) messages for the transcript."""
        result = await self._call(
            server, f"prompt '{name}'", self.call_timeout, lambda s: s.get_prompt(name, arguments or {})
        )
        return [(m.role, content_blocks([m.content])) for m in result.messages]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("claw-tui")
    except PackageNotFoundError:
        return "dev"
