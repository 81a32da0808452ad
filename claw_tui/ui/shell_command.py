"""`!cmd`: the user runs a shell command themselves; it and its output go to the model with the next prompt.

As in Claude Code's bash mode, the model sees `<bash-input>` and `<bash-stdout>` (cut at
MODEL_OUTPUT_CHARS, saying so), so "!pytest" then "fix it" works.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claw_tui.ui.screens.main import MainScreen

DISPLAY_LIMIT = 200_000  # bytes of output read and shown
MODEL_OUTPUT_CHARS = 30_000  # Claude Code's cut for a command's output


def for_the_model(command: str, output: str, exit_code: int) -> str:
    """What the model reads of a command the user ran."""
    if len(output) > MODEL_OUTPUT_CHARS:
        output = output[:MODEL_OUTPUT_CHARS] + f"\n… [cut: {len(output) - MODEL_OUTPUT_CHARS} more characters]"
    status = "" if exit_code == 0 else f"\n<bash-exit-code>{exit_code}</bash-exit-code>"
    return (
        "The user ran a shell command in the terminal themselves (not you):\n"
        # The output on lines of its own: secret assignments in it (DB_PASSWORD=…) are redacted line by line.
        f"<bash-input>{command}</bash-input>\n<bash-stdout>\n{output.rstrip()}\n</bash-stdout>{status}"
    )


async def run(screen: MainScreen, command: str) -> None:
    """Run `command` in the working directory, show it, and tell the agent (the screen's shell worker)."""
    block = await screen.conversation.add_shell(command)
    try:
        proc = await asyncio.create_subprocess_shell(
            command,
            cwd=screen.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as exc:
        block.finish(str(exc), 127)
        return
    assert proc.stdout is not None
    try:
        data = await proc.stdout.read(DISPLAY_LIMIT)
        await proc.wait()
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        block.finish("cancelled", proc.returncode or -1)
        raise
    output, code = data.decode("utf-8", "replace"), proc.returncode or 0
    block.finish(output, code)
    if screen.agent is not None:
        screen.agent.tell_model(for_the_model(command, output, code))
        block.set_note("the model sees this with your next prompt")
