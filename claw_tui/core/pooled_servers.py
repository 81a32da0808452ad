"""A worker of the warm engine borrowing a stdio server from the engine's pool (acp/server_pool.py).

The run decides which servers it starts, exactly as a cold run does; then, instead of starting
the process itself, it asks the pool for one started with exactly the same command line,
environment, directory and umask (and whatever else decides the server's state, `config`). The
answer is a connection that carries the server's own protocol, as its standard input and output
would; the server's standard error goes, for the time of the lease, to the descriptor the run
sends with its request (its log file, or a pipe it reads).

Only the engine turns this on (`use`), in its workers: a cold run never asks. When the pool
cannot be reached the run starts the server itself, as a cold run does.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import errno
import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# A notification a run sends the pool, never passed on to the server: the server must not be lent
# again (the run asked for a fresh one: a reconnect).
RETIRE = "$/claw/retire"
_ANSWER_LIMIT = 64 * 1024
LEASE_SECONDS = 30.0  # a pool that takes longer to lend or start a server is given up for this one
# How long a run's end waits for the pool to have its server back (it closes the connection then), so
# that the next run finds it there; longer only when the pool is not answering.
GIVE_BACK_SECONDS = 3.0

_pool: str | None = None


def use(path: str | None) -> None:
    """Borrow stdio servers from the pool listening at `path` (None: start them, as cold)."""
    global _pool
    _pool = path


def in_use() -> bool:
    return _pool is not None


async def lease(
    protocol: str, argv: Sequence[str], env: Mapping[str, str], cwd: str, *, stderr: int, config: Any = None
) -> socket.socket | None:
    """A connection to a server of this exact key, idle in the pool or started for this run; None when
    no pool is in use or it cannot be reached. Raises the OSError that starting the process raised.
    A relative `cwd` is taken from this process's directory, as a process started here would."""
    if _pool is None:
        return None
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_UNIX)
    sock.setblocking(False)
    request = {"protocol": protocol, "argv": list(argv), "env": dict(env), "cwd": os.path.join(os.getcwd(), cwd),
               "umask": _umask(),
               "config": config}
    try:
        async with asyncio.timeout(LEASE_SECONDS):
            await loop.sock_connect(sock, _pool)
            header = json.dumps(request).encode() + b"\n"
            fds = array.array("i", [stderr]).tobytes()
            sent = sock.sendmsg([header], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
            await loop.sock_sendall(sock, header[sent:])
            answer = await _answer(loop, sock)
    except (OSError, ValueError, TypeError):  # TimeoutError too
        sock.close()
        return None  # no pool (it stopped, or the engine is going): the run starts its own
    except BaseException:  # cancelled: the pool sees the connection close, and stops what it started for it
        sock.close()
        raise
    if "error" in answer:
        sock.close()
        failure = answer["error"]
        raise OSError(failure.get("errno") or errno.EIO, failure.get("strerror") or "the server pool failed",
                      failure.get("filename"))
    return sock


async def _answer(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> dict[str, Any]:
    """The pool's one-line answer, read a byte at a time: what follows it is the server's and stays in the socket."""
    line = b""
    while not line.endswith(b"\n"):
        byte = await loop.sock_recv(sock, 1)
        if not byte or len(line) > _ANSWER_LIMIT:
            raise ConnectionError("the server pool closed the connection")
        line += byte
    answer = json.loads(line)
    if not isinstance(answer, dict):
        raise TypeError("the server pool's answer is not an object")
    return answer


def _umask() -> int:
    """The process's umask, read without changing it (another thread may be creating files)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
