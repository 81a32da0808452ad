"""`claw serve`: one warm engine per user, on a Unix socket, speaking ACP.

The engine process imports what a run needs (the provider SDKs, the engine, the tools, print
mode, the ACP SDK) once, then forks a worker per client. A worker serves either an ACP client (an
editor's sessions) or a print-mode run of `claw -p --attach` (attach.py): then it takes on the
caller's standard input, output and error (passed over the socket), environment, directory and
umask, and runs claw's own command line, so the run is a cold run in all but its start-up: the
folder's config and trust, the caller's keys, permissions and sandbox, the output in every format
and the exit code. Whatever a run leaves behind goes with its worker: the engine does not grow.
The stdio MCP servers and language servers runs start are kept between runs by the server pool
(server_pool.py), a process of the engine's own.

The socket lives in a directory only the user can enter (the runtime directory), is mode 0600,
and a peer whose uid differs is refused. Without a client for `idle_timeout` seconds the engine
stops; each client is one line in the log (standard error).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_IDLE_SECONDS = 30 * 60
SOCKET_ENV = "CLAW_ENGINE_SOCKET"
# The extension request of an attached print run: its params are the caller's command line,
# environment and directory; its answer the exit code.
PRINT_METHOD = "_claw/print"
STDIO = (0, 1, 2)
_FIRST_LINE_LIMIT = 1024 * 1024
_ENGINE_STREAMS: list[object] = []
# What every run needs, imported before the first fork: each worker starts with them loaded.
WARM_MODULES = (
    "claw_tui.engine.agent", "claw_tui.engine.toolset", "claw_tui.engine.sessions",
    "claw_tui.engine.permissions", "claw_tui.engine.subagents", "claw_tui.engine.hooks", "claw_tui.engine.compaction",
    "claw_tui.providers.registry", "claw_tui.providers.anthropic", "claw_tui.providers.openai",
    "anthropic", "openai", "claw_tui.tools.shell", "claw_tui.tools.files", "claw_tui.tools.search",
    "claw_tui.tools.sandbox", "claw_tui.mcp.manager", "claw_tui.acp.agent", "acp",
    "claw_tui.print_mode.run", "claw_tui.print_mode.protocol", "claw_tui.print_mode.control",
    "claw_tui.print_mode.prompts", "claw_tui.print_mode.mcp_approver", "claw_tui.engine.prompt_input",
    "claw_tui.engine.checkpoints", "claw_tui.engine.session_lock", "claw_tui.mcp.mentions",
    "claw_tui.mcp.resource_tools",
    # A run's MCP and LSP clients, so that a server lent by the pool costs a run next to nothing.
    "mcp.client.session", "mcp.client.stdio", "mcp.shared.message", "mcp_types", "claw_tui.mcp.pooled_stdio",
    "claw_tui.tools.lsp_client",
    "textual.app", "claw_tui.ui.app",  # `claw --attach`: the app
)  # fmt: skip


class ServeError(Exception):
    """A one-line reason the engine cannot start."""


def socket_path(override: str | None = None) -> Path:
    """`--socket`, else $CLAW_ENGINE_SOCKET, else claw/engine.sock in the user's runtime directory."""
    if override or os.environ.get(SOCKET_ENV):
        return Path(override or os.environ[SOCKET_ENV])
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "claw" / "engine.sock"
    return Path(tempfile.gettempdir()) / f"claw-{os.getuid()}" / "engine.sock"  # made private by _private_dir


