"""MCP in the prompt: `@server:uri` resources attached to a message, `/server:prompt` commands.

As in Claude Code, a mentioned resource is read when the prompt is sent and its contents go
into the user's message after the text (the mention itself stays in the text); a server's
prompts are slash commands while the server is connected, and running one sends the prompt's
messages as the user's message.
"""

from __future__ import annotations

import re
import shlex
from functools import partial
from typing import TYPE_CHECKING

from claw_tui.core.transcript import Message, TextBlock, user_text
from claw_tui.mcp import McpManager, PromptEntry, parse_mention
from claw_tui.ui.commands import SlashCommand

if TYPE_CHECKING:
    from claw_tui.ui.screens.main import MainScreen

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


# --- /server:prompt ---------------------------------------------------------------------


class PromptArgumentError(ValueError):
    """Arguments that do not fit the prompt; the message shows the usage."""


def argument_hint(entry: PromptEntry) -> str:
    return " ".join(f"<{name}>" if required else f"[{name}]" for name, required, _ in entry.arguments)


def map_arguments(entry: PromptEntry, args: str) -> dict[str, str]:
    """`name=value` words by name, the other words in order of the declared arguments.

    Words beyond the last argument join it, so the last one can take free text unquoted.
    """
    names = [name for name, _, _ in entry.arguments]
    try:
        words = shlex.split(args)
    except ValueError:  # an unclosed quote: take the words as they are
        words = args.split()
    named: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in names:
            named[key] = value
        else:
            positional.append(word)
    free = [name for name in names if name not in named]
    if positional and not free:
        raise PromptArgumentError(f"too many arguments. Usage: /{entry.command} {argument_hint(entry)}".rstrip())
    for name, word in zip(free, positional, strict=False):
        named[name] = word
    if len(positional) > len(free):
        named[free[-1]] = " ".join([named[free[-1]], *positional[len(free) :]])
    missing = [name for name, required, _ in entry.arguments if required and name not in named]
    if missing:
        raise PromptArgumentError(
            f"missing {', '.join(missing)}. Usage: /{entry.command} {argument_hint(entry)}".rstrip()
        )
    return named


def prompt_commands(manager: McpManager) -> list[SlashCommand]:
    """One command per prompt of each connected server (the registry asks on every read)."""
    return [
        SlashCommand(
            name=entry.command,
            title=f"{entry.server}: {entry.name}",
            help=f"{entry.description or entry.name} (MCP prompt from {entry.server})",
            action=partial(run_prompt, manager, entry),
            argument_hint=argument_hint(entry),
            source=f"MCP server {entry.server}",
        )
        for entry in manager.list_prompts()
    ]


async def run_prompt(manager: McpManager, entry: PromptEntry, screen: MainScreen, args: str) -> None:
    shown = f"/{entry.command} {args}".strip()
    try:
        arguments = map_arguments(entry, args)
    except PromptArgumentError as exc:
        await screen.conversation.add_note(f"/{entry.command}: {exc}", "warning")
        return

    async def fetch_and_send() -> None:
        # The server may be slow; a worker keeps the UI responsive while it answers.
        try:
            messages = await manager.get_prompt(entry.server, entry.name, arguments)
        except Exception as exc:  # noqa: BLE001 - shown as a note; nothing is sent
            await screen.conversation.add_note(f"/{entry.command} failed: {exc}", "error")
            return
        blocks = [block for _, content in messages for block in content]
        if not blocks:
            await screen.conversation.add_note(
                f"/{entry.command}: the server's prompt is empty; nothing sent.", "warning"
            )
            return
        await screen.send_prompt(shown, message=Message(role="user", content=blocks))

    screen.run_worker(fetch_and_send(), group="mcp-prompt", exit_on_error=False)
