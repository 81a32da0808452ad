"""What the client sends as a prompt, as claw's messages; and the slash commands it may offer.

Prompts carry text, images, embedded context (a file's text the editor attached) and links to
resources. Commands are `/compact`, the user's command files and the installed skills.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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
    args: str = ""
    content: list[TextBlock] = field(default_factory=list)  # the prompt it sends (not for /compact)


def commands(cwd: Path) -> list[Command]:
    """`/compact`, then the user's command files, then skills (a command file wins over a skill of its name)."""
    from claw_tui.engine.skills import list_skills
    from claw_tui.engine.user_commands import split_frontmatter, user_command_dirs

    found: dict[str, Command] = {"compact": Command("compact", "Summarise the conversation so far to free context",
                                                    "optional instructions for the summary")}
    for skill in list_skills(cwd):
        found.setdefault(skill.name, Command(skill.name, f"Skill: {skill.description}", "arguments"))
    for directory in user_command_dirs(cwd):
        for path in sorted(directory.glob("*.md")):
            try:
                meta, body = split_frontmatter(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            if path.stem == "compact":
                continue
            first = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
            found[path.stem] = Command(path.stem, meta.get("description") or first[:80] or "user command",
                                       meta.get("argument-hint", ""))
    return list(found.values())


def available_commands_update(cwd: Path) -> s.AvailableCommandsUpdate:
    return helpers.update_available_commands(
        s.AvailableCommand(
            name=c.name,
            description=c.description,
            input=s.AvailableCommandInput(root=s.UnstructuredCommandInput(hint=c.hint)) if c.hint else None,
        )
        for c in commands(cwd)
    )


def slash_command(text: str, cwd: Path) -> Command | None:
    """The command a prompt invokes (`/name args`), with the prompt it expands to; None for plain text."""
    from claw_tui.engine.skills import find_skill, list_skills, render_skill
    from claw_tui.engine.user_commands import expand_template, split_frontmatter, user_command_dirs

    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    head, _, args = stripped[1:].partition(" ")
    args = args.strip()
    if head == "compact":
        return Command("compact", "", args=args)
    for directory in reversed(user_command_dirs(cwd)):  # the project's files win
        path = directory / f"{head}.md"
        if path.is_file():
            _, body = split_frontmatter(path.read_text(encoding="utf-8"))
            return Command(head, "", args=args, content=[TextBlock(text=expand_template(body.strip(), args))])
    skills = list_skills(cwd)
    if any(skill.name == head for skill in skills):
        return Command(head, "", args=args, content=[TextBlock(text=render_skill(find_skill(skills, head), args))])
    return None