def _private_dir(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ServeError(f"{directory} must belong to you and be closed to others (chmod 700)")


def _listen(path: Path) -> socket.socket:
    _private_dir(path.parent)
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # a socket left by an engine that died
        else:
            raise ServeError(f"a warm engine already runs at {path}")
        finally:
            probe.close()
    from claw_tui.acp.server_pool import bind_owner_only

    return bind_owner_only(path, backlog=16)


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The connecting process's pid and uid (SO_PEERCRED)."""
    data = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", data)
    return pid, uid


def log(line: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} claw serve: {line}", file=sys.stderr, flush=True)


def warm_up() -> None:
    import importlib

    for name in WARM_MODULES:
        with contextlib.suppress(Exception):  # a missing optional SDK only means that run imports it
            importlib.import_module(name)
    from claw_tui.acp.rehearsal import rehearse
    from claw_tui.providers.registry import preload_first_request_modules

    for provider in ("anthropic", "openai", "local"):
        preload_first_request_modules(provider)
    rehearse()
    # What the rehearsal dropped goes now, not in a worker: an SDK client collected there would
    # try to close itself on the run's event loop and say so on the run's standard error.
    gc.collect()
    gc.freeze()  # and the engine's objects stay out of the workers' collections (shared pages stay shared)


# claw's command line as an exit code (cli.exit_code), given by the caller: the front end above this floor.
RunCli = Callable[[list[str]], int]


def serve(path: Path, run_cli: RunCli, *, idle_timeout: float = DEFAULT_IDLE_SECONDS,
          server_idle_timeout: float | None = None) -> int:
    """Serve clients until idle or stopped; `server_idle_timeout` None: no server pool (server_pool.py)."""
    listener = _listen(path)
    pool = None
    if server_idle_timeout is not None:  # before warming up: the pool forks from a small process
        from claw_tui.acp import server_pool

        pool = server_pool.start(path, log, server_idle_timeout, inherited=listener)
    warm_up()
    workers: set[int] = set()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f"listening on {path} (pid {os.getpid()}, idle timeout {idle_timeout:g} s)")
    clients = 0
    idle_since = time.monotonic()
    try:
        while not stopping:
            _reap(workers)
            if pool is not None and (code := pool.exited()) is not None:
                log(f"the server pool ended (exit code {code}); runs start their own servers")
                pool = None
            if workers:
                idle_since = time.monotonic()
            elif idle_timeout and time.monotonic() - idle_since >= idle_timeout:
                log(f"idle for {idle_timeout:g} s; stopping")
                break
            try:
                ready, _, _ = select.select([listener], [], [], 0.5)
            except InterruptedError:
                continue
            if not ready:
                continue
            conn, _ = listener.accept()
            pid, uid = _peer(conn)
            if uid != os.getuid():
                log(f"refused pid {pid}: uid {uid} is not the engine's")
                conn.close()
                continue
            clients += 1
            worker = os.fork()
            if worker == 0:  # pragma: no cover - the worker; its exit code is its whole report
                # A session of its own: a terminal it is handed is not its controlling terminal, so
                # the app on it is never stopped as a background job of the engine's terminal.
                os.setsid()
                listener.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                if pool is not None:
                    from claw_tui.core import pooled_servers

                    pooled_servers.use(str(pool.socket))
                os._exit(_serve_client(conn, run_cli))
            conn.close()
            workers.add(worker)
            log(f"client {clients}: pid {pid} served by worker {worker}")
    finally:
        listener.close()
        if pool is not None:
            pool.stop()
        with contextlib.suppress(OSError):
            path.unlink()
    return 0


def _reap(workers: set[int]) -> None:
    for worker in list(workers):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(worker, os.WNOHANG)
            if not done:
                continue
        workers.discard(worker)


def _serve_client(conn: socket.socket, run_cli: RunCli) -> int:
    """One client: a print run when its first message asks for one and brings descriptors, else ACP."""
    log_fd = os.dup(2)  # the engine's log, whatever the run does with descriptor 2
    try:
        first, fds = _first_line(conn)
        request = json.loads(first) if first else {}
        wants_print = ((request.get("params") or {}).get("_meta") or {}).get("claw", {}).get("print")
        if request.get("method") == "initialize" and wants_print:
            return _print_run(conn, request, fds, run_cli, log_fd)
        for fd in fds:
            os.close(fd)
        return _serve_acp(conn, first) if first else 0
    except Exception as exc:  # noqa: BLE001 - one client's failure is logged; the engine goes on
        os.write(log_fd, f"{time.strftime('%Y-%m-%d %H:%M:%S')} claw serve: worker {os.getpid()} failed: "
                         f"{type(exc).__name__}: {exc}\n".encode())
        return 1


