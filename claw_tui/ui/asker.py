"""The TUI's answerer for AskUserQuestion: the question screen resolves the Future the tool awaits."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App

from claw_tui.tools.ask import Question
from claw_tui.tools.base import ToolError
from claw_tui.ui.screens.question import QuestionScreen


class TuiAsker:
    def __init__(self, app: App[Any]) -> None:
        self.app = app

    async def ask(self, questions: list[Question]) -> dict[str, str]:
        if not self.app.is_running or self.app._exit:
            raise ToolError("claw closed before the user answered.")
        answer: asyncio.Future[dict[str, str] | None] = asyncio.get_running_loop().create_future()

        def answered(result: dict[str, str] | None) -> None:
            if not answer.done():
                answer.set_result(result)

        screen = QuestionScreen(questions)
        self.app.bell()
        self.app.push_screen(screen, callback=answered)
        try:
            result = await answer
        except asyncio.CancelledError:  # the turn was cancelled: take the question away
            if screen.is_current:
                screen.dismiss(None)
            raise
        if result is None:
            raise ToolError("The user declined to answer. Ask again only if you cannot go on without it.")
        return result
