"""`@server:uri` in a prompt: MCP resources attached to the user's message.

As in Claude Code, a mentioned resource is read when the prompt is sent and its contents go
into the user's message after the text (the mention itself stays in the text). Every front
end uses this: the app, print mode and the ACP server.
"""

from __future__ import annotations

import re

from claw_tui.core.transcript import Message, TextBlock, user_text
from claw_tui.mcp import McpManager, parse_mention

_TOKEN = re.compile(r"(?:^|(?<=\s))@\S+")
_TRAILING = ".,;:!?)]}'\""  # sentence punctuation after a mention is not part of its URI


def resource_mentions(manager: McpManager, text: str) -> list[tuple[str, str]]:
    """The (server, uri) pairs `@server:uri` names in `text`, each once, in order."""
    servers = [s.name for s in manager.statuses()]
    known = {r.mention for r in manager.resources()}
    found: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token not in known and token.rstrip(_TRAILING) in known:
            token = token.rstrip(_TRAILING)
        mention = parse_mention(token, servers)
        if mention is not None and mention not in found:
            found.append(mention)
    return found


async def attach_resources(manager: McpManager, text: str) -> tuple[Message, list[str], list[str]]:
    """The user message for `text` with every mentioned resource's contents; the mentions attached, and
    why the others were not."""
    message = user_text(text)
    attached: list[str] = []
    problems: list[str] = []
    for server, uri in resource_mentions(manager, text):
        try:
            blocks = await manager.read_resource(server, uri)
        except Exception as exc:  # noqa: BLE001 - an unreadable resource is reported; the prompt still goes
            problems.append(f"@{server}:{uri} was not attached: {exc}")
            continue
        message.content.append(TextBlock(text=f"Attached MCP resource @{server}:{uri}:"))
        message.content.extend(blocks or [TextBlock(text="(the resource is empty)")])
        attached.append(f"@{server}:{uri}")
    return message, attached, problems
