"""`--permission-prompt-tool mcp__server__tool`: an MCP tool answers each permission ask.

As in Claude Code, the tool is called with `tool_name`, `input` and `tool_use_id`, and answers
with JSON text: `{"behavior": "allow", "updatedInput": {...}}` or `{"behavior": "deny",
"message": "..."}`. Anything else, or a failing call, denies, saying why.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent


class McpApprover:
    def __init__(self, tool_name: str) -> None:
        self.tool_name = tool_name
        self.agent: FrontendAgent | None = None  # the session's agent, set once it is built

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        from claw_tui.tools.base import ToolError

        manager = self.agent.mcp if self.agent is not None else None
        tool = next((t for t in manager.tools() if t.name == self.tool_name), None) if manager else None
        if manager is None or tool is None:
            return self._deny(f"the permission prompt tool {self.tool_name} is not connected")
        try:
            result = await manager.call_tool(tool.server, tool.remote_name, {
                "tool_name": request.tool_name, "input": request.input, "tool_use_id": request.call_id})
        except ToolError as exc:
            return self._deny(str(exc))
        text = "".join(getattr(item, "text", "") for item in result.content)
        try:
            answer = json.loads(text)
        except ValueError:
            return self._deny(f"it answered {text[:100]!r}, which is not JSON")
        if not isinstance(answer, dict) or answer.get("behavior") not in ("allow", "deny"):
            return self._deny(f"it answered {text[:100]!r}, without behavior allow or deny")
        if answer["behavior"] == "deny":
            return ApprovalResponse(behavior="deny", note=str(answer.get("message") or ""))
        updated = answer.get("updatedInput")
        return ApprovalResponse(behavior="allow", updated_input=updated if isinstance(updated, dict) else None)

    def _deny(self, why: str) -> ApprovalResponse:
        return ApprovalResponse(behavior="deny", note=f"The permission prompt tool {self.tool_name} denied: {why}.")
