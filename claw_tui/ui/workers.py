"""Workers that fail say so: one handler for every node that starts workers.

Textual's Worker.StateChanged goes only to the node that started the worker, so each such node
(the app, the main screen, the session browser, /mcp, the model picker, the prompt) mixes this in.
A worker's name says what it was doing ("read the git status"); a failure is logged and shown as
"Could not <name>: <error>", except while the app closes, when workers are torn down with it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.worker import Worker, WorkerState


class ReportsWorkerFailures:
    # Workers whose failure the node reports in its own way (the main screen's turn: in the conversation).
    REPORTS_OWN_FAILURES: ClassVar[frozenset[str]] = frozenset()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.name in self.REPORTS_OWN_FAILURES:
            return
        app = worker.node.app
        if app._closing or app._closed:
            return
        error = worker.error
        app.log.error(f"worker {worker.name!r} failed", error)
        app.notify(
            f"Could not {worker.name or 'finish a background task'}: {type(error).__name__}: {error}",
            severity="error",
            timeout=10,
        )
