"""The prompt of `claw -p`: the argument, what is piped in, and how `/name args` is sent.

As in Claude Code: piped input comes after the prompt argument (`cat log | claw -p "explain"`
sends "explain\\n<log>"); an open standard input that stays silent is given up after
STDIN_WAIT seconds with one line saying so; `/name args` (expanded by engine/prompt_input.py)
goes to the model with Claude Code's command header.
"""

from __future__ import annotations

import dataclasses
import select
import sys
from typing import IO

from claw_tui.core.transcript import Message, TextBlock
from claw_tui.engine.user_commands import CommandPrompt

STDIN_WAIT = 3.0


def read_piped(stream: IO[str] | None = None, wait: float = STDIN_WAIT) -> tuple[str, bool]:
    """What is piped on standard input, and whether it stayed silent for `wait` seconds (then
    nothing is read). A terminal is never read; a closed or empty pipe gives ""."""
    stream = sys.stdin if stream is None else stream
    if stream is None or stream.closed or stream.isatty():
        return "", False
    try:
        ready, _, _ = select.select([stream], [], [], wait)
    except (OSError, ValueError):  # not a selectable file (a test's StringIO): read it as it is
        return stream.read(), False
    if not ready:
        return "", True
    return stream.read(), False


def with_piped(prompt: str | None, piped: str) -> str:
    """The prompt argument, then what was piped, as Claude Code joins them."""
    if prompt is None:
        return piped
    return f"{prompt}\n{piped}" if piped else prompt


def as_claude_code_sends(prompt: str | Message | CommandPrompt) -> str | Message | CommandPrompt:
    """A user command or skill as Claude Code puts it in the transcript: which command ran, then its
    text (print mode's output and recordings compare the two)."""
    if not isinstance(prompt, CommandPrompt) or prompt.source == "mcp" or not isinstance(prompt.prompt, str):
        return prompt
    header = (
        f"<command-message>{prompt.command}</command-message>\n<command-name>/{prompt.command}</command-name>\n"
        f"<command-args>{prompt.args}</command-args>\n"
    )
    return dataclasses.replace(prompt, prompt=Message(role="user", content=[TextBlock(text=header), TextBlock(text=prompt.prompt)]))
