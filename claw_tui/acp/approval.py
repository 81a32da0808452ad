"""Approvals and questions answered in the editor, through `session/request_permission`.

`AcpApprover` is the engine's Approver for an ACP session: allow once, allow for the session
(adding the rule the app's "always" adds), or reject. An edit of several hunks can also be
reviewed hunk by hunk, one request per hunk, and only the accepted hunks are written.
`AcpAsker` puts AskUserQuestion's questions to the user the same way, one request each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acp import helpers
from acp import schema as s

from claw_tui.acp.translate import diff_content, locations, tool_kind
from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.diffs import FileChange, Hunk, apply_hunks, hunks

ALLOW, ALWAYS, REJECT, BY_HUNK = "allow_once", "allow_always", "reject_once", "review_hunks"
ACCEPT_HUNK, REJECT_HUNK = "accept_hunk", "reject_hunk"


class AcpApprover:
    def __init__(self, conn: Any, session_id: str, cwd: Path) -> None:
        self.conn = conn  # the SDK's connection to the client
        self.session_id = session_id
        self.cwd = cwd

    async def _ask(self, request: ApprovalRequest, options: list[s.PermissionOption], content: list[Any]) -> str | None:
        """The option the user chose, or None when the prompt was cancelled."""
        tool_call = s.ToolCallUpdate(
            tool_call_id=request.call_id,
            title=request.summary,
            kind=tool_kind(request.tool_name),  # type: ignore[arg-type]
            status="pending",
            content=content or None,
            locations=locations(request.input, self.cwd),
            raw_input=request.input,
        )
        response = await self.conn.request_permission(session_id=self.session_id, tool_call=tool_call, options=options)
        outcome = response.outcome
        return outcome.option_id if getattr(outcome, "outcome", "") == "selected" else None

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        every = [(i, h) for i, c in enumerate(request.changes) for h in hunks(c.before, c.after)]
        options = [s.PermissionOption(option_id=ALLOW, name="Allow", kind="allow_once")]
        if request.suggested_rule:  # the app's words for it: what the rule covers, then the rule
            allows = request.suggested_rule_words or "calls like this one"
            options.append(
                s.PermissionOption(
                    option_id=ALWAYS, name=f"Allow {allows} for this session ({request.suggested_rule})",
                    kind="allow_always",
                )
            )
        if len(every) > 1:
            options.append(s.PermissionOption(option_id=BY_HUNK, name="Review each change", kind="allow_once"))
        options.append(s.PermissionOption(option_id=REJECT, name="Reject", kind="reject_once"))
        content: list[Any] = [diff_content(c.path, c.before, c.after) for c in request.changes]
        if request.command:
            where = f"in {request.cwd}" + ("" if request.sandboxed is None else ", sandboxed" if request.sandboxed else ", not sandboxed")
            content.append(helpers.tool_content(helpers.text_block(f"`{request.command}`\n\n{where} — {request.reason}")))
        chosen = await self._ask(request, options, content)
        if chosen == ALLOW:
            return ApprovalResponse("allow")
        if chosen == ALWAYS:
            return ApprovalResponse("allow", remember=True)
        if chosen == BY_HUNK:
            return await self._by_hunk(request, every)
        reason = "The user rejected this call." if chosen == REJECT else "The prompt was cancelled before the user answered."
        return ApprovalResponse("deny", note=reason)

    async def _by_hunk(self, request: ApprovalRequest, every: list[tuple[int, Hunk]]) -> ApprovalResponse:
        options = [
            s.PermissionOption(option_id=ACCEPT_HUNK, name="Accept this change", kind="allow_once"),
            s.PermissionOption(option_id=REJECT_HUNK, name="Reject this change", kind="reject_once"),
        ]
        accepted: dict[int, set[int]] = {}
        rejected: list[str] = []
        for number, (index, hunk) in enumerate(every, start=1):
            change = request.changes[index]
            one = apply_hunks(change.before, change.after, {hunk.index})
            content = [diff_content(change.path, change.before, one)]
            one_request = ApprovalRequest(**{**request.__dict__, "summary": f"{request.summary} ({number}/{len(every)})"})
            chosen = await self._ask(one_request, options, content)
            if chosen is None:
                return ApprovalResponse("deny", note="The prompt was cancelled before the user answered.")
            if chosen == ACCEPT_HUNK:
                accepted.setdefault(index, set()).add(hunk.index)
            else:
                rejected.append(
                    f"The user rejected hunk {hunk.index + 1} of {_shown(change.path, self.cwd)} ({hunk.where()}); "
                    "those lines were not changed."
                )
        narrowed = _narrowed(request.changes, accepted)
        if not narrowed:
            return ApprovalResponse("deny", note="The user rejected every change of this edit.")
        return ApprovalResponse("allow", changes=narrowed, note=" ".join(rejected))


def _narrowed(changes: list[FileChange], accepted: dict[int, set[int]]) -> list[FileChange]:
    """The changes cut down to the accepted hunks; a file with none accepted is left alone."""
    out = []
    for index, change in enumerate(changes):
        keep = accepted.get(index)
        if keep:
            out.append(FileChange(change.path, change.before, apply_hunks(change.before, change.after, keep)))
    return out


def _shown(path: Path, cwd: Path) -> str:
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


class AcpAsker:
    """AskUserQuestion through the client: each question a permission request whose options are its choices."""

    def __init__(self, conn: Any, session_id: str) -> None:
        self.conn = conn
        self.session_id = session_id
        self.calls = 0

    async def ask(self, questions: list[Any]) -> dict[str, str]:
        answers: dict[str, str] = {}
        for question in questions:
            self.calls += 1
            options = [
                s.PermissionOption(option_id=f"option_{i}", name=o.label, kind="allow_once")
                for i, o in enumerate(question.options)
            ]
            options.append(s.PermissionOption(option_id="skip", name="Skip this question", kind="reject_once"))
            details = "\n".join(f"- **{o.label}**: {o.description}" for o in question.options)
            tool_call = s.ToolCallUpdate(
                tool_call_id=f"question_{self.calls}",
                title=question.question,
                kind="other",
                status="pending",
                content=[helpers.tool_content(helpers.text_block(f"{question.question}\n\n{details}"))],
            )
            response = await self.conn.request_permission(
                session_id=self.session_id, tool_call=tool_call, options=options
            )
            outcome = response.outcome
            chosen = outcome.option_id if getattr(outcome, "outcome", "") == "selected" else None
            if chosen and chosen.startswith("option_"):
                answers[question.question] = question.options[int(chosen.removeprefix("option_"))].label
        return answers
