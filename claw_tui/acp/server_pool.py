"""The warm engine's server pool: stdio MCP servers and language servers kept from one run to the next.

A worker decides which servers its run starts exactly as a cold run does (the folder's config and
trust, the caller's environment); for a stdio server it then asks this pool (core/pooled_servers.py)
for a process started with exactly that command line, environment, directory and umask, and for a
language server the same root, initialisation options and settings. The pool lends an idle server
of that key, or starts one, to one run at a time (a second run asking meanwhile gets a server of
its own, which joins the pool when it is given back), and passes the protocol's messages between
the two. Only the handshake of a server lent again differs: its `initialize` is answered with the
server's first answer and the `initialized` notification after it is not passed on; an LSP
`shutdown` is answered here and `exit` ends the lease, not the server. At the end of a lease the
documents the run left open are closed (the next run starts with none open), and the server is
lent again only if the run left no request unanswered, did not ask for a fresh one (a reconnect)
and the server is alive; otherwise it is stopped. A pooled server keeps its own state between
runs, as a long-lived server would. HTTP, SSE and WebSocket servers have no process to keep.

The pool is a process of its own, forked by the engine before it warms up: its asyncio loop never
slows the engine's accept loop, workers forked later inherit none of its descriptors, and a
failure here costs the runs their pooling, never the engine. Idle servers stop after their own
idle time (at most MAX_IDLE of them are kept) and with the engine (the pool stops when the engine
is gone, too). Each server is one line in the engine's log when started, reused and stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claw_tui.core.pooled_servers import RETIRE

IDLE_SECONDS = 10 * 60
MAX_IDLE = 16
STOP_GRACE = 2.0  # seconds a server has to exit once its input closes; then SIGTERM, then SIGKILL
BARRIER_SECONDS = 5.0  # how long a language server may take to confirm it closed a run's documents
HEADER_SECONDS = 30.0
_HEADER_LIMIT = 4 * 1024 * 1024
_BARRIER = "$/claw/barrier"  # a request every language server must refuse ($/ methods: MethodNotFound)
_INITIALIZED = {"mcp": "notifications/initialized", "lsp": "initialized"}
_NAMES = {"mcp": "MCP server", "lsp": "language server"}

Log = Callable[[str], None]


def socket_path(engine_socket: Path) -> Path:
    """The pool's socket, beside the engine's in the same private directory."""
    return engine_socket.with_name(engine_socket.stem + ".pool.sock")


# --- the process -------------------------------------------------------------------------------


@dataclass
class PoolProcess:
    """The pool as the engine sees it: a child process to check on and stop."""

    pid: int
    socket: Path

    def exited(self) -> int | None:
        """Its exit status once it has ended (reaped here), else None."""
        with contextlib.suppress(ChildProcessError):
            done, status = os.waitpid(self.pid, os.WNOHANG)
            return os.waitstatus_to_exitcode(status) if done else None
        return 0

    def stop(self) -> None:
        """Stop it and wait while it stops its servers."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3 * STOP_GRACE + 1
        while self.exited() is None:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
                return
            time.sleep(0.05)


def start(engine_socket: Path, log: Log, idle_timeout: float, inherited: socket.socket) -> PoolProcess:
    """Fork the pool; `inherited` (the engine's listener) is closed in it."""
    path = socket_path(engine_socket)
    engine = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the pool; its log lines are its report
        code = 1
        try:
            os.setsid()  # the engine's Ctrl+C is the engine's to handle: it stops the pool
            inherited.close()
            code = run(path, log, idle_timeout, engine)
        except BaseException as exc:  # noqa: BLE001 - whatever ends the pool is one line in the log
            log(f"server pool failed: {type(exc).__name__}: {exc}")
        finally:
            os._exit(code)
    return PoolProcess(pid, path)


def run(path: Path, log: Log, idle_timeout: float, engine: int) -> int:
    """The pool's life: until SIGTERM, or until the engine (process `engine`) is gone."""
    return asyncio.run(_main(path, log, idle_timeout, engine))


