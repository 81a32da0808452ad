"""A demo MCP server (the SDK's MCPServer, formerly FastMCP) exercising what claw's client uses.

Run as a script it serves stdio; `build()` gives the server for the HTTP, SSE and WebSocket
tests. `CRASH_MARKER` (env) names a file: `crash_once` kills the process mid-call when the
file is missing (and creates it), so the restarted server answers. With `REQUIRE_FILE` set
the server refuses to start until that file exists. With `PID_FILE` set each process that starts
adds its pid to that file, a line each.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.prompts.base import AssistantMessage, UserMessage

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def build(name: str = "demo", prefix: str = "", **server_options: Any) -> MCPServer:
    mcp = MCPServer(name, version="1.2.3", **server_options)

    @mcp.tool(name=f"{prefix}echo", annotations=types.ToolAnnotations(read_only_hint=True))
    def echo(text: str) -> str:
        """Repeat the text back."""
        return f"echo: {text}"

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool()
    def picture() -> list[types.ContentBlock]:
        """A caption, an image and an embedded text resource."""
        return [
            types.TextContent(text="a red dot"),
            types.ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png"),
            types.EmbeddedResource(
                resource=types.TextResourceContents(
                    uri="demo://notes/1", text="note one", mime_type="text/plain"
                )
            ),
        ]

    @mcp.tool()
    def huge(size: int = 200_000) -> str:
        """A very long text."""
        return "x" * size

    @mcp.tool()
    async def hang() -> str:
        """Never answers."""
        await anyio.sleep_forever()
        return "unreachable"

    @mcp.tool()
    def crash_once() -> str:
        """Dies mid-call the first time (per CRASH_MARKER file), answers afterwards."""
        marker = Path(os.environ["CRASH_MARKER"])
        if not marker.exists():
            marker.write_text("crashed")
            print("demo server: crashing on purpose", file=sys.stderr, flush=True)
            os._exit(3)
        return "survived"

    @mcp.tool()
    async def grow(ctx: Context) -> str:
        """Adds a tool named `extra` and tells the client the list changed."""

        def extra() -> str:
            return "extra tool here"

        mcp.add_tool(extra, name="extra", description="Added at run time.")
        await ctx.session.send_tool_list_changed()
        return "grown"

    @mcp.resource("demo://readme", name="readme", description="The readme", mime_type="text/markdown")
    def readme() -> str:
        return "# Demo\nHello from the demo server."

    @mcp.resource("demo://logo", name="logo", mime_type="image/png")
    def logo() -> bytes:
        return PNG

    @mcp.prompt(description="Review some code")
    def review(code: str, language: str = "python") -> list:
        return [
            UserMessage(f"Review this {language} code:\n{code}"),
            AssistantMessage("I will look at it."),
        ]

    return mcp


if __name__ == "__main__":
    if (required := os.environ.get("REQUIRE_FILE")) and not Path(required).exists():
        sys.exit(f"demo server: {required} is missing")
    if pid_file := os.environ.get("PID_FILE"):
        with open(pid_file, "a") as pids:
            pids.write(f"{os.getpid()}\n")
    build(os.environ.get("DEMO_NAME", "demo"), os.environ.get("DEMO_PREFIX", "")).run("stdio")
