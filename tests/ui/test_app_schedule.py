"""Scheduled prompts in the app: made by the model or /schedule, shown in the task pane, fired when idle."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from fake_clock import FakeClock
from fake_model import Reply, Text, ToolCall
from keyboard import type_text
from recorded_turns import RecordedAgent, settle

from claw_tui.engine.scheduler import Scheduler
from claw_tui.ui.app import ClawApp
from claw_tui.ui.widgets.conversation import NoteBlock, UserPrompt
from claw_tui.ui.widgets.task_graph import JobNode

START = datetime(2026, 3, 2, 10, 2, 30)


@pytest.fixture(autouse=True)
def with_key(monkeypatch):
    """A key in the environment, so the first-run screen stays away."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


def notes(app: ClawApp) -> list[str]:
    return [str(n.render()) for n in app.main_screen.query(NoteBlock)]


def sent(app: ClawApp) -> list[str]:
    return [b.text for b in app.main_screen.query(UserPrompt) if not b.has_class("-queued")]


def job_rows(app: ClawApp) -> list[str]:
    pane = app.main_screen.task_pane
    return [str(pane.render_label(n, pane.rich_style, pane.rich_style)) for n in pane.root.children if isinstance(n.data, JobNode)]


async def until(pilot, condition, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


async def test_a_prompt_the_model_schedules_shows_in_the_task_pane_and_fires_when_due(project, fake_model, app_for):
    """The real agent: the model calls CronCreate; ten (fake) minutes later the prompt is sent as the user's."""
    fake_model.script(
        Reply(parts=[ToolCall("CronCreate", {"cron": "10m", "prompt": "run the tests"})]),
        Reply(parts=[Text("Scheduled every 10 minutes.")]),
        Reply(parts=[Text("All 12 tests pass.")]),
    )
    app = app_for()
    clock = FakeClock(START)
    app.agent.scheduler.clock = clock
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "run the tests every ten minutes", "enter")
        await until(pilot, lambda: job_rows(app) and not app.main_screen.turn_running)
        [row] = job_rows(app)
        assert "every 10 minutes · next 10:12 · run the tests" in row
        assert "1 scheduled" in str(app.main_screen.task_pane.root.label)
        assert len(fake_model.requests) == 2
        await clock.advance(minutes=10)
        await until(pilot, lambda: len(fake_model.requests) == 3 and not app.main_screen.turn_running)
        assert sent(app)[-1] == "run the tests"
        assert any(note.startswith("◷ Scheduled prompt") and "every 10 minutes" in note for note in notes(app))
        assert "run the tests" in str(fake_model.requests[-1].json["messages"][-1]["content"])
        assert "next 10:22" in job_rows(app)[0]  # recurring: on to its next time


async def test_a_due_job_waits_for_the_running_turn_and_fires_after_it(project):
    agent = RecordedAgent(project)
    clock = FakeClock(START)
    agent.scheduler = Scheduler(clock)
    agent.hold_at = 1  # the first turn holds after TurnStarted
    app = ClawApp(project, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        await type_text(pilot, "long job", "enter")
        await asyncio.wait_for(agent.held.wait(), 5)
        agent.scheduler.create("1m", "check the deploy", recurring=False)
        await clock.advance(minutes=2)
        await pilot.pause(0.3)
        assert agent.prompts == ["long job"]  # due, but the prompt is busy
        agent.gate.set()
        await until(pilot, lambda: agent.prompts == ["long job", "check the deploy"])
        await settle(pilot)  # one-shot: gone, and the firing loop with it
        assert agent.scheduler.jobs() == [] and job_rows(app) == []


async def test_schedule_adds_lists_and_cancels(project):
    agent = RecordedAgent(project)
    agent.scheduler = Scheduler(FakeClock(START))
    app = ClawApp(project, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        await type_text(pilot, "/schedule every 15m check the CI", "enter")
        await type_text(pilot, '/schedule "30 17 * * 1-5" write the daily summary', "enter")
        await type_text(pilot, "/schedule in 2 hours stand up", "enter")
        await type_text(pilot, "/schedule 5 parsecs nonsense", "enter")
        await pilot.pause()
        ci, standup, summary = sorted(agent.scheduler.jobs(), key=lambda j: j.prompt)
        assert (ci.human, ci.recurring) == ("every 15 minutes", True)
        assert (summary.schedule, summary.prompt) == ("30 17 * * 1-5", "write the daily summary")
        assert (standup.human, standup.recurring) == ("every 2 hours", False)
        assert "/schedule: no interval or cron expression in '5 parsecs nonsense'" in notes(app)[-1]
        await type_text(pilot, "/schedule", "enter")
        await pilot.pause()
        listing = notes(app)[-1]
        assert listing.startswith("Scheduled prompts (3)")
        assert f"{ci.id}  every 15 minutes (recurring), next 10:17, expires 09 Mar 10:02: check the CI" in listing
        assert f"{standup.id}  every 2 hours (once), next 12:02: stand up" in listing
        await type_text(pilot, f"/schedule cancel {ci.id}", "enter")
        await type_text(pilot, "/schedule cancel nope", "enter")
        await pilot.pause()
        assert notes(app)[-2] == f"Cancelled {ci.id}."
        assert notes(app)[-1] == "/schedule: No scheduled job with id 'nope'."
        assert len(job_rows(app)) == 2
        await type_text(pilot, "/schedule cancel all", "enter")
        await settle(pilot)
        assert agent.scheduler.jobs() == [] and job_rows(app) == []
