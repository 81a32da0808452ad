"""The built-in tools offered to the model, in Claude Code's order and with its names."""

from __future__ import annotations

from claw_tui.tools.base import Tool


def builtin_tools() -> list[Tool]:
    from claw_tui.engine.agent_tools import (
        Agent,
        EnterWorktree,
        ExitWorktree,
        SendMessage,
        Skill,
        TaskOutput,
        TaskStop,
    )
    from claw_tui.engine.cron_tools import CronCreate, CronDelete, CronList
    from claw_tui.tools.ask import AskUserQuestion
    from claw_tui.tools.files import Edit, Read, Write
    from claw_tui.tools.git import Git
    from claw_tui.tools.lsp import LSP
    from claw_tui.tools.notebook import NotebookEdit
    from claw_tui.tools.plan import EnterPlanMode, ExitPlanMode
    from claw_tui.tools.search import Glob, Grep
    from claw_tui.tools.shell import Bash
    from claw_tui.tools.tasks import TaskCreate, TaskGet, TaskList, TaskUpdate
    from claw_tui.tools.web import WebFetch, WebSearch

    classes: list[type[Tool]] = [
        Read,
        Write,
        Edit,
        Glob,
        Grep,
        Bash,
        TaskOutput,
        TaskStop,
        WebFetch,
        WebSearch,
        NotebookEdit,
        TaskCreate,
        TaskGet,
        TaskList,
        TaskUpdate,
        AskUserQuestion,
        EnterPlanMode,
        ExitPlanMode,
        LSP,
        Skill,
        Agent,
        SendMessage,
        EnterWorktree,
        ExitWorktree,
        CronCreate,
        CronDelete,
        CronList,
        Git,
    ]
    return [cls() for cls in classes]
