"""Scheduled prompts: the jobs behind CronCreate / CronList / CronDelete, and when each is due.

A job is a prompt and a schedule: a 5-field cron expression in local time (as Claude Code's), or
an interval ("10m", "every 2 hours"). Recurring jobs fire on every match and expire after seven
days (they fire one final time, then go); one-shot jobs fire once and go. Jobs live as long as
the process: a front end with a prompt (the app) runs the firing loop while there are jobs, awaiting
`wait_due`, then `take_due` once its prompt is idle. Time comes from a `Clock`, so tests need not wait minutes.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

MAX_JOBS = 50
RECURRING_MAX_AGE = timedelta(days=7)
MIN_INTERVAL = timedelta(minutes=1)  # cron's own granularity
RECHECK_S = 60.0  # a long wait is cut into these, so a wall-clock jump (a suspend) is noticed
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(
    r"^(?:every\s+)?(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$", re.IGNORECASE
)


class ScheduleError(ValueError):
    """A schedule claw refuses; the message says why and is meant for the model or the user."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now().astimezone()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class ScheduledJob:
    id: str
    schedule: str  # as given: a cron expression or an interval
    prompt: str
    recurring: bool
    human: str  # "every 5 minutes", "at 14:30 on day 28 of February"
    created_at: datetime
    next_at: datetime
    interval: timedelta | None = None  # None: `schedule` is a cron expression
    fired: int = 0

    @property
    def expires_at(self) -> datetime | None:
        return self.created_at + RECURRING_MAX_AGE if self.recurring else None

    def following(self, after: datetime) -> datetime:
        """The first fire time strictly after `after`."""
        if self.interval is not None:
            periods = (after - self.created_at) // self.interval + 1
            return self.created_at + periods * self.interval
        return _cron_next(self.schedule, after)


def parse_interval(text: str) -> timedelta | None:
    """ "10m", "every 2 hours", "90s" → the interval; None when `text` is not one."""
    match = _INTERVAL.match(text.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match[1]) * _UNITS[match[2][0].lower()])


def describe_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def _cron(expr: str, after: datetime):
    """An iterator of fire times after `after`, computed in local wall-clock time (so DST is honoured)."""
    from cronsim import CronSim, CronSimError

    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"Invalid cron expression '{expr}'. Expected 5 fields: M H DoM Mon DoW "
            '(e.g. "*/5 * * * *"), or an interval such as "10m" or "every 2 hours".'
        )
    try:
        return CronSim(expr, after.astimezone().replace(tzinfo=None))
    except CronSimError as exc:
        raise ScheduleError(f"Invalid cron expression '{expr}': {exc}.") from None


def _cron_next(expr: str, after: datetime) -> datetime:
    try:
        return next(_cron(expr, after)).astimezone()
    except StopIteration:  # no match within cronsim's search range
        raise ScheduleError(f"Cron expression '{expr}' does not match any calendar date.") from None


def _describe_cron(expr: str) -> str:
    from cronsim import CronSim

    explained = CronSim(expr, datetime(2000, 1, 1)).explain()
    return explained[:1].lower() + explained[1:]


class Scheduler:
    """This session's scheduled prompts."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._jobs: dict[str, ScheduledJob] = {}
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[], object]] = []

    # --- the jobs ---------------------------------------------------------------------------

    def create(self, schedule: str, prompt: str, *, recurring: bool = True) -> ScheduledJob:
        """Raises ScheduleError for a schedule that cannot fire, an empty prompt, or one job too many."""
        schedule = " ".join(schedule.split())
        if not prompt.strip():
            raise ScheduleError("The prompt is empty: say what to do when the job fires.")
        if len(self._jobs) >= MAX_JOBS:
            raise ScheduleError(f"Too many scheduled jobs (max {MAX_JOBS}). Cancel one first.")
        now = self.clock.now()
        interval = parse_interval(schedule)
        if interval is not None:
            if interval < MIN_INTERVAL:
                raise ScheduleError(f"The interval '{schedule}' is too short: the shortest is 1 minute.")
            job = ScheduledJob(
                self._new_id(), schedule, prompt, recurring, describe_interval(interval), now, now + interval, interval
            )
        else:
            first = _cron_next(schedule, now)
            if first - now > timedelta(days=366):
                raise ScheduleError(f"Cron expression '{schedule}' does not match any calendar date in the next year.")
            job = ScheduledJob(self._new_id(), schedule, prompt, recurring, _describe_cron(schedule), now, first)
        self._jobs[job.id] = job
        self._notify()
        return job

    def delete(self, job_id: str) -> ScheduledJob:
        job = self._jobs.pop(job_id.strip(), None)
        if job is None:
            raise ScheduleError(f"No scheduled job with id '{job_id}'.")
        self._notify()
        return job

    def jobs(self) -> list[ScheduledJob]:
        """Soonest first."""
        return sorted(self._jobs.values(), key=lambda j: j.next_at)

    def subscribe(self, listener: Callable[[], object]) -> None:
        """Call `listener()` whenever a job is added, fired, rescheduled or removed."""
        self._listeners.append(listener)

    # --- firing -----------------------------------------------------------------------------

    async def wait_due(self) -> bool:
        """True once a job is due; False when no job is left. A job added or removed meanwhile counts."""
        while True:
            self._changed.clear()
            now = self.clock.now()
            soonest = min((j.next_at for j in self._jobs.values()), default=None)
            if soonest is None:
                return False
            if soonest <= now:
                return True
            delay = min((soonest - now).total_seconds(), RECHECK_S)
            sleeping = asyncio.ensure_future(self.clock.sleep(delay))
            changed = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait({sleeping, changed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeping.cancel()
                changed.cancel()

    def take_due(self) -> list[ScheduledJob]:
        """The jobs due now, soonest first. Each fires once however many of its times passed
        (the prompt was busy): a recurring one moves to its next time, or goes once expired;
        a one-shot one goes."""
        now = self.clock.now()
        due = [job for job in self.jobs() if job.next_at <= now]
        for job in due:
            job.fired += 1
            expires = job.expires_at
            if not job.recurring or (expires is not None and now >= expires):
                del self._jobs[job.id]
            else:
                job.next_at = job.following(now)
        if due:
            self._notify()
        return due

    # --- helpers ----------------------------------------------------------------------------

    def _new_id(self) -> str:
        while (job_id := secrets.token_hex(4)) in self._jobs:
            pass
        return job_id

    def _notify(self) -> None:
        self._changed.set()
        for listener in list(self._listeners):
            listener()
