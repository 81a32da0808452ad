"""The main agent's services: the tools' own record, plus what only the engine's tools drive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from claw_tui.tools.base import Services, ToolContext

if TYPE_CHECKING:
    from claw_tui.engine.scheduler import Scheduler
    from claw_tui.engine.subagents import SubagentManager


@dataclass
class SessionServices(Services):
    # Agent, SendMessage, the worktree tools and TaskOutput / TaskStop of background agents.
    # A subagent's context has plain Services: a child cannot start or manage agents.
    subagents: SubagentManager | None = None
    # CronCreate / CronList / CronDelete: set by a front end that fires the jobs (the app); None in
    # print mode, where the tools say why they cannot work.
    scheduler: Scheduler | None = None


def subagents_of(ctx: ToolContext) -> SubagentManager | None:
    services = ctx.services
    return services.subagents if isinstance(services, SessionServices) else None
