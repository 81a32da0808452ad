"""The prompt of `claw -p`: the argument, what is piped in, and `/name args` commands.

As in Claude Code: piped input comes after the prompt argument (`cat log | claw -p "explain"`
sends "explain\\n<log>"); an open standard input that stays silent is given up after
STDIN_WAIT seconds with one line saying so; `/name args` runs a user command or a skill.
"""

from __future__ import annotations

import re
import select
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from claw_tui.core.transcript import Message, TextBlock

STDIN_WAIT = 3.0
_INVOCATION = re.compile(r"/([A-Za-z0-9][A-Za-z0-9_.:-]*)(?:\s+(.*))?", re.DOTALL)

# What a `/name` runs: the prompt text for the arguments given.
PromptCommand = Callable[[str], str]


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


def discover_commands(cwd: Path) -> dict[str, PromptCommand]:
    """The user commands (`.claude/commands/*.md` …) and skills a prompt may start with, by name;
    a command wins over a skill of the same name, a project's over a user's."""
    from claw_tui.engine.skills import list_skills, render_skill
    from claw_tui.engine.user_commands import expand_template, split_frontmatter, user_command_dirs

    commands: dict[str, PromptCommand] = {}
    for skill in list_skills(cwd):
        commands[skill.name] = lambda args, skill=skill: render_skill(skill, args)  # type: ignore[misc]
    for directory in user_command_dirs(cwd):
        for path in sorted(directory.glob("*.md")):
            try:
                _, body = split_frontmatter(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue  # the TUI's registry reports unreadable files; print mode sends the prompt as written
            commands[path.stem] = lambda args, body=body: expand_template(body.strip(), args)  # type: ignore[misc]
    return commands


def expand_command(prompt: str, commands: Mapping[str, PromptCommand]) -> tuple[Message | None, str]:
    """The message a `/name args` prompt sends, as Claude Code builds it (which command ran, then
    its text), or None for a prompt that names no command; and a note for the user when it looks
    like a command but none has that name (the prompt then goes as written, and the model is told)."""
    match = _INVOCATION.fullmatch(prompt.strip())
    if match is None:
        return None, ""
    name, args = match.group(1), (match.group(2) or "").strip()
    command = commands.get(name)
    if command is None:
        known = ", ".join(f"/{n}" for n in sorted(commands)) or "none"
        reminder = (
            f"<system-reminder>\nThe user's message starts with the slash command /{name}, but no command "
            f"with that name is available here, so it did not run. Commands available: {known}.\n</system-reminder>"
        )
        message = Message(role="user", content=[TextBlock(text=reminder), TextBlock(text=prompt)])
        return message, f"/{name} is not a command or skill here; the prompt goes to the model as written"
    header = (
        f"<command-message>{name}</command-message>\n<command-name>/{name}</command-name>\n"
        f"<command-args>{args}</command-args>\n"
    )
    return Message(role="user", content=[TextBlock(text=header), TextBlock(text=command(args))]), ""