async def _main(path: Path, log: Log, idle_timeout: float, engine: int) -> int:
    listener = _listen(path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    pool = ServerPool(log, idle_timeout)
    accepting = asyncio.create_task(pool.accept(listener))
    log(f"server pool at {path}: stdio MCP servers and language servers are lent to one run at a time and kept "
        f"for the next run that starts the same one, with their own state (idle timeout {idle_timeout:g} s; "
        "`claw serve --no-server-pool` turns this off)")
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if os.getppid() != engine:
                log("server pool: the engine is gone; stopping")
                break
            pool.stop_idle()
    finally:
        accepting.cancel()
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()
        await pool.close()
    return 0


def _listen(path: Path) -> socket.socket:
    """A socket only the user can reach, in the engine's private directory (which the engine checked)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a pool that died; the engine's own socket says none other runs here
    sock = bind_owner_only(path, backlog=64)
    sock.setblocking(False)
    return sock


def bind_owner_only(path: Path, *, backlog: int) -> socket.socket:
    """A listening Unix socket at `path` made 0600 as it is created: at no moment can another user connect."""
    sock = socket.socket(socket.AF_UNIX)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(backlog)
    return sock


# --- framing -----------------------------------------------------------------------------------


class _Broken(Exception):
    """A peer broke the protocol's framing: the connection cannot be followed any further."""


async def _line(reader: asyncio.StreamReader) -> bytes | None:
    """One line, however long; None at the end of the stream."""
    parts: list[bytes] = []
    while True:
        try:
            return b"".join([*parts, await reader.readuntil(b"\n")])
        except asyncio.LimitOverrunError as exc:
            parts.append(await reader.readexactly(exc.consumed))
        except asyncio.IncompleteReadError:
            return None


async def _read(protocol: str, reader: asyncio.StreamReader) -> bytes | None:
    """One message's body: a line for MCP's stdio transport, a Content-Length frame for LSP."""
    if protocol == "mcp":
        line = await _line(reader)
        return None if line is None else line.rstrip(b"\n")
    length: int | None = None
    while True:
        line = await _line(reader)
        if line is None:
            return None
        line = line.strip()
        if not line:
            if length is not None:
                break
            continue
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise _Broken(f"bad Content-Length {value!r}") from None
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return None


def _frame(protocol: str, body: bytes) -> bytes:
    return body + b"\n" if protocol == "mcp" else b"Content-Length: %d\r\n\r\n" % len(body) + body


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **message}, separators=(",", ":")).encode()


