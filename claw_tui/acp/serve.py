"""`claw serve`: one warm engine per user, on a Unix socket, speaking ACP.

The engine process imports what a run needs (the provider SDKs, the engine, the tools, the ACP
SDK) once, then forks a worker per client. The worker takes on the caller's environment and
working directory and serves the client's ACP connection, so a run through it sees the folder's
config and trust, the caller's keys, permissions and sandbox exactly as a cold run would, and
whatever a run leaves behind goes with its worker: the engine itself does not grow per run.

The socket lives in a directory only the user can enter (the runtime directory), is mode 0600,
and a peer whose uid differs is refused. Without a client for `idle_timeout` seconds the engine
stops; each client is one line in the log (standard error).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_IDLE_SECONDS = 30 * 60
SOCKET_ENV = "CLAW_ENGINE_SOCKET"
# What every run needs, imported before the first fork: each worker starts with them loaded.
WARM_MODULES = (
    "claw_tui.engine.agent", "claw_tui.engine.headless", "claw_tui.engine.toolset", "claw_tui.engine.sessions",
    "claw_tui.engine.permissions", "claw_tui.engine.subagents", "claw_tui.engine.hooks", "claw_tui.engine.compaction",
    "claw_tui.providers.registry", "claw_tui.providers.anthropic", "claw_tui.providers.openai",
    "anthropic", "openai", "claw_tui.tools.shell", "claw_tui.tools.files", "claw_tui.tools.search",
    "claw_tui.tools.sandbox", "claw_tui.mcp.manager", "claw_tui.acp.agent", "acp",
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
    sock = socket.socket(socket.AF_UNIX)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(16)
    return sock


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

    preload_first_request_modules()
    rehearse()


def serve(path: Path, *, idle_timeout: float = DEFAULT_IDLE_SECONDS) -> int:
    listener = _listen(path)
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
                listener.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os._exit(_serve_client(conn))
            conn.close()
            workers.add(worker)
            log(f"client {clients}: pid {pid} served by worker {worker}")
    finally:
        listener.close()
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


def _serve_client(conn: socket.socket) -> int:
    import asyncio

    from claw_tui.acp.agent import ClawAcpAgent

    async def run() -> None:
        import acp
        from acp.core import AgentSideConnection

        reader, writer = await asyncio.open_unix_connection(sock=conn, limit=acp.core.DEFAULT_STDIO_BUFFER_LIMIT_BYTES)
        agent = ClawAcpAgent(warm=True)
        connection = AgentSideConnection(agent, writer, reader, listening=False)
        try:
            await connection.listen()
        finally:
            await agent.close()
            await connection.close()

    try:
        asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - one client's failure is logged; the engine goes on
        log(f"worker {os.getpid()} failed: {type(exc).__name__}: {exc}")
        return 1
    return 0
