"""MCP resources for the model: ListMcpResourcesTool and ReadMcpResourceTool, as Claude Code names them.

The user attaches a resource with `@server:uri`; these let the model find and read resources
itself. Both only read, and are offered while a connected server has resources.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field

from claw_tui.core.transcript import TextBlock
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult

if TYPE_CHECKING:
    from claw_tui.mcp.manager import McpManager


class ListMcpResourcesInput(BaseModel):
    server: str | None = Field(default=None, description="Only this server's resources (default: every server's).")


class ListMcpResources(Tool[ListMcpResourcesInput]):
    name: ClassVar[str] = "ListMcpResourcesTool"
    description: ClassVar[str] = (
        "List the resources the connected MCP servers offer (files, records, documents), each with its "
        "server, URI, name and type. Read one with ReadMcpResourceTool."
    )
    Input = ListMcpResourcesInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager

    def summary(self, input: ListMcpResourcesInput) -> str:
        return "ListMcpResources" + (f" {input.server}" if input.server else "")

    async def run(self, input: ListMcpResourcesInput, ctx: ToolContext) -> ToolResult:
        servers = {s.name for s in self.manager.statuses()}
        if input.server is not None and input.server not in servers:
            raise ToolError(f"No MCP server named {input.server!r}. Servers: {', '.join(sorted(servers)) or 'none'}.")
        entries = [
            {"server": r.server, "uri": r.uri, "name": r.name, "mimeType": r.mime_type, "description": r.description}
            for r in self.manager.resources()
            if input.server is None or r.server == input.server
        ]
        if not entries:
            return ToolResult.text("No resources found.")
        return ToolResult.text(json.dumps([{k: v for k, v in e.items() if v is not None} for e in entries], indent=2))


class ReadMcpResourceInput(BaseModel):
    server: str = Field(description="The MCP server's name.")
    uri: str = Field(description="The resource's URI, as ListMcpResourcesTool gives it.")


class ReadMcpResource(Tool[ReadMcpResourceInput]):
    name: ClassVar[str] = "ReadMcpResourceTool"
    description: ClassVar[str] = "Read one resource of an MCP server by its server name and URI."
    Input = ReadMcpResourceInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager

    def summary(self, input: ReadMcpResourceInput) -> str:
        return f"ReadMcpResource @{input.server}:{input.uri}"

    async def run(self, input: ReadMcpResourceInput, ctx: ToolContext) -> ToolResult:
        blocks = await self.manager.read_resource(input.server, input.uri)  # ToolError with the reason
        content = list(blocks) or [TextBlock(text="(the resource is empty)")]
        return ToolResult(content=content, metadata={"server": input.server, "uri": input.uri})


RESOURCE_TOOLS = ("ListMcpResourcesTool", "ReadMcpResourceTool")


def resource_tools(manager: McpManager) -> list[Tool[BaseModel]]:
    """The two tools, while some connected server has resources; none otherwise."""
    if not manager.resources():
        return []
    return [ListMcpResources(manager), ReadMcpResource(manager)]  # type: ignore[list-item]
