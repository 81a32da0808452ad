"""The Approver protocol: what the agent loop awaits when the permission engine says ask.

The TUI resolves a Future from its approval screen; headless mode answers from flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from claw_tui.core.diffs import FileChange


@dataclass
class ApprovalRequest:
    call_id: str
    tool_name: str
    input: dict[str, Any]
    summary: str  # "Edit src/app.py", "Bash: pytest -q"
    reason: str  # why it asks: "mode default: writes ask", "ask rule Bash(git push:*) from user settings"
    changes: list[FileChange] = field(default_factory=list)  # proposed writes, for the diff
    command: str | None = None  # for Bash
    cwd: str | None = None
    sandboxed: bool | None = None
    # The rule "always allow for this session" would add, e.g. "Edit(src/**)" or "Bash(npm test:*)".
    suggested_rule: str | None = None
    # What that rule lets through, in words shown beside it: "edits anywhere in ~/project" (engine/rule_words.py).
    suggested_rule_words: str = ""


@dataclass
class ApprovalResponse:
    behavior: Literal["allow", "deny"]
    # For writes: the changes to make, narrowed to the accepted hunks (None = all of them).
    changes: list[FileChange] | None = None
    # Told to the model: why it was denied, or which hunks were rejected.
    note: str = ""
    # Add `suggested_rule` as an allow rule for the rest of the session.
    remember: bool = False
    # The input to run the call with instead, as changed by whoever approved it (an Agent SDK
    # program's can_use_tool callback); None keeps the model's.
    updated_input: dict[str, Any] | None = None


class Approver(Protocol):
    async def decide(self, request: ApprovalRequest) -> ApprovalResponse: ...


class DenyingApprover:
    """Headless default: anything that would ask is denied, with a note saying how to allow it."""

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        return ApprovalResponse(
            behavior="deny",
            note=(
                f"{request.tool_name} needs approval ({request.reason}) and no one can approve it here. "
                "Allow it with --allowed-tools or --permission-mode."
            ),
        )