def _parse(body: bytes) -> dict[str, Any] | None:
    """The message, or None for what is not one (passed on as it is, as a pipe would)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _id(message: dict[str, Any]) -> str:
    return json.dumps(message.get("id"))


# --- servers and leases ------------------------------------------------------------------------


@dataclass(eq=False)
class _Lease:
    """One run's use of a server."""

    writer: asyncio.StreamWriter
    worker: int
    sink: int | None  # where the server's standard error goes meanwhile (the run's log file or pipe)
    requests: set[str] = field(default_factory=set)  # the run's requests the server has not answered
    asked: set[str] = field(default_factory=set)  # the server's requests the run has not answered
    opened: set[str] = field(default_factory=set)  # LSP documents the run has open
    greeted: bool = False  # the run's initialize has come
    init_id: str | None = None
    swallow_initialized: bool = False
    retire: bool = False

    def send(self, protocol: str, body: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(_frame(protocol, body))


@dataclass(eq=False)
class _Server:
    number: int
    protocol: str
    key: str
    name: str
    proc: asyncio.subprocess.Process
    init_params: Any = None
    init_result: Any = None  # the answer to the first initialize, given to every later run
    lease: _Lease | None = None
    idle_since: float = 0.0
    barrier: asyncio.Future[None] | None = None
    gone: bool = False  # stopped or stopping: never lent again

    @property
    def label(self) -> str:
        return f'{_NAMES[self.protocol]} {self.number} "{self.name}" (pid {self.proc.pid})'

    def send(self, body: bytes) -> None:
        stdin = self.proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(_frame(self.protocol, body))

    def alive(self) -> bool:
        if self.gone or self.proc.returncode is not None:
            return False
        try:  # exited but not reaped yet counts as gone (WNOWAIT leaves it to asyncio to reap)
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False


class ServerPool:
    def __init__(self, log: Log, idle_timeout: float) -> None:
        self.log = log
        self.idle_timeout = idle_timeout
        self.idle: dict[str, list[_Server]] = {}
        self.servers: set[_Server] = set()
        self._started = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(listener)
            self._spawn(self._serve(conn))

    # --- one lease ---------------------------------------------------------------------------

    async def _serve(self, conn: socket.socket) -> None:
        """A run's request: lend it a server (or say why none started), then relay until it lets go."""
        accepted = await self._accept_lease(conn)
        if accepted is None:
            conn.close()
            return
        server, worker, sink = accepted
        try:
            reader, writer = await asyncio.open_unix_connection(sock=conn)
        except OSError as exc:
            conn.close()
            if sink is not None:
                os.close(sink)
            await self._stop(server, f"its run's connection failed ({exc})")
            return
        lease = server.lease = _Lease(writer, worker, sink)
        why: str | None = None
        try:
            await self._relay(server, lease, reader)
        except (OSError, _Broken) as exc:
            why = f"its connection broke ({exc})"
        finally:
            await self._give_back(server, lease, why)

    async def _accept_lease(self, conn: socket.socket) -> tuple[_Server, int, int | None] | None:
        """The server lent for this request, the worker's pid and where the server's stderr goes; None
        when there is none (the run was told why, or was refused)."""
        loop = asyncio.get_running_loop()
        sink: int | None = None
        try:
            data = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            worker, uid, _gid = struct.unpack("3i", data)
            if uid != os.getuid():
                self.log(f"server pool: refused pid {worker}: uid {uid} is not the engine's")
                return None
            header, fds = await asyncio.wait_for(_header(conn), HEADER_SECONDS)
            for fd in fds[1:]:
                os.close(fd)
            if fds:
                sink = fds[0]
                os.set_blocking(sink, False)  # a run that stops reading its pipe must not stall the pool
            try:
                server = await self._lend(header, worker)
            except OSError as exc:  # told to the run as starting the process itself would have told it
                error = {"errno": exc.errno, "strerror": exc.strerror, "filename": exc.filename}
                await loop.sock_sendall(conn, json.dumps({"error": error}).encode() + b"\n")
                raise
            try:
                await loop.sock_sendall(conn, json.dumps({"pid": server.proc.pid}).encode() + b"\n")
            except OSError:  # the run left before it could use the server
                if server.init_result is not None:
                    self._keep(server)
                else:
                    self._stop_soon(server, "its run left before using it")
                raise
            return server, worker, sink
        except (OSError, ValueError, KeyError, TypeError, TimeoutError) as exc:
            if sink is not None:
                os.close(sink)
            self.log(f"server pool: a request failed: {type(exc).__name__}: {exc}")
            return None

    async def _lend(self, header: dict[str, Any], worker: int) -> _Server:
        protocol = str(header["protocol"])
        if protocol not in _NAMES:
            raise ValueError(f"unknown protocol {protocol!r}")
        argv = [str(a) for a in header["argv"]]
        env = {str(k): str(v) for k, v in dict(header["env"]).items()}
        cwd, umask = str(header["cwd"]), int(header["umask"])
        key = json.dumps([protocol, argv, env, cwd, umask, header.get("config")], sort_keys=True)
        idle = self.idle.get(key, [])
        while idle:
            server = idle.pop()
            if server.alive():
                self.log(f"server pool: reused {server.label} for worker {worker}")
                return server
            self._stop_soon(server, "it had exited")
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env, cwd=cwd, umask=umask, start_new_session=True,
        )
        self._started += 1
        server = _Server(self._started, protocol, key, _short(argv), proc)
        self.servers.add(server)
        self._spawn(self._read_server(server))
        self._spawn(self._pass_stderr(server))
        self.log(f"server pool: started {server.label} for worker {worker}")
        return server

    async def _relay(self, server: _Server, lease: _Lease, reader: asyncio.StreamReader) -> None:
        """The run's messages to the server until it lets go (the end of its stream, or LSP's exit)."""
        while (body := await _read(server.protocol, reader)) is not None:
            message = _parse(body)
            if message is not None:
                handled = self._from_run(server, lease, message)
                if handled == "exit":
                    return
                if handled:
                    continue
            server.send(body)
            stdin = server.proc.stdin
            if stdin is not None:
                await stdin.drain()

    def _from_run(self, server: _Server, lease: _Lease, message: dict[str, Any]) -> bool | str:
        """Track one message of the run; True when it is answered or consumed here, "exit" at LSP's exit."""
        method = message.get("method")
        if method == "initialize" and not lease.greeted:
            lease.greeted = True
            if server.init_result is not None:
                if message.get("params") == server.init_params:
                    lease.send(server.protocol, _encode({"id": message.get("id"), "result": server.init_result}))
                    lease.swallow_initialized = True
                else:  # never between workers of one engine: the key holds what decides the parameters
                    lease.retire = True
                    lease.send(server.protocol, _encode({"id": message.get("id"), "error": {
                        "code": -32603, "message": "this pooled server was initialised with other parameters"}}))
                return True
            server.init_params = message.get("params")
            lease.init_id = _id(message)
        elif method == _INITIALIZED[server.protocol] and lease.swallow_initialized:
            lease.swallow_initialized = False
            return True
        elif method == RETIRE:
            lease.retire = True
            return True
        elif server.protocol == "lsp" and method == "shutdown":
            lease.send("lsp", _encode({"id": message.get("id"), "result": None}))
            return True
        elif server.protocol == "lsp" and method == "exit":
            return "exit"
        elif server.protocol == "lsp" and method in ("textDocument/didOpen", "textDocument/didClose"):
            uri = str(((message.get("params") or {}).get("textDocument") or {}).get("uri"))
            if method.endswith("didOpen"):
                lease.opened.add(uri)
            else:
                lease.opened.discard(uri)
        if method is not None and "id" in message:
            lease.requests.add(_id(message))
        elif method is None and "id" in message:
            lease.asked.discard(_id(message))
        return False

    async def _give_back(self, server: _Server, lease: _Lease, why: str | None) -> None:
        """The end of a lease: the server back in the pool, clean, or stopped (`why` it cannot be lent again)."""
        server.lease = None
        if lease.sink is not None:
            os.close(lease.sink)
        if why is None:
            if lease.requests or lease.asked:
                why = "its run ended with a request unanswered"
            elif lease.retire:
                why = "its run asked for a fresh one"
            elif server.init_result is None:
                why = "it was never initialised"
        if why is not None or not server.alive():
            lease.writer.close()
            await self._stop(server, why or "it had exited")
            return
        try:
            if lease.opened:
                await self._close_documents(server, lease.opened)
            if server.alive():
                self._keep(server)
        finally:  # only now: a run that waits for the end of its lease finds the server back in the pool
            lease.writer.close()

    def _keep(self, server: _Server) -> None:
        server.idle_since = time.monotonic()
        self.idle.setdefault(server.key, []).append(server)
        idle = sorted((s for servers in self.idle.values() for s in servers), key=lambda s: s.idle_since)
        for oldest in idle[:-MAX_IDLE]:  # runs that each start a server of their own must not pile them up
            self._stop_soon(oldest, f"the pool keeps {MAX_IDLE} idle servers at most")

    async def _close_documents(self, server: _Server, uris: set[str]) -> None:
        """Close what the run left open, and wait until the server has dealt with it (a request it must
        refuse, after the notifications), so that what it says of them never reaches the next run."""
        for uri in sorted(uris):
            server.send(_encode({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}))
        server.barrier = asyncio.get_running_loop().create_future()
        server.send(_encode({"id": _BARRIER, "method": _BARRIER}))
        try:
            await asyncio.wait_for(asyncio.shield(server.barrier), BARRIER_SECONDS)
        except TimeoutError:
            await self._stop(server, f"it did not answer within {BARRIER_SECONDS:g} s after its run")
        finally:
            server.barrier = None

    # --- the server's side -------------------------------------------------------------------

    async def _read_server(self, server: _Server) -> None:
        """The server's messages to its run; while it is idle, dropped (or answered: nobody else will)."""
        assert server.proc.stdout is not None
        why = "it exited"
        try:
            while (body := await _read(server.protocol, server.proc.stdout)) is not None:
                message = _parse(body)
                lease = server.lease
                if message is not None and not self._from_server(server, lease, message):
                    continue
                if lease is not None:
                    lease.send(server.protocol, body)
                    with contextlib.suppress(ConnectionError):
                        await lease.writer.drain()
        except (OSError, _Broken) as exc:
            why = f"its output broke ({exc})"
        if server.gone:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.proc.wait(), STOP_GRACE)
        if server.proc.returncode is not None:
            why = f"it exited with code {server.proc.returncode}"
        if (lease := server.lease) is not None:
            lease.writer.close()  # the run sees its server's output end, as with a process of its own
        await self._stop(server, why + (" during a run" if lease is not None else ""))

    def _from_server(self, server: _Server, lease: _Lease | None, message: dict[str, Any]) -> bool:
        """Track one message of the server; whether it goes on to the run."""
        method, has_id = message.get("method"), "id" in message
        if method is None and has_id:  # an answer
            if message.get("id") == _BARRIER and server.barrier is not None:
                if not server.barrier.done():
                    server.barrier.set_result(None)
                return False
            if lease is None:
                return False
            if _id(message) == lease.init_id:
                lease.init_id = None
                if "result" in message:
                    server.init_result = message["result"]
            lease.requests.discard(_id(message))
            return True
        if lease is not None:
            if has_id:
                lease.asked.add(_id(message))
            return True
        if has_id:  # a request while idle: nobody else will answer it
            answer = {"result": {}} if method == "ping" else {
                "error": {"code": -32601, "message": "no client is connected to this pooled server"}}
            server.send(_encode({"id": message.get("id"), **answer}))
        return False

    async def _pass_stderr(self, server: _Server) -> None:
        """The server's standard error to the run it is lent to (nowhere while idle)."""
        assert server.proc.stderr is not None
        while chunk := await server.proc.stderr.read(65536):
            lease = server.lease
            if lease is not None and lease.sink is not None:
                with contextlib.suppress(OSError):  # a full pipe loses the excess, as a log may
                    os.write(lease.sink, chunk)

    # --- stopping ------------------------------------------------------------------------------

    def stop_idle(self) -> None:
        if not self.idle_timeout:  # 0: never
            return
        now = time.monotonic()
        for servers in list(self.idle.values()):
            for server in list(servers):
                if now - server.idle_since >= self.idle_timeout:
                    self._stop_soon(server, f"idle for {self.idle_timeout:g} s")

    def _retire(self, server: _Server, why: str) -> bool:
        """Out of the pool at once, never lent again, and said in the log; False if it already was."""
        if server.gone:
            return False
        server.gone = True
        if server.barrier is not None and not server.barrier.done():
            server.barrier.set_result(None)  # nothing more will come: the run's end need not wait for it
        with contextlib.suppress(ValueError):
            self.idle.get(server.key, []).remove(server)
        self.servers.discard(server)
        self.log(f"server pool: stopped {server.label}: {why}")
        return True

    async def _stop(self, server: _Server, why: str) -> None:
        if self._retire(server, why):
            await _terminate(server.proc)

    def _stop_soon(self, server: _Server, why: str) -> None:
        if self._retire(server, why):
            self._spawn(_terminate(server.proc))

    async def close(self) -> None:
        await asyncio.gather(*(self._stop(s, "the engine stopped") for s in list(self.servers)))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    """Its input closed, then SIGTERM and SIGKILL to its process group, each after STOP_GRACE."""
    if proc.stdin is not None:
        proc.stdin.close()
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), STOP_GRACE)
        if proc.returncode is not None:
            return


async def _header(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The run's request line and the descriptor sent with it (SCM_RIGHTS), read without blocking the pool."""
    loop = asyncio.get_running_loop()
    data, fds = b"", []
    while not data.endswith(b"\n"):
        if len(data) > _HEADER_LIMIT:
            raise ValueError("the request is too long")
        try:
            chunk, ancillary, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
        except BlockingIOError:
            await _readable(loop, conn.fileno())
            continue
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % 4
                fds += list(struct.unpack(f"{usable // 4}i", payload[:usable]))
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise ConnectionError("the run left before asking")
        data += chunk
    header = json.loads(data)
    if not isinstance(header, dict):
        raise TypeError("the request is not an object")
    return header, fds


async def _readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    readable: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not readable.done():
            readable.set_result(None)

    loop.add_reader(fd, ready)
    try:
        await readable
    finally:
        loop.remove_reader(fd)


def _short(argv: list[str]) -> str:
    """The command for the log: the program's name and its arguments, cut short."""
    text = shlex.join([Path(argv[0]).name, *argv[1:]])
    return text if len(text) <= 100 else text[:99] + "…"
