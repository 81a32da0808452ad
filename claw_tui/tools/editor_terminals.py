"""Commands run in the user's editor, where the user watches them.

A front end whose client runs commands for the agent (ACP's `terminal/*` methods) sets
`ToolContext.editor_terminals`; Bash then runs a command that is not sandboxed there, with the
same shell wrapper, directory and environment it would use itself, so directory and exports
still carry over. A sandboxed command always runs in claw: its seccomp filter is a file
descriptor bubblewrap inherits from claw, which a terminal the editor starts cannot carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass
class TerminalRun:
    output: str
    exit_code: int  # -1 when it ended by a signal or was killed
    timed_out: bool


class EditorTerminals(Protocol):
    async def run(
        self, call_id: str | None, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float
    ) -> TerminalRun:
        """Run `argv` to its end or its timeout (then kill it); a cancel kills it too."""
        ...
