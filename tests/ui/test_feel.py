"""How fast the app feels: what the first prompt waits for at start (bench/bench_feel.py measures it)."""

from __future__ import annotations

from claw_tui.core import background_imports
from claw_tui.ui.widgets import markdown_view

PROVIDER_BUILD = "Agent._make_provider.<locals>.make"


async def test_the_models_client_is_built_before_the_warm_ups_on_the_import_thread(project, fake_model, app_for, monkeypatch):
    """The import thread runs its work in order and the first prompt waits for the model's client:
    at start the client is queued first, the Markdown and diff warm-ups after it, not before."""
    queued: list[str] = []
    run, start = background_imports.run, background_imports.start

    def recording_start(name):
        queued.append(f"import {name}")
        return start(name)

    def recording_run(work):
        if work.__qualname__ != "start.<locals>.<lambda>":  # start() names its own
            queued.append(work.__qualname__ if work.__module__ != markdown_view.__name__ else "markdown warm_up")
        return run(work)

    monkeypatch.setattr(background_imports, "_imports", {})  # as in a fresh process
    monkeypatch.setattr(background_imports, "start", recording_start)
    monkeypatch.setattr(background_imports, "run", recording_run)
    app = app_for()
    async with app.run_test() as pilot:
        while not {"markdown warm_up", PROVIDER_BUILD} <= set(queued):
            await pilot.pause(0.01)
    run(lambda: None).result(60)  # what this app queued has run before the next test resets the imports
    build = queued.index(PROVIDER_BUILD)
    assert queued.index("import claw_tui.providers.registry") < build, queued
    assert build < queued.index("warm_up") and build < queued.index(f"import {markdown_view.RENDERER}"), queued


async def test_the_start_up_imports_wait_for_the_first_whole_frame(project, fake_model, app_for, monkeypatch):
    """The import thread competes with drawing for the interpreter: it starts once the first whole
    frame has gone to the terminal. (Textual lays the first frame out inside a batch and never writes
    it: "after the first refresh" came before anything was on screen, and slowed that by ~0.15 s.)"""
    from textual._compositor import LayoutUpdate

    from claw_tui.ui.app import ClawApp

    events: list[str] = []
    run, display = background_imports.run, ClawApp._display

    def recording_run(work):
        events.append("background work")
        return run(work)

    def recording_display(app, screen, renderable):
        if isinstance(renderable, LayoutUpdate) and not app._batch_count:
            events.append("whole frame written")
        return display(app, screen, renderable)

    monkeypatch.setattr(background_imports, "_imports", {})  # as in a fresh process
    monkeypatch.setattr(background_imports, "run", recording_run)
    monkeypatch.setattr(ClawApp, "_display", recording_display)
    app = app_for()
    async with app.run_test() as pilot:
        while "background work" not in events:
            await pilot.pause(0.01)
    run(lambda: None).result(60)  # what this app queued has run before the next test resets the imports
    assert events[0] == "whole frame written", events


async def test_the_first_approval_does_not_restyle_the_whole_app(project, fake_model, app_for, monkeypatch):
    """A screen whose CSS is new to the app has Textual parse every style sheet again and restyle every
    widget when it is first pushed (~50 ms before the first edit's approval shows): the approval's CSS
    is read with the app's at start."""
    from snapshots.pane_harness import write_request
    from textual.css.stylesheet import Stylesheet

    from claw_tui.ui.screens.approval import ApprovalScreen

    reparsed: list[str] = []
    reparse = Stylesheet.reparse

    def counting_reparse(stylesheet):
        reparsed.append(type(app.screen).__name__)
        return reparse(stylesheet)

    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(Stylesheet, "reparse", counting_reparse)
        await app.push_screen(ApprovalScreen(write_request()))
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen)
    assert reparsed == []
