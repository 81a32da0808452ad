"""CronCreate, CronList and CronDelete: scheduled prompts, with Claude Code's names and parameters.

The jobs are the session's `Scheduler`, which only a front end with a prompt to fire into sets
(the app). Elsewhere (print mode, a subagent) there is none and the tools say why they cannot work.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from claw_tui.engine.scheduler import MAX_JOBS, RECURRING_MAX_AGE, ScheduledJob, ScheduleError, Scheduler
from claw_tui.engine.services import SessionServices
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult

MAX_AGE_DAYS = RECURRING_MAX_AGE.days
NOT_HERE = (
    "Scheduled prompts run only in the claw app, while it is open: a job fires into its prompt when it is idle. "
    "Here (print mode `claw -p`, the ACP server or a subagent) nothing would ever fire, so nothing was scheduled."
)
SESSION_ONLY = "Session-only (not written to disk, dies when claw exits)"


def _scheduler(ctx: ToolContext) -> Scheduler:
    services = ctx.services
    scheduler = services.scheduler if isinstance(services, SessionServices) else None
    if scheduler is None:
        raise ToolError(NOT_HERE)
    return scheduler


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class CronCreateInput(BaseModel):
    cron: str = Field(
        description='Standard 5-field cron expression in local time: "M H DoM Mon DoW" (e.g. "*/5 * * * *" = every '
        '5 minutes, "30 14 28 2 *" = Feb 28 at 2:30pm local once). An interval such as "10m" or "every 2 hours" '
        "is taken too."
    )
    prompt: str = Field(description="The prompt to enqueue at each fire time.")
    recurring: bool = Field(
        default=True,
        description=f"true (default) = fire on every cron match until deleted or auto-expired after {MAX_AGE_DAYS} "
        'days. false = fire once at the next match, then auto-delete. Use false for "remind me at X" one-shot '
        "requests with pinned minute/hour/dom/month.",
    )
    durable: bool = Field(
        default=False,
        description="true = persist and survive restarts (not supported by claw: the job is kept for this session "
        "and the result says so). false (default) = in-memory only, dies when this session ends.",
    )


CRON_CREATE_DESCRIPTION = f"""Schedule a prompt to run at a future time within this claw session, either recurring on a cron schedule or once at a specific time.

Uses standard 5-field cron in the user's local timezone: minute hour day-of-month month day-of-week. "0 9 * * *" means 9am local.

One-shot tasks (recurring: false), for "remind me at X" or "at <time>, do Y": pin minute, hour, day-of-month and month, e.g. "30 14 <today_dom> <today_month> *". The job fires once, then is deleted.

Recurring jobs (recurring: true, the default), for "every N minutes" / "every hour" / "weekdays at 9am": "*/5 * * * *", "7 * * * *", "0 9 * * 1-5". When the user's time is approximate, pick a minute other than :00 and :30.

Jobs fire only while the prompt is idle (not mid-turn); a job that came due during a turn fires once when it ends. Jobs live only in this session: nothing is written to disk. Recurring jobs auto-expire after {MAX_AGE_DAYS} days: they fire one final time, then are deleted; tell the user about the limit when scheduling one. At most {MAX_JOBS} jobs.

Returns a job ID you can pass to CronDelete."""


class CronCreate(Tool[CronCreateInput]):
    name: ClassVar[str] = "CronCreate"
    description: ClassVar[str] = CRON_CREATE_DESCRIPTION
    Input = CronCreateInput

    def summary(self, input: CronCreateInput) -> str:
        return f"CronCreate: {input.cron}: {_short(input.prompt, 60)}"

    async def run(self, input: CronCreateInput, ctx: ToolContext) -> ToolResult:
        scheduler = _scheduler(ctx)
        try:
            job = scheduler.create(input.cron, input.prompt, recurring=input.recurring)
        except ScheduleError as exc:
            raise ToolError(str(exc)) from None
        where = SESSION_ONLY
        if input.durable:
            where += "; durable jobs are not supported by claw, so this one is kept for this session only"
        if job.recurring:
            text = (
                f"Scheduled recurring job {job.id} ({job.human}). {where}. Auto-expires after {MAX_AGE_DAYS} days. "
                "Use CronDelete to cancel sooner."
            )
        else:
            text = f"Scheduled one-shot task {job.id} ({job.human}). {where}. It will fire once then auto-delete."
        return ToolResult.text(text, job_id=job.id)


class CronListInput(BaseModel):
    pass


def job_line(job: ScheduledJob) -> str:
    kind = "recurring" if job.recurring else "one-shot"
    return f"{job.id} — {job.human} ({kind}) [session-only]: {_short(job.prompt, 80)}"


class CronList(Tool[CronListInput]):
    name: ClassVar[str] = "CronList"
    description: ClassVar[str] = "List all cron jobs scheduled via CronCreate in this session."
    Input = CronListInput
    concurrent_safe: ClassVar[bool] = True

    async def run(self, input: CronListInput, ctx: ToolContext) -> ToolResult:
        jobs = _scheduler(ctx).jobs()
        return ToolResult.text("\n".join(job_line(job) for job in jobs) if jobs else "No scheduled jobs.")


class CronDeleteInput(BaseModel):
    id: str = Field(description="Job ID returned by CronCreate.")


class CronDelete(Tool[CronDeleteInput]):
    name: ClassVar[str] = "CronDelete"
    description: ClassVar[str] = (
        "Cancel a cron job previously scheduled with CronCreate. Removes it from the in-memory session store."
    )
    Input = CronDeleteInput

    def summary(self, input: CronDeleteInput) -> str:
        return f"CronDelete: {input.id}"

    async def run(self, input: CronDeleteInput, ctx: ToolContext) -> ToolResult:
        try:
            job = _scheduler(ctx).delete(input.id)
        except ScheduleError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(f"Cancelled job {job.id}.")
