"""The TUI's Approver: the agent loop awaits a Future that the approval screen resolves.

`decide` is awaited by the turn worker on the app's event loop; it pushes an
`ApprovalScreen` whose result callback resolves the Future (only if it is still pending:
the screen can also vanish at shutdown, which answers deny). A call from a thread worker
opens the screen through `call_from_thread` and waits on a thread-safe Future. A write
under review also shows in the main screen's diff pane, which keeps it after a denial.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.diffs import FileChange
from claw_tui.ui.screens.approval import ApprovalScreen, display_path
from claw_tui.ui.widgets.diff_view import DiffView

SHUTDOWN_NOTE = "claw closed before the user answered."

Resolve = Callable[[ApprovalResponse | None], None]


def _closed() -> ApprovalResponse:
    return ApprovalResponse("deny", note=SHUTDOWN_NOTE)


class TuiApprover:
    def __init__(self, app: App[Any], diff_pane: Callable[[], DiffView | None] = lambda: None) -> None:
        """`diff_pane`: where a proposed write is shown while the user decides (None: nowhere)."""
        self.app = app
        self.diff_pane = diff_pane

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        if self.app._loop is not None and threading.get_ident() != self.app._thread_id:
            return await self._decide_from_thread(request)
        answer: asyncio.Future[ApprovalResponse] = asyncio.get_running_loop().create_future()

        def resolve(response: ApprovalResponse | None) -> None:
            if not answer.done():
                answer.set_result(response or _closed())

        screen = self._open(request, resolve)
        try:
            return await answer
        except asyncio.CancelledError:
            # The turn was cancelled while the question was open: take the question away.
            if screen is not None and screen.is_current:
                screen.dismiss(ApprovalResponse("deny", note="The turn was cancelled."))
            raise

    async def _decide_from_thread(self, request: ApprovalRequest) -> ApprovalResponse:
        answer: concurrent.futures.Future[ApprovalResponse] = concurrent.futures.Future()

        def resolve(response: ApprovalResponse | None) -> None:
            if not answer.done():
                answer.set_result(response or _closed())

        try:
            self.app.call_from_thread(self._open, request, resolve)
        except RuntimeError:  # the app stopped running
            return _closed()
        return await asyncio.wrap_future(answer)

    def _open(self, request: ApprovalRequest, resolve: Resolve) -> ApprovalScreen | None:
        """Show the question (on the app's loop); None if the app is closing."""
        if not self.app.is_running or self.app._exit:
            resolve(None)
            return None
        screen = ApprovalScreen(request)
        screen.on_gone = resolve
        self._show_in_diff_pane(request, "Under review")

        def answered(response: ApprovalResponse | None) -> None:
            if response is None or response.behavior == "deny":
                self._show_in_diff_pane(request, "Denied, not written")
            resolve(response)

        self.app.bell()
        self.app.notify(f"{request.summary or request.tool_name}: {request.reason}", title="Approval needed", timeout=4)
        self.app.push_screen(screen, callback=answered)
        return screen

    def _show_in_diff_pane(self, request: ApprovalRequest, state: str) -> None:
        """The proposed write in the diff pane; an allowed one is replaced by its FileChanged events."""
        pane = self.diff_pane()
        if not request.changes or pane is None or not pane.is_mounted or self.app._exit:  # quitting: panes go
            return
        changes = [FileChange(Path(display_path(c.path, request.cwd)), c.before, c.after) for c in request.changes]
        pane.show_changes(changes, f"{state}: {request.summary or request.tool_name}")
