"""The agent's turn-level hooks that need more than one call: what runs before a prompt goes to
the model, and how a failed turn is named for StopFailure. (Tool hooks are in tool_calls.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claw_tui.core import events as ev
from claw_tui.core.transcript import Message, TextBlock

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent
    from claw_tui.engine.hooks import HookOutcome
    from claw_tui.engine.user_commands import CommandPrompt

# ProviderError kinds as Claude Code's StopFailure error types.
_FAILURE_KINDS = {
    "auth": "authentication_failed",
    "rate_limit": "rate_limit",
    "bad_request": "invalid_request",
    "server": "server_error",
    "overloaded": "server_error",
}


async def before_prompt(agent: Agent, message: Message, expansion: CommandPrompt | None) -> tuple[list[Any], str | None]:
    """SessionStart (before the first prompt of a session), UserPromptExpansion (a slash command) and
    UserPromptSubmit: their notices, and why the prompt is blocked (None when it goes). Context the
    hooks add joins `message`."""
    hooks = agent.hooks
    assert hooks is not None
    events: list[Any] = []
    if agent.session_start is not None:
        await agent.settle_background()  # the previous session's SessionEnd (a /clear) ends before this one starts
        outcome = await hooks.session_start(agent.session_start, agent.model)
        agent.session_start = None
        events += notices(agent, outcome)
        _add_context(message, outcome)
    if expansion is not None:
        outcome = await hooks.user_prompt_expansion(
            expansion_type="mcp_prompt" if expansion.source == "mcp" else "slash_command",
            command_name=expansion.command,
            command_args=expansion.args,
            command_source="mcp" if expansion.source == "mcp" else "skill",
            prompt=expansion.typed,
        )
        events += notices(agent, outcome)
        if outcome.block:
            return events, f"/{expansion.command} blocked by a hook: {outcome.reason}"
        _add_context(message, outcome)
    outcome = await hooks.user_prompt_submit(expansion.typed if expansion is not None else message.text)
    events += notices(agent, outcome)
    if outcome.block:
        return events, f"Prompt blocked by a hook: {outcome.reason}"
    _add_context(message, outcome)
    return events, None


def notices(agent: Agent, outcome: HookOutcome) -> list[Any]:
    """What the hooks had to say to the user, as Notice events."""
    return [agent.event(ev.Notice, text=note, level="warning") for note in outcome.messages]


def failure_kind(error: ev.Error) -> tuple[str, str]:
    """(Claude Code's StopFailure error type, the details) for the error that ended a turn."""
    return _FAILURE_KINDS.get(error.kind or "", "unknown"), error.message


def _add_context(message: Message, outcome: HookOutcome) -> None:
    if outcome.additional_context:
        message.content.append(TextBlock(text=outcome.additional_context))
