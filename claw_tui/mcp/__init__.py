"""MCP client on the official `mcp` SDK: configuration, the server manager, tools, OAuth.

The agent wires it as::

    async with McpManager.from_config(cwd, args.mcp_config, strict=args.strict_mcp_config) as mgr:
        tools = builtin_tools() + mgr.tools()

The SDK itself is imported lazily, when a server is first connected.
"""

from __future__ import annotations

from claw_tui.mcp.config import McpConfigError, ServerConfig, TrustStore, add_mcp_config_flag, load_servers
from claw_tui.mcp.manager import McpManager, PromptEntry, ResourceEntry, ServerStatus, parse_mention
from claw_tui.mcp.tools import McpTool

__all__ = [
    "McpConfigError",
    "McpManager",
    "McpTool",
    "PromptEntry",
    "ResourceEntry",
    "ServerConfig",
    "ServerStatus",
    "TrustStore",
    "add_mcp_config_flag",
    "load_servers",
    "parse_mention",
]
