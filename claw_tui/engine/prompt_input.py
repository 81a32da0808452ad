"""A typed prompt made ready for the model, the same way in every front end without a UI of its own.

`claw -p "/review a.py"` runs the user's command or skill, `claw -p "/github:pr-summary 42"` an MCP
server's prompt (`/server:prompt`, as in Claude Code), and `@server:uri` in a prompt attaches that
MCP resource. The app has its own command registry; print mode and the ACP server use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claw_tui.core.transcript import ContentBlock, Message, TextBlock, user_text
from claw_tui.engine.user_commands import CommandError, CommandPrompt, load_user_commands, parse_invocation

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent


class PromptError(Exception):
    """A command that cannot run as typed (bad arguments, an unreadable file, a server's refusal)."""


@dataclass
class PreparedPrompt:
    prompt: str | Message | CommandPrompt
    notices: list[str] = field(default_factory=list)  # for the user: what was attached, what was not


async def prepare_prompt(agent: FrontendAgent, text: str) -> PreparedPrompt:
    """`text` expanded (a user command or skill, an MCP prompt) or with its MCP resources attached.

    Raises PromptError when a command it names cannot run; text naming no command goes as it is.
    """
    invocation = parse_invocation(text)
    if invocation is not None:
        name, args = invocation
        try:
            command = load_user_commands(agent.cwd).expand(text, session_id=agent.session_id or "")
        except CommandError as exc:
            raise PromptError(str(exc)) from None
        if command is not None:
            return PreparedPrompt(command)
        mcp_prompt = await _mcp_prompt(agent, name, args)
        if mcp_prompt is not None:
            return PreparedPrompt(mcp_prompt)
        prepared = await _with_resources(agent, text)
        prepared.prompt = _unknown_command(agent, name, prepared.prompt)
        prepared.notices.insert(0, f"No command /{name} here; the prompt went to the model as typed.")
        return prepared
    return await _with_resources(agent, text)


def _unknown_command(agent: FrontendAgent, name: str, prompt: str | Message | CommandPrompt) -> Message:
    """The prompt as typed, with a reminder telling the model that /name ran nothing and what would have."""
    names = [f"/{n}" for n in sorted(load_user_commands(agent.cwd).commands)]
    if agent.mcp is not None:
        names += [f"/{p.command}" for p in agent.mcp.list_prompts()]
    reminder = (
        f"<system-reminder>\nThe user's message starts with the slash command /{name}, but no command with "
        f"that name is available here, so it did not run. Commands available: {', '.join(names) or 'none'}."
        "\n</system-reminder>"
    )
    message = prompt if isinstance(prompt, Message) else user_text(prompt if isinstance(prompt, str) else "")
    return message.model_copy(update={"content": [TextBlock(text=reminder), *message.content]})


async def _mcp_prompt(agent: FrontendAgent, name: str, args: str) -> CommandPrompt | None:
    manager = agent.mcp
    entry = next((p for p in manager.list_prompts() if p.command == name), None) if manager is not None else None
    if manager is None or entry is None:
        return None
    from claw_tui.mcp.prompts import PromptArgumentError, map_arguments

    try:
        messages = await manager.get_prompt(entry.server, entry.name, map_arguments(entry, args))
    except PromptArgumentError as exc:
        raise PromptError(f"/{name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the server's refusal or failure, named; nothing is sent
        raise PromptError(f"/{name} failed: {exc}") from None
    blocks: list[ContentBlock] = [block for _, content in messages for block in content]
    if not blocks:
        raise PromptError(f"/{name}: the server's prompt is empty; nothing sent.")
    typed = f"/{name} {args}".rstrip()
    return CommandPrompt(typed, Message(role="user", content=blocks), name, args, "mcp")


async def _with_resources(agent: FrontendAgent, text: str) -> PreparedPrompt:
    manager = agent.mcp
    if manager is None:
        return PreparedPrompt(text)
    from claw_tui.mcp.mentions import attach_resources, resource_mentions

    if not resource_mentions(manager, text):
        return PreparedPrompt(text)
    message, attached, problems = await attach_resources(manager, text)
    notices = [f"Attached {', '.join(attached)} to the prompt."] if attached else []
    return PreparedPrompt(message, notices + problems)
