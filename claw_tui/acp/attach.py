"""`claw --attach`: a run (print mode, or the app) carried out by a worker of the warm engine.

The worker runs claw's own command line (`claw -p …`, the same code as a cold run) on this
process's standard input, output and error, which go to it over the socket (SCM_RIGHTS), in this
process's environment and directory. So everything a cold run prints, every output format, the
notes on standard error, the stream-json input of the Agent SDK and the exit code, is the cold
run's by construction; this process only waits for the exit code and passes on signals.

On the socket it speaks ACP: `initialize` (carrying the descriptors and asking for a print run
under `_meta.claw`), then the extension request `_claw/print` whose answer is the exit code. It
does so with plain sockets rather than the ACP SDK, whose import takes longer than a whole run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from typing import Any

from claw_tui.acp.serve import PRINT_METHOD, STDIO, socket_path

PROTOCOL_VERSION = 1
# SIGWINCH: the app redraws for the terminal's new size.
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH)


class AttachError(Exception):
    """A one-line reason the run could not go through the engine."""


def without_attach(argv: list[str]) -> list[str]:
    """The command line the worker runs: this one without --attach (or an abbreviation of it)."""
    out: list[str] = []
    for n, arg in enumerate(argv):
        if arg == "--":
            return out + argv[n:]
        if not (len(arg) > 4 and "--attach".startswith(arg)):
            out.append(arg)
    return out


def run_attached(argv: list[str]) -> int:
    """Run `claw argv` (print mode, without --attach) in the warm engine; its exit code."""
    path = socket_path()
    conn = socket.socket(socket.AF_UNIX)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        raise AttachError(f"no warm engine at {path}: start one with `claw serve`") from None
    with conn, conn.makefile("rb") as replies:
        fds = [fd for fd in STDIO if _is_open(fd)]
        hello = _request(1, "initialize", {
            "protocolVersion": PROTOCOL_VERSION, "clientCapabilities": {},
            "_meta": {"claw": {"print": True, "fds": fds}},
        })
        conn.sendmsg([hello], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(_fd_array(fds)))])
        worker = int((((_answer(replies, 1).get("_meta") or {}).get("claw") or {})).get("worker_pid", 0))
        if worker <= 0:
            raise AttachError("the warm engine did not start a worker for this run")
        params = {"argv": argv, "argv0": sys.argv[0], "env": dict(os.environ), "cwd": os.getcwd(),
                  "umask": _umask()}
        conn.sendall(_request(2, PRINT_METHOD, params))
        forwarded: list[int] = []
        with _forwarding_signals(worker, forwarded):
            try:
                return int(_answer(replies, 2).get("exitCode", 1))
            except AttachError:
                deadly = [sig for sig in forwarded if sig not in (signal.SIGINT, signal.SIGWINCH)]
                if deadly:
                    _die_by(deadly[-1])  # the worker died of it, as a cold run would have: so does this one
                raise


def _answer(replies: Any, request_id: int) -> dict[str, Any]:
    while line := replies.readline():  # a forwarded signal's EINTR is retried (PEP 475)
        message = json.loads(line)
        if message.get("id") != request_id or "method" in message:
            continue  # nothing else is expected on this connection
        if "error" in message:
            raise AttachError(f"the warm engine answered: {message['error'].get('message', 'an error')}")
        return message.get("result") or {}
    raise AttachError("the warm engine closed the connection before the run ended (see its log)")


def _request(request_id: int, method: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).encode() + b"\n"


def _fd_array(fds: list[int]) -> Any:
    import array

    return array.array("i", fds)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _die_by(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _forwarding_signals(worker: int, forwarded: list[int]) -> Any:
    """Ctrl+C, a kill or a hang-up of this process reach the worker, as they would reach a cold run."""

    def forward(signum: int, frame: object) -> None:
        forwarded.append(signum)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
