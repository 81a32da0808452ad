"""MCP client on the official `mcp` SDK: configuration, the server manager, tools, OAuth.

The agent wires it as::

    async with McpManager.from_config(cwd, args.mcp_config, strict=args.strict_mcp_config) as mgr:
        tools = builtin_tools() + mgr.tools()

The SDK itself is imported lazily, when a server is first connected.
"""

from __future__ import annotations

import importlib
from typing import Any

# Where each name lives: loaded on first use, so `claw_tui.mcp.config` (which the command line's
# parser needs) does not bring the manager and the tools along.
_HOMES = {
    "McpConfigError": "config",
    "ServerConfig": "config",
    "TrustStore": "config",
    "add_mcp_config_flag": "config",
    "load_servers": "config",
    "McpManager": "manager",
    "PromptEntry": "manager",
    "ResourceEntry": "manager",
    "ServerStatus": "manager",
    "parse_mention": "manager",
    "McpTool": "tools",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
