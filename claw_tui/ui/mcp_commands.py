"""MCP in the app: the servers started once the screen is up, and their prompts as slash commands —
a server's prompts are commands while it is connected, and running one sends the prompt's
messages as the user's message.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from claw_tui.core.transcript import ContentBlock, Message
from claw_tui.engine.user_commands import CommandPrompt
from claw_tui.mcp import McpManager, PromptEntry
from claw_tui.mcp.manager import STATUS_WORDS
from claw_tui.mcp.prompts import PromptArgumentError, argument_hint, map_arguments
from claw_tui.ui.commands import SlashCommand

if TYPE_CHECKING:
    from claw_tui.ui.app import ClawApp
    from claw_tui.ui.screens.main import MainScreen


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
        blocks: list[ContentBlock] = [block for _, content in messages for block in content]
        if not blocks:
            await screen.conversation.add_note(
                f"/{entry.command}: the server's prompt is empty; nothing sent.", "warning"
            )
            return
        prompt = CommandPrompt(shown, Message(role="user", content=blocks), entry.command, args, "mcp")
        await screen.send_prompt(shown, message=prompt)

    screen.run_worker(fetch_and_send(), group="mcp-prompt", name="get the MCP prompt", exit_on_error=False)


async def start_servers(screen: MainScreen) -> None:
    """Start the MCP servers without waiting for them, then say which ones did not come up."""
    if screen.agent is None:
        screen.mcp_started.set()
        return
    try:
        app = cast("ClawApp", screen.app)
        manager = await screen.agent.start_mcp(app.mcp_config, strict=app.strict_mcp_config, wait=False)
    except Exception as exc:  # noqa: BLE001 - a bad config file is a note (naming the file), never a traceback
        screen.mcp_error = f"MCP servers not started: {exc}"
        await screen.conversation.add_note(screen.mcp_error, "warning")
        return
    finally:
        screen.mcp_started.set()  # the trust question names the servers that wait for it
    if manager is None:  # no server is declared
        return
    screen.registry.sources.append(lambda: prompt_commands(manager))
    screen.prompt.resource_source = lambda: [(r.mention[1:], r.name) for r in manager.resources()]
    await manager.wait_settled()
    down = [f"{s.name} {STATUS_WORDS[s.status]}" for s in manager.statuses() if s.status in ("failed", "needs-auth", "needs-trust")]
    if down:
        await screen.conversation.add_note(f"MCP: {'; '.join(down)}. /mcp shows the details.", "warning")
    for warning in manager.warnings():  # changed definitions, hidden characters, instruction-like text
        await screen.conversation.add_note(warning, "warning")
