"""An MCP server whose `approve` tool answers permission asks as `--permission-prompt-tool` expects:
it allows every call except one touching a path with "secret" in it."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer

mcp = MCPServer("gate", version="1.0.0")


@mcp.tool()
def approve(tool_name: str, input: dict[str, Any], tool_use_id: str = "") -> str:
    """Decide whether a tool call may run."""
    if "secret" in json.dumps(input):
        return json.dumps({"behavior": "deny", "message": f"{tool_name} may not touch secrets"})
    return json.dumps({"behavior": "allow", "updatedInput": input})


if __name__ == "__main__":
    mcp.run("stdio")
