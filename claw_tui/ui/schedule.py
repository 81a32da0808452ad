"""Scheduled prompts in the app: the loop that fires them when the prompt is idle, and `/schedule`.

The jobs are the agent's `Scheduler` (engine/scheduler.py); the model makes them with CronCreate,
the user with `/schedule`. The task pane lists them under the tasks.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from claw_tui.engine.scheduler import ScheduledJob, ScheduleError, Scheduler, parse_interval

if TYPE_CHECKING:
    from claw_tui.ui.screens.main import MainScreen

IDLE_POLL_S = 0.2  # how often a due job looks again whether the turn before it has ended
USAGE = (
    "/schedule lists the scheduled prompts; /schedule cancel ID|all cancels; /schedule 10m PROMPT (or every 2h, "
    'or a quoted cron expression such as "0 9 * * 1-5") repeats a prompt; /schedule in 10m PROMPT runs it once.'
)


async def fire_when_idle(screen: MainScreen, scheduler: Scheduler) -> None:
    """While there are jobs: wait for a due one, then for the prompt to be idle, then send its prompt as the user's."""
    while await scheduler.wait_due():
        while not screen.prompt_idle:
            await asyncio.sleep(IDLE_POLL_S)
        for job in scheduler.take_due():
            await screen.conversation.add_note(f"◷ Scheduled prompt {job.id} ({job.human}{_last(job)})")
            await screen.send_prompt(job.prompt)


def _last(job: ScheduledJob) -> str:
    return "" if job.recurring else ", once"


def when(moment: datetime, now: datetime) -> str:
    """A fire time as short as it can be told: 14:05, Tue 14:05, 12 Dec 14:05."""
    moment, now = moment.astimezone(), now.astimezone()
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if (moment.date() - now.date()).days < 7:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%d %b %H:%M")


def job_summary(job: ScheduledJob, now: datetime) -> str:
    kind = "recurring" if job.recurring else "once"
    expiry = f", expires {when(expires, now)}" if (expires := job.expires_at) is not None else ""
    return f"{job.id}  {job.human} ({kind}), next {when(job.next_at, now)}{expiry}: {job.prompt}"


async def command(screen: MainScreen, args: str) -> None:
    """`/schedule [cancel ID|all | [every|in] INTERVAL PROMPT | "CRON" PROMPT]`."""
    scheduler = screen.agent.scheduler if screen.agent is not None else None
    if scheduler is None:
        await screen.conversation.add_note("Scheduled prompts are not available: no agent is running.", "warning")
        return
    words = args.split()
    try:
        if not words:
            await _list(screen, scheduler)
        elif words[0] in ("cancel", "delete", "rm"):
            await _cancel(screen, scheduler, words[1:])
        else:
            schedule, prompt, recurring = _parse_new(args)
            job = scheduler.create(schedule, prompt, recurring=recurring)
            await screen.conversation.add_note(
                f"Scheduled {job.id}: {job.human}{_last(job)}, next at {when(job.next_at, scheduler.clock.now())}. "
                f"It runs while claw is open and the prompt is idle; /schedule cancel {job.id} stops it."
            )
    except ScheduleError as exc:
        await screen.conversation.add_note(f"/schedule: {exc}", "warning")


async def _list(screen: MainScreen, scheduler: Scheduler) -> None:
    jobs = scheduler.jobs()
    if not jobs:
        await screen.conversation.add_note(f"No scheduled prompts. {USAGE}")
        return
    now = scheduler.clock.now()
    lines = [f"Scheduled prompts ({len(jobs)}); /schedule cancel ID cancels one:"]
    lines += [f"  {job_summary(job, now)}" for job in jobs]
    await screen.conversation.add_note("\n".join(lines))


async def _cancel(screen: MainScreen, scheduler: Scheduler, ids: list[str]) -> None:
    if not ids:
        raise ScheduleError("name the job to cancel: /schedule cancel ID (or all); /schedule lists them.")
    if ids == ["all"]:
        ids = [job.id for job in scheduler.jobs()]
    cancelled = [scheduler.delete(job_id).id for job_id in ids]
    await screen.conversation.add_note(f"Cancelled {', '.join(cancelled)}." if cancelled else "Nothing to cancel.")


def _parse_new(args: str) -> tuple[str, str, bool]:
    """(schedule, prompt, recurring) from `every 10m PROMPT`, `10m PROMPT`, `in 10m PROMPT` or `"CRON" PROMPT`."""
    text = args.strip()
    if text[0] in "\"'":
        end = text.find(text[0], 1)
        if end < 0:
            raise ScheduleError(f"the cron expression has no closing quote. {USAGE}")
        return text[1:end], text[end + 1 :].strip(), True
    words = text.split()
    recurring = words[0] != "in"
    if words[0] in ("in", "every"):
        words = words[1:]
    for size in (2, 1):  # "10 minutes" or "10m"
        if len(words) > size and parse_interval(" ".join(words[:size])) is not None:
            return " ".join(words[:size]), " ".join(words[size:]), recurring
    raise ScheduleError(f"no interval or cron expression in '{args.strip()}'. {USAGE}")
