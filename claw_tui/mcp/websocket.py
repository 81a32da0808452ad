"""The WebSocket transport: JSON-RPC messages as text frames, subprotocol `mcp`.

mcp 2.x dropped the v1 `websocket_client`, so claw keeps the framing here: it only moves
SDK `SessionMessage`s between a WebSocket and the memory streams a `ClientSession` reads
and writes. All protocol handling stays in the SDK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import mcp_types as types
from mcp.client._transport import TransportStreams
from mcp.shared.message import SessionMessage


@asynccontextmanager
async def websocket_client(
    url: str, headers: dict[str, str] | None = None
) -> AsyncIterator[TransportStreams]:
    """Connect to `url` (ws:// or wss://) and yield the (read, write) streams a session needs."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    async with connect(url, subprotocols=[Subprotocol("mcp")], additional_headers=headers) as ws:
        read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

        async def reader() -> None:
            async with read_writer:
                try:
                    async for frame in ws:
                        try:
                            message = types.jsonrpc_message_adapter.validate_json(frame, by_name=False)
                        except ValueError as exc:
                            await read_writer.send(exc)
                            continue
                        await read_writer.send(SessionMessage(message))
                except ConnectionClosed:
                    pass  # the session sees the end of the read stream

        async def writer() -> None:
            async with write_reader:
                try:
                    async for item in write_reader:
                        await ws.send(item.message.model_dump_json(by_alias=True, exclude_unset=True))
                except ConnectionClosed:
                    await read_writer.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            tg.start_soon(writer)
            try:
                yield read_stream, write_stream
            finally:
                tg.cancel_scope.cancel()
