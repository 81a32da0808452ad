"""The stdio transport of a run in the warm engine: the server borrowed from the engine's pool.

The same command line, environment (the SDK's inherited variables and the server's own) and
directory as `mcp.client.stdio.stdio_client` would start, and the same messages, one JSON-RPC
message a line, over the connection the pool gives instead of the process's pipes; the server's
standard error goes to the same log. Closing gives the server back: the transport says it has
done writing and waits (briefly) until the pool has it back, so that the next run finds it there.
Where no pool can be reached the SDK's own transport starts the process.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, TextIO

from claw_tui.core import pooled_servers

if TYPE_CHECKING:
    from mcp.client.stdio import StdioServerParameters


@contextlib.asynccontextmanager
async def pooled_stdio_client(
    server: StdioServerParameters, errlog: TextIO, *, retire: Callable[[], bool]
) -> AsyncIterator[tuple[object, object]]:
    """`stdio_client(server, errlog)` through the pool; `retire()` true at the end: never lend it again
    (a reconnect asks for a fresh process, as it gets one cold)."""
    import anyio
    import mcp_types
    from anyio.abc import SocketStream
    from mcp.client.stdio import get_default_environment, stdio_client
    from mcp.shared.message import SessionMessage

    env = get_default_environment() | (server.env or {})
    argv = [server.command, *server.args]
    cwd = str(server.cwd) if server.cwd is not None else os.getcwd()
    sock = await pooled_servers.lease("mcp", argv, env, cwd, stderr=errlog.fileno())
    if sock is None:
        async with stdio_client(server, errlog=errlog) as streams:
            yield streams
        return
    stream = await SocketStream.from_socket(sock)
    incoming_writer, incoming = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    outgoing, outgoing_reader = anyio.create_memory_object_stream[SessionMessage](0)

    def parse(line: bytes) -> SessionMessage | Exception:
        try:
            return SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False))
        except ValueError as exc:  # told to the session, as the SDK's transport does
            return exc

    async def read() -> None:
        buffer, deliver = b"", True
        try:
            while True:
                *lines, buffer = (buffer + await stream.receive()).split(b"\n")
                for line in lines:
                    if deliver:
                        try:
                            await incoming_writer.send(parse(line))
                        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                            deliver = False  # the session is closing: the rest is read to the end, unheard
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError):
            pass
        finally:
            ended.set()
            await incoming_writer.aclose()

    async def write() -> None:
        try:
            async with outgoing_reader:
                async for message in outgoing_reader:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await stream.send(data.encode() + b"\n")
            # Done with the server: the pool closes the connection once it has it back (or has stopped it).
            if retire():
                await stream.send(json.dumps({"jsonrpc": "2.0", "method": pooled_servers.RETIRE}).encode() + b"\n")
            await stream.send_eof()
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            pass
        await incoming_writer.aclose()  # the connection is gone: the session must not wait for answers

    ended = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read)
        tasks.start_soon(write)
        try:
            yield incoming, outgoing
        finally:
            with anyio.CancelScope(shield=True):
                await incoming.aclose()
                await outgoing.aclose()
                with anyio.move_on_after(pooled_servers.GIVE_BACK_SECONDS):
                    await ended.wait()
                tasks.cancel_scope.cancel()
                await stream.aclose()
