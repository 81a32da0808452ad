"""Scheduled prompts in the engine: the Scheduler's times, and CronCreate / CronList / CronDelete over HTTP."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from agent_harness import make_agent, of_type, run
from fake_clock import FakeClock
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.engine.scheduler import MAX_JOBS, ScheduleError, Scheduler

MONDAY_10_02 = datetime(2026, 3, 2, 10, 2, 30)  # naive: local time, as cron reads it


def local(*args: int) -> datetime:
    return datetime(*args).astimezone()


def test_a_cron_job_is_due_at_its_next_match_and_an_interval_from_its_creation():
    clock = FakeClock(MONDAY_10_02)
    scheduler = Scheduler(clock)
    every_five = scheduler.create("*/5 * * * *", "check the build")
    weekdays = scheduler.create("0 9 * * 1-5", "standup notes")
    interval = scheduler.create("every 90 minutes", "stretch")
    assert every_five.next_at == local(2026, 3, 2, 10, 5)
    assert weekdays.next_at == local(2026, 3, 3, 9, 0)  # 9:00 today has passed
    assert interval.next_at == clock.now() + timedelta(minutes=90)
    assert (every_five.human, interval.human) == ("every fifth minute of every hour", "every 90 minutes")
    assert [j.id for j in scheduler.jobs()] == [every_five.id, interval.id, weekdays.id]  # soonest first
    assert len({every_five.id, weekdays.id, interval.id}) == 3


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("*/5 * * *", "Expected 5 fields"),
        ("61 * * * *", "Bad minute"),
        ("0 0 31 2 *", "day-of-month"),
        ("30s", "shortest is 1 minute"),
        ("soon", "Expected 5 fields"),
    ],
)
def test_a_schedule_that_cannot_fire_is_refused_saying_why(schedule, why):
    scheduler = Scheduler(FakeClock(MONDAY_10_02))
    with pytest.raises(ScheduleError, match=why):
        scheduler.create(schedule, "x")
    assert scheduler.jobs() == []


def test_at_most_fifty_jobs():
    scheduler = Scheduler(FakeClock(MONDAY_10_02))
    for n in range(MAX_JOBS):
        scheduler.create("10m", f"job {n}")
    with pytest.raises(ScheduleError, match="max 50"):
        scheduler.create("10m", "one too many")


async def test_a_due_job_fires_once_however_many_of_its_times_passed_and_a_one_shot_goes():
    clock = FakeClock(MONDAY_10_02)
    scheduler = Scheduler(clock)
    recurring = scheduler.create("*/5 * * * *", "check the build")
    once = scheduler.create("7m", "remind me", recurring=False)
    assert scheduler.take_due() == []
    await clock.advance(minutes=20)  # 10:22: the prompt was busy through three of its times
    assert [j.id for j in scheduler.take_due()] == [recurring.id, once.id]
    assert [j.id for j in scheduler.jobs()] == [recurring.id]
    assert recurring.next_at == local(2026, 3, 2, 10, 25) and recurring.fired == 1
    assert scheduler.take_due() == []


async def test_a_recurring_job_fires_one_final_time_after_seven_days_then_goes():
    clock = FakeClock(MONDAY_10_02)
    scheduler = Scheduler(clock)
    job = scheduler.create("7 * * * *", "hourly")
    await clock.advance(days=6, hours=23)
    assert scheduler.take_due() == [job] and scheduler.jobs() == [job]
    await clock.advance(hours=2)  # past the seven days
    assert scheduler.take_due() == [job]
    assert scheduler.jobs() == []


async def test_wait_due_sleeps_until_the_clock_reaches_a_job_wakes_for_a_new_one_and_ends_with_none_left():
    clock = FakeClock(MONDAY_10_02)
    scheduler = Scheduler(clock)
    assert await scheduler.wait_due() is False  # nothing to wait for: the firing loop ends
    later = scheduler.create("20m", "later")
    waiting = asyncio.create_task(scheduler.wait_due())
    await asyncio.sleep(0.01)
    scheduler.create("10m", "stretch")  # sooner: the wait now aims at it
    await asyncio.sleep(0.01)
    await clock.advance(minutes=9)
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await clock.advance(minutes=1)
    assert await asyncio.wait_for(waiting, 5) is True
    assert [j.prompt for j in scheduler.take_due()] == ["stretch"]
    waiting = asyncio.create_task(scheduler.wait_due())
    await asyncio.sleep(0.01)
    for job in scheduler.jobs():
        scheduler.delete(job.id)
    assert await asyncio.wait_for(waiting, 5) is False
    assert later.fired == 0


async def test_the_model_schedules_lists_and_cancels_prompts(tmp_path, fake_model):
    """CronCreate, CronList and CronDelete with Claude Code's parameters, through the real agent and SDK."""
    fake_model.script(
        Reply(parts=[
            ToolCall("CronCreate", {"cron": "*/10 * * * *", "prompt": "run the tests"}),
            ToolCall("CronCreate", {"cron": "45 16 * * *", "prompt": "write the summary", "recurring": False, "durable": True}),
        ]),
        Reply(parts=[ToolCall("CronList", {})]),
        Reply(parts=[ToolCall("CronDelete", {"id": "nope"})]),
        Reply(parts=[Text("scheduled")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    scheduler = agent.ctx.services.scheduler = Scheduler(FakeClock(MONDAY_10_02))
    events = await run(agent, "every ten minutes run the tests; at 16:45 write the summary")
    results = [e.output for e in of_type(events, ev.ToolCallFinished)]
    tests_job, summary_job = sorted(scheduler.jobs(), key=lambda j: j.prompt)
    assert results[0].startswith(f"Scheduled recurring job {tests_job.id} (every 10th minute of every hour)")
    assert "Auto-expires after 7 days" in results[0]
    assert results[1].startswith(f"Scheduled one-shot task {summary_job.id}")
    assert "durable jobs are not supported by claw" in results[1]
    assert f"{tests_job.id} — every 10th minute of every hour (recurring) [session-only]: run the tests" in results[2]
    assert f"{summary_job.id} — " in results[2] and "(one-shot)" in results[2]
    assert "No scheduled job with id 'nope'" in results[3]
    assert len(scheduler.jobs()) == 2


async def test_without_a_front_end_to_fire_them_the_cron_tools_refuse_saying_why(tmp_path, fake_model):
    """Print mode (and a subagent) has no scheduler: nothing is scheduled, and the model is told why."""
    fake_model.script(
        Reply(parts=[ToolCall("CronCreate", {"cron": "*/5 * * * *", "prompt": "check"}), ToolCall("CronList", {})]),
        Reply(parts=[Text("cannot")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    assert agent.scheduler is None
    events = await run(agent, "check every five minutes")
    finished = of_type(events, ev.ToolCallFinished)
    assert [e.status for e in finished] == ["failed", "failed"]
    assert all("only in the claw app" in e.output and "print mode" in e.output for e in finished)