def _first_line(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The client's first message and the descriptors sent with it. A client sends nothing more
    before the answer to `initialize`, so nothing after the line is read here."""
    data, fds = b"", []
    space = socket.CMSG_SPACE(len(STDIO) * 4)
    while not data.endswith(b"\n") and len(data) < _FIRST_LINE_LIMIT:
        chunk, ancillary, _flags, _addr = conn.recvmsg(65536, space)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % 4
                fds += list(struct.unpack(f"{usable // 4}i", payload[:usable]))
        if not chunk:
            break
        data += chunk
    return data, fds


def _reply(conn: socket.socket, request_id: Any, result: dict[str, Any] | None = None,
           error: str | None = None) -> None:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        message["result"] = result or {}
    else:
        message["error"] = {"code": -32602, "message": error}
    conn.sendall(json.dumps(message).encode() + b"\n")


def _print_run(conn: socket.socket, hello: dict[str, Any], fds: list[int], run_cli: RunCli, log_fd: int) -> int:
    """`claw -p …` run here on the caller's descriptors, environment and directory; the exit code is
    the answer to `_claw/print`."""
    named = hello["params"]["_meta"]["claw"].get("fds")
    if not isinstance(named, list) or len(named) != len(fds) or not set(named) <= set(STDIO):
        for fd in fds:
            os.close(fd)
        _reply(conn, hello.get("id"), error="a print run sends its standard descriptors with initialize")
        return 1
    version = hello["params"].get("protocolVersion", 1)
    _reply(conn, hello.get("id"), {
        "protocolVersion": min(int(version), 1) if isinstance(version, int) else 1,
        "agentCapabilities": {}, "authMethods": [], "_meta": {"claw": {"worker_pid": os.getpid()}},
    })
    with conn.makefile("rb") as lines:
        request = json.loads(lines.readline() or b"{}")
    params = request.get("params") or {}
    if request.get("method") != PRINT_METHOD or not isinstance(params.get("argv"), list):
        _reply(conn, request.get("id"), error=f"a print run's second request is {PRINT_METHOD}")
        return 1
    _become_caller(params, dict(zip(named, fds, strict=True)))
    code = _run(run_cli, [str(a) for a in params["argv"]])
    with contextlib.suppress(OSError):  # the caller may be gone (killed); the run is over either way
        _reply(conn, request.get("id"), {"exitCode": code})
    return 0


def _become_caller(params: dict[str, Any], given: dict[int, int]) -> None:
    """Take on the caller's environment, directory, umask and standard streams, as a process of its own."""
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in (params.get("env") or {}).items()})
    os.chdir(str(params.get("cwd") or "/"))
    if isinstance(params.get("umask"), int):
        os.umask(params["umask"])
    sys.argv = [str(params.get("argv0") or "claw"), *map(str, params["argv"])]
    for target in STDIO:
        if target in given:
            if given[target] != target:
                os.dup2(given[target], target)
                os.close(given[target])
        else:  # closed in the caller: closed here too, as a cold run would find it
            with contextlib.suppress(OSError):
                os.close(target)
    # The engine's own stream objects close their descriptors when collected, and those numbers
    # are the caller's streams now: they are kept for the life of the process.
    _ENGINE_STREAMS.extend((sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__))
    sys.stdin = _stream(0, "r")
    sys.stdout = _stream(1, "w")
    sys.stderr = _stream(2, "w", errors="backslashreplace", line_buffering=True)
    for name in ("stdin", "stdout", "stderr"):  # the originals too: Textual's driver uses sys.__stderr__
        setattr(sys, f"__{name}__", getattr(sys, name))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a forwarded Ctrl+C: KeyboardInterrupt
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stream(fd: int, mode: str, *, errors: str = "strict", line_buffering: bool | None = None) -> Any:
    """A standard stream on `fd` as Python would have opened it at start (None when it is closed)."""
    try:
        tty = os.isatty(fd)
        raw = open(fd, mode + "b", closefd=False)  # noqa: SIM115
    except OSError:
        return None
    return io.TextIOWrapper(raw, encoding="utf-8", errors=errors,
                            line_buffering=tty if line_buffering is None else line_buffering)


def _run(run_cli: RunCli, argv: list[str]) -> int:
    """claw's command line as the process's whole life: its exit code, output flushed."""
    code: int = 0
    try:
        code = run_cli(argv)
    except KeyboardInterrupt:
        code = 130
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                if stream is not None:
                    stream.flush()
    return code


def _serve_acp(conn: socket.socket, first: bytes) -> int:
    import asyncio

    from claw_tui.acp.agent import ClawAcpAgent

    async def run() -> None:
        import acp
        from acp.core import AgentSideConnection

        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=acp.core.DEFAULT_STDIO_BUFFER_LIMIT_BYTES, loop=loop)
        reader.feed_data(first)  # read before the connection existed
        transport, protocol = await loop.create_unix_connection(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), sock=conn)
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        agent = ClawAcpAgent()
        connection = AgentSideConnection(agent, writer, reader, listening=False, use_unstable_protocol=True)
        try:
            await connection.listen()
        finally:
            await agent.close()
            await connection.close()

    asyncio.run(run())
    return 0
