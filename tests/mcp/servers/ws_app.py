"""A WebSocket MCP endpoint for the tests: mcp 2.x ships no WebSocket server, so this bridges
a Starlette WebSocket (subprotocol `mcp`, one JSON-RPC message per text frame) to the SDK
server's stream loop."""

from __future__ import annotations

import anyio
import mcp_types as types
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


def ws_app(server: MCPServer, path: str = "/ws") -> Starlette:
    lowlevel = server._lowlevel_server

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept(subprotocol="mcp")
        read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

        async def reader() -> None:
            async with read_writer:
                try:
                    while True:
                        text = await ws.receive_text()
                        message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
                        await read_writer.send(SessionMessage(message))
                except WebSocketDisconnect:
                    pass

        async def writer() -> None:
            async with write_reader:
                async for item in write_reader:
                    await ws.send_text(item.message.model_dump_json(by_alias=True, exclude_unset=True))

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            tg.start_soon(writer)
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()

    return Starlette(routes=[WebSocketRoute(path, endpoint)])
