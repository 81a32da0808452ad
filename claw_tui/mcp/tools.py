"""MCP server tools as claw tools, named `mcp__<server>__<tool>` as in Claude Code.

Provider APIs accept tool names matching `^[a-zA-Z0-9_-]{1,64}$`, so names are normalised
and cut to 64 characters; two tools that end up with the same name get `_2`, `_3`… The
input schema shown to the model is the server's own; `Input` checks arguments against it
with jsonschema so the model gets a readable error before anything is sent.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.tools.base import Tool, ToolContext, ToolKind, ToolResult

if TYPE_CHECKING:
    import mcp_types

    from claw_tui.mcp.manager import McpManager

MAX_NAME = 64
MAX_RESULT_CHARS = 50_000
_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def normalize(part: str) -> str:
    return _BAD_CHARS.sub("_", part) or "_"


def tool_name(server: str, tool: str, taken: set[str]) -> str:
    """`mcp__server__tool`, normalised, at most 64 chars, unique against `taken` (then added)."""
    base = f"mcp__{normalize(server)}__{normalize(tool)}"[:MAX_NAME]
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"_{n}"
        name = base[: MAX_NAME - len(suffix)] + suffix
    taken.add(name)
    return name


class McpInput(BaseModel):
    """Arguments as the server's JSON schema describes them (checked in `_check`)."""

    model_config = ConfigDict(extra="allow")
    input_schema: ClassVar[dict[str, Any]] = {}

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        from jsonschema import SchemaError
        from jsonschema.validators import validator_for

        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ValueError("arguments must be a JSON object")  # noqa: TRY004 - pydantic reports ValueError
        try:
            validator = validator_for(cls.input_schema)(cls.input_schema)
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        except SchemaError:
            return data  # the server's schema is broken; let the server judge the call
        if errors:
            lines = [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]]
            raise ValueError("; ".join(lines))
        return data

    def arguments(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class McpTool(Tool):
    """One tool of one server; `manager` routes the call to that server's live session."""

    server: ClassVar[str]
    remote_name: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]
    raw_description: ClassVar[str]  # as the server sent it, invisible characters and all
    definition_hash: ClassVar[str]  # of name, description and schema: what an approval pins (mcp/pins)
    flags: ClassVar[list[str]]  # what is suspicious in the description

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager

    @classmethod
    def build(cls, manager: McpManager, server: str, tool: mcp_types.Tool, name: str) -> McpTool:
        """A subclass per tool, since claw tools keep their name, schema and kind on the class."""
        schema = dict(tool.input_schema or {"type": "object"})
        schema.setdefault("type", "object")
        from claw_tui.mcp.pins import definition_hash, description_flags, strip_invisible

        read_only = bool(tool.annotations and tool.annotations.read_only_hint)
        title = tool.title or (tool.annotations.title if tool.annotations else None)
        raw = tool.description or ""
        description, hidden = strip_invisible(raw or title or tool.name)
        if hidden:  # the model gets what a person can see
            description += f"\n\n(claw removed {hidden} invisible characters from this description)"
        input_model = type(f"{name}_Input", (McpInput,), {"input_schema": schema, "__module__": __name__})
        attrs = {
            "name": name,
            "description": f"{description}\n\n(MCP tool `{tool.name}` from server `{server}`)",
            "raw_description": raw,
            "definition_hash": definition_hash(tool.name, raw, schema),
            "flags": description_flags(raw),
            "Input": input_model,
            "kind": ToolKind.READ if read_only else ToolKind.EXECUTE,
            "concurrent_safe": read_only,
            "server": server,
            "remote_name": tool.name,
            "input_schema": schema,
            "__module__": __name__,
        }
        return type(f"McpTool_{name}", (cls,), attrs)(manager)

    def schema(self) -> dict[str, Any]:
        return self.input_schema

    @property
    def pin_key(self) -> str:
        return f"{self.server}/{self.remote_name}"

    def changed_since_approval(self) -> str | None:
        """Why this tool must be approved again (its definition changed since it was), or None."""
        return self.manager.changed(self)

    def summary(self, input: BaseModel) -> str:
        args = input.arguments() if isinstance(input, McpInput) else {}
        shown = json.dumps(args, ensure_ascii=False)
        return f"{self.server}:{self.remote_name} {shown[:80]}"

    async def run(self, input: BaseModel, ctx: ToolContext) -> ToolResult:
        args = input.arguments() if isinstance(input, McpInput) else input.model_dump()
        self.manager.pin([self])  # the call was allowed: this definition is the approved one from now on
        result = await self.manager.call_tool(self.server, self.remote_name, args)
        return convert_result(result)


def _resource_block(resource: Any) -> TextBlock | ImageBlock:
    mime = resource.mime_type or ""
    if hasattr(resource, "text"):
        return TextBlock(text=f"[resource {resource.uri}]\n{resource.text}")
    if mime.startswith("image/"):
        return ImageBlock(media_type=mime, data=resource.blob)
    return TextBlock(
        text=f"[resource {resource.uri}: {mime or 'binary'} data, {len(resource.blob) * 3 // 4} bytes]"
    )


def content_blocks(items: list[Any]) -> list[TextBlock | ImageBlock]:
    """MCP content (tool results, prompt messages, resources) as transcript blocks."""
    out: list[TextBlock | ImageBlock] = []
    for item in items:
        match getattr(item, "type", None):
            case "text":
                out.append(TextBlock(text=item.text))
            case "image":
                out.append(ImageBlock(media_type=item.mime_type, data=item.data))
            case "audio":
                out.append(TextBlock(text=f"[audio: {item.mime_type}, not shown]"))
            case "resource_link":
                label = f" ({item.name})" if item.name else ""
                out.append(TextBlock(text=f"[resource link {item.uri}{label}]"))
            case "resource":
                out.append(_resource_block(item.resource))
            case _ if hasattr(item, "uri"):  # bare resource contents from resources/read
                out.append(_resource_block(item))
    return out


def cut_text(
    blocks: list[TextBlock | ImageBlock], limit: int = MAX_RESULT_CHARS
) -> list[TextBlock | ImageBlock]:
    """Keep at most `limit` characters of text over all blocks, with a note saying what was cut."""
    total = sum(len(b.text) for b in blocks if isinstance(b, TextBlock))
    if total <= limit:
        return blocks
    out: list[TextBlock | ImageBlock] = []
    left = limit
    for block in blocks:
        if isinstance(block, TextBlock):
            if left <= 0:
                continue
            block = TextBlock(text=block.text[:left])
            left -= len(block.text)
        out.append(block)
    out.append(
        TextBlock(
            text=f"\n[output cut: the tool returned {total:,} characters; only the first {limit:,} are shown]"
        )
    )
    return out


def convert_result(result: mcp_types.CallToolResult) -> ToolResult:
    blocks = content_blocks(list(result.content))
    if not blocks and result.structured_content is not None:
        blocks = [TextBlock(text=json.dumps(result.structured_content, ensure_ascii=False, indent=2))]
    if not blocks:
        blocks = [TextBlock(text="(no output)")]
    return ToolResult(content=cut_text(blocks), is_error=bool(result.is_error))
