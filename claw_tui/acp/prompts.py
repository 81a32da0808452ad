"""What the client sends as a prompt, as claw's messages; and the slash commands it may offer.

Prompts carry text, images, embedded context (a file's text the editor attached) and links to
resources. Commands are `/compact`, the user's command files and the installed skills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import acp
from acp import helpers
from acp import schema as s

from claw_tui.core.transcript import ImageBlock, Message, TextBlock


def plain_text(prompt: list[Any]) -> str:
    return "".join(block.text for block in prompt if isinstance(block, s.TextContentBlock))


def _path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def to_message(prompt: list[Any]) -> Message:
    """The prompt's blocks as one user message; audio is refused (no provider claw speaks takes it)."""
    content: list[TextBlock | ImageBlock] = []
    for block in prompt:
        if isinstance(block, s.TextContentBlock):
            content.append(TextBlock(text=block.text))
        elif isinstance(block, s.ImageContentBlock):
            content.append(ImageBlock(media_type=block.mime_type, data=block.data))
        elif isinstance(block, s.EmbeddedResourceContentBlock):
            resource = block.resource
            where = _path_of(resource.uri)
            if isinstance(resource, s.TextResourceContents):
                content.append(TextBlock(text=f'<context ref="{where}">\n{resource.text}\n</context>'))
            elif (resource.mime_type or "").startswith("image/"):
                content.append(ImageBlock(media_type=resource.mime_type or "", data=resource.blob))
            else:
                content.append(TextBlock(text=f"[{where}: binary content attached, not shown to the model]"))
        elif isinstance(block, s.ResourceContentBlock):
            content.append(TextBlock(text=f"@{_path_of(block.uri)}"))
        else:
            raise acp.RequestError(-32602, "claw takes text, images and embedded context in prompts, not audio")
    if not content:
        raise acp.RequestError(-32602, "the prompt is empty")
    return Message(role="user", content=list(content))


@dataclass
class Command:
    name: str
    description: str
    hint: str = ""


COMPACT = Command("compact", "Summarise the conversation so far to free context", "optional instructions for the summary")


def commands(agent: Any) -> list[Command]:
    """`/compact`, then the user's command files and skills, then the MCP servers' prompts."""
    from claw_tui.engine.user_commands import load_user_commands

    found: dict[str, Command] = {"compact": COMPACT}
    for name, command in sorted(load_user_commands(agent.cwd).commands.items()):
        kind = "Skill: " if command.kind == "skill" else ""
        found.setdefault(name, Command(name, f"{kind}{command.description}", command.argument_hint))
    if agent.mcp is not None:
        for entry in agent.mcp.list_prompts():
            from claw_tui.mcp.prompts import argument_hint

            found.setdefault(entry.command, Command(entry.command, entry.description or "MCP prompt", argument_hint(entry)))
    return list(found.values())


def available_commands_update(agent: Any) -> s.AvailableCommandsUpdate:
    return helpers.update_available_commands(
        s.AvailableCommand(
            name=c.name,
            description=c.description,
            input=s.AvailableCommandInput(root=s.UnstructuredCommandInput(hint=c.hint)) if c.hint else None,
        )
        for c in commands(agent)
    )


def compact_args(text: str) -> str | None:
    """The instructions of a `/compact …` prompt; None for any other prompt."""
    head, _, args = text.strip().partition(" ")
    return args.strip() if head == "/compact" else None
