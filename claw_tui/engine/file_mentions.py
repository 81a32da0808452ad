"""`@path` in a prompt attaches the file's content, as Claude Code does: as if the model had called Read.

The content is read by the Read tool itself (its numbered lines, its refusals, and the read state an
Edit needs next). Claude Code's limits: a file over 256 KB, or over 25,000 tokens, is attached as its
first 2,000 lines (fewer where Read's own cut comes first) with a note telling the model so. A deny rule for Read keeps a file out, and so
does a path outside the workspace; the mention then stays plain text, and the front end says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.core.transcript import Message, TextBlock, user_text
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult

MENTION = re.compile(r"(?:^|(?<=\s))@([^\s@:]+)")  # @server:uri is an MCP resource, not a file
MAX_BYTES = 256 * 1024
MAX_TOKENS = 25_000
CUT_LINES = 2_000


@dataclass
class Attached:
    message: Message
    attached: list[str] = field(default_factory=list)  # one line per file, for the user
    problems: list[str] = field(default_factory=list)


def file_mentions(prompt: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(prompt)))


async def attach_files(prompt: str, read: Tool, ctx: ToolContext, permissions: object) -> Attached:
    """The prompt as a message with each mentioned file's content after it."""
    message = user_text(prompt)
    out = Attached(message)
    for mention in file_mentions(prompt):
        path = ctx.resolve(mention.rstrip(".,;)"))
        shown = mention.rstrip(".,;)")
        if path.is_dir() and ctx.in_workspace(path):
            out.problems.append(f"@{shown} is a folder: claw attaches files, not folders (the model can list it).")
            continue
        if not path.is_file():
            continue  # not a file (a name, an address): left as written
        if not ctx.in_workspace(path):
            out.problems.append(f"@{shown} was not attached: it is outside the workspace (the model can Read it).")
            continue
        parsed = read.Input.model_validate({"file_path": str(path)})
        decision = permissions.decide(read, parsed, ctx, sandboxed=False)  # type: ignore[attr-defined]
        if decision.behavior == "deny":
            out.problems.append(f"@{shown} was not attached: {decision.reason}.")
            continue
        try:
            result, note = await _read(read, path, ctx)
        except ToolError as exc:
            out.problems.append(f"@{shown} was not attached: {exc}")
            continue
        call = json.dumps({"file_path": str(path)})
        message.content.append(TextBlock(text=f"Called the Read tool with the following input: {call}"))
        message.content.append(TextBlock(text="Result of calling the Read tool:"))
        message.content.extend(result.content)  # text, or an image
        if note:
            message.content.append(TextBlock(text=note))
        out.attached.append(f"@{shown}" + (" (cut: too large to attach whole; the model can Read the rest)" if note else ""))
    return out


async def _read(read: Tool, path: Path, ctx: ToolContext) -> tuple[ToolResult, str]:
    """The file as Read shows it, and the note for the model when it was cut."""
    if path.stat().st_size <= MAX_BYTES:
        result = await read.run(read.Input.model_validate({"file_path": str(path)}), ctx)
        if len(result.output) // 4 <= MAX_TOKENS and "continue with offset=" not in result.output[-300:]:
            return result, ""
    result = await read.run(read.Input.model_validate({"file_path": str(path), "offset": 1, "limit": CUT_LINES}), ctx)
    note = (
        f"Note: The file {path} was too large and has been truncated to its first lines (at most {CUT_LINES}), "
        "shown above. Use the Read tool with offset and limit to read more of the file if you need."
    )
    return result, note
