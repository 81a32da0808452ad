"""MCP client on the official `mcp` SDK: configuration, the server manager, tools, OAuth.

The agent wires it as::

    async with McpManager.from_config(cwd, args.mcp_config, strict=args.strict_mcp_config) as mgr:
        tools = builtin_tools() + mgr.tools()

The SDK itself is imported lazily, when a server is first connected.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time `__getattr__` below loads each on first use
    from claw_tui.mcp.config import (  # noqa: F401 - the package's names
        McpConfigError,
        ServerConfig,
        TrustStore,
        add_mcp_config_flag,
        load_servers,
    )
    from claw_tui.mcp.manager import McpManager, PromptEntry, ResourceEntry, ServerStatus, parse_mention  # noqa: F401
    from claw_tui.mcp.tools import McpTool  # noqa: F401

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
