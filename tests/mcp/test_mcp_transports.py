"""The same demo server over SSE, streamable HTTP and WebSocket, served by uvicorn."""

from __future__ import annotations

import asyncio

import pytest
from mcp.server.mcpserver import Context
from servers.demo import build
from servers.ws_app import ws_app

from claw_tui.core.transcript import TextBlock
from claw_tui.mcp import McpManager
from claw_tui.mcp.config import ServerConfig
from claw_tui.tools.base import ToolError


def remote(name: str, transport: str, url: str, **kw) -> ServerConfig:
    return ServerConfig(name=name, transport=transport, scope="user", source="test", url=url, **kw)


@pytest.fixture(params=["http", "sse", "ws"])
def server_config(request, serve_app):
    transport = request.param
    if transport == "http":
        app = serve_app(lambda port: build().streamable_http_app())
        return remote("demo", "http", f"{app.base}/mcp")
    if transport == "sse":
        app = serve_app(lambda port: build().sse_app())
        return remote("demo", "sse", f"{app.base}/sse")
    app = serve_app(lambda port: ws_app(build()))
    return remote("demo", "ws", f"ws://127.0.0.1:{app.port}/ws")


async def test_tools_resources_prompts_and_list_changed_over_each_transport(server_config, tmp_path):
    changed = asyncio.Event()
    async with McpManager([server_config], project=tmp_path, call_timeout=2.0) as mgr:
        status = mgr.status("demo")
        assert (status.status, status.transport, status.tools) == ("connected", server_config.transport, 7)
        result = await mgr.call_tool("demo", "echo", {"text": server_config.transport})
        assert result.content[0].text == f"echo: {server_config.transport}"
        assert await mgr.read_resource("demo", "demo://readme") == [
            TextBlock(text="[resource demo://readme]\n# Demo\nHello from the demo server.")
        ]
        messages = await mgr.get_prompt("demo", "review", {"code": "pass"})
        assert messages[0] == ("user", [TextBlock(text="Review this python code:\npass")])
        with pytest.raises(ToolError, match="did not answer tool 'hang' within 2s"):
            await mgr.call_tool("demo", "hang", {})

        mgr.on_tools_changed(changed.set)
        await mgr.call_tool("demo", "grow", {})
        async with asyncio.timeout(20):
            while "mcp__demo__extra" not in {t.name for t in mgr.tools()}:
                await changed.wait()
                changed.clear()


async def test_headers_are_sent(serve_app, tmp_path):
    server = build()

    @server.tool()
    def whoami(ctx: Context) -> str:
        return str((ctx.headers or {}).get("x-team"))

    app = serve_app(lambda port: server.streamable_http_app())
    config = remote("demo", "http", f"{app.base}/mcp", headers={"X-Team": "claw"})
    async with McpManager([config], project=tmp_path) as mgr:
        assert (await mgr.call_tool("demo", "whoami", {})).content[0].text == "claw"


@pytest.mark.parametrize("transport", ["http", "sse", "ws"])
async def test_unreachable_server_fails_with_its_error_instead_of_hanging(transport, tmp_path):
    from mcp_helpers import free_port

    port = free_port()
    url = {"http": f"http://127.0.0.1:{port}/mcp", "sse": f"http://127.0.0.1:{port}/sse"}.get(
        transport, f"ws://127.0.0.1:{port}/ws"
    )
    mgr = McpManager([remote("gone", transport, url)], project=tmp_path, max_retries=0, connect_timeout=20)
    async with mgr:
        status = await mgr.wait_for("gone", "failed")
        assert status.last_error and status.last_error != "timed out"
        assert "connect" in status.last_error.lower() or "refused" in status.last_error.lower()
