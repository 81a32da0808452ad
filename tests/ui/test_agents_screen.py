"""The /agents screen driven with Pilot over real agent files in a project directory."""

from __future__ import annotations

from keyboard import type_text
from snapshots.mcp_agents_harness import REVIEWER_PROMPT, agents_app
from snapshots.sessions_harness import HostApp, settle
from textual.widgets import Input, TextArea

from claw_tui.engine.agent_defs import find_agent, list_agents, load_agent_file
from claw_tui.ui.screens.agents import AgentEditor, AgentForm, AgentsScreen, AgentTable

SIZE = (150, 40)


def rows(app: HostApp) -> dict[str, list[str]]:
    table = app.screen.query_one(AgentTable)
    return {
        str(row.key.value): [str(cell).strip() for cell in table.get_row(row.key)] for row in table.ordered_rows
    }


def preview(app: HostApp) -> str:
    return str(app.screen.query_one("#agents-preview-text").render())


def status_line(app: HostApp) -> str:
    return str(app.screen.query_one("#agents-status").render())


async def select(pilot, name: str) -> None:
    table = pilot.app.screen.query_one(AgentTable)
    table.move_cursor(row=table.get_row_index(name), animate=False)
    await settle(pilot)
    assert pilot.app.screen.selected == name


async def test_lists_built_in_and_custom_agents_and_the_broken_files():
    app, _project = agents_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = rows(app)
        assert list(shown) == ["general-purpose", "Explore", "doc-writer", "code-reviewer"]
        assert shown["general-purpose"][1:4] == ["built-in", "inherit", "all"]
        assert shown["Explore"][3].startswith("Read, Glob, Grep")
        assert shown["doc-writer"][1:4] == [".claude/agents", "inherit", "all"]
        assert shown["code-reviewer"][1:4] == [".claw/agents", "sonnet", "Read, Grep, Glob, Bash"]
        assert shown["code-reviewer"][4].startswith("Reviews a chang")
        assert str(app.screen.query_one("#agents-count").render()) == "2 built-in · 2 custom"

        problems = str(app.screen.query_one("#agents-problems").render())
        assert "1 agent file could not be used:" in problems
        assert "~/project/.claw/agents/half-done.md: the frontmatter needs both 'name' and 'description'" in problems

        # The preview follows the cursor: description, tools, model and the whole system prompt.
        assert "You are a subagent of claw" in preview(app)
        assert app.screen.query_one("#agents-preview").border_subtitle == "built-in · read-only"
        await select(pilot, "code-reviewer")
        text = preview(app)
        assert "Reviews a change for bugs, naming and missing tests" in text
        assert "Read, Grep, Glob, Bash" in text and "sonnet" in text
        assert REVIEWER_PROMPT in text
        pane = app.screen.query_one("#agents-preview")
        assert pane.border_title == "code-reviewer"
        assert pane.border_subtitle == "~/project/.claw/agents/code-reviewer.md"

        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None]


async def test_built_in_agents_are_read_only():
    app, _ = agents_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.selected == "general-purpose"
        shown = {b.binding.description: b.enabled for b in app.screen.active_bindings.values()}
        assert shown["edit"] is False  # dimmed in the footer
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        assert "“general-purpose” is built in and read-only" in status_line(app)


async def test_new_agent_form_saves_a_file_the_agent_tool_loads():
    app, project = agents_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AgentForm)
        await type_text(pilot, "test-runner", "tab")
        await type_text(pilot, "Runs the test suite and reports failures.", "tab")
        await type_text(pilot, "Bash, Read", "tab")
        await type_text(pilot, "haiku", "tab")
        await type_text(pilot, "Run the tests with pytest -q.", "enter")
        await type_text(pilot, "Report each failure as path:line.")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, AgentsScreen)
        path = project / ".claw" / "agents" / "test-runner.md"
        agent = load_agent_file(path)
        assert agent.description == "Runs the test suite and reports failures."
        assert agent.tools == ("Bash", "Read") and agent.model == "haiku"
        assert agent.system_prompt == "Run the tests with pytest -q.\nReport each failure as path:line."
        # The Agent tool sees it, restricted to its tools.
        runner = find_agent(list_agents(project), "test-runner")
        assert runner.allows("Bash") and not runner.allows("Write")

        assert app.screen.selected == "test-runner"
        assert rows(app)["test-runner"][1:4] == [".claw/agents", "haiku", "Bash, Read"]
        assert status_line(app) == (
            "Saved ~/project/.claw/agents/test-runner.md; the Agent tool can use “test-runner” now."
        )


async def test_new_agent_form_refuses_what_would_not_load():
    app, project = agents_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AgentForm)

        def error() -> str:
            return str(form.query_one("#form-error").render())

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error().startswith("Give the agent a name")

        await type_text(pilot, "bad name", "ctrl+s")
        await settle(pilot)
        assert error() == "the frontmatter needs both 'name' and 'description'"

        form.query_one("#form-description", Input).focus()
        await type_text(pilot, "Does things.", "ctrl+s")
        await settle(pilot)
        assert error() == "name 'bad name' may hold only letters, digits, '-', '_' and '.'"

        name = form.query_one("#form-name", Input)
        name.value = ""
        name.focus()
        await type_text(pilot, "code-reviewer", "ctrl+s")
        await settle(pilot)
        assert error() == "the body (the agent's system prompt) is empty"

        form.query_one("#form-body", TextArea).focus()
        await type_text(pilot, "Review.", "ctrl+s")
        await settle(pilot)
        assert error() == (
            "~/project/.claw/agents/code-reviewer.md exists already: pick it in the list and press e to edit it."
        )
        assert load_agent_file(project / ".claw" / "agents" / "code-reviewer.md").system_prompt == REVIEWER_PROMPT

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        assert sorted(p.name for p in (project / ".claw" / "agents").iterdir()) == [
            "code-reviewer.md",
            "half-done.md",
        ]


async def test_edit_a_custom_agent_in_place():
    app, project = agents_app()
    path = project / ".claw" / "agents" / "code-reviewer.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "code-reviewer")
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, AgentEditor)
        area = editor.query_one(TextArea)
        assert area.text == path.read_text()
        area.move_cursor(area.document.end)
        await pilot.press("enter")
        await type_text(pilot, "Never approve a change without tests.")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, AgentsScreen)
        assert load_agent_file(path).system_prompt.endswith("Never approve a change without tests.")
        assert "Never approve a change without tests." in preview(app)
        assert status_line(app) == "Saved ~/project/.claw/agents/code-reviewer.md."
        assert app.screen.selected == "code-reviewer"


async def test_editor_refuses_a_broken_file_and_asks_before_discarding():
    app, project = agents_app()
    path = project / ".claw" / "agents" / "code-reviewer.md"
    before = path.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "code-reviewer")
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, AgentEditor)
        area = editor.query_one(TextArea)
        # Delete the description line: select it with the keyboard and cut it.
        area.move_cursor((2, 0))
        await pilot.press("shift+down", "delete")
        assert "description:" not in area.text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AgentEditor)
        error = str(editor.query_one("#editor-error").render())
        assert error == "Not saved: the frontmatter needs both 'name' and 'description'"
        assert path.read_text() == before

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AgentEditor)
        assert "Unsaved changes" in str(editor.query_one("#editor-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        assert path.read_text() == before


async def test_a_project_without_agent_files_shows_the_built_ins():
    app, _ = agents_app(with_files=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert list(rows(app)) == ["general-purpose", "Explore"]
        assert not app.screen.query_one("#agents-problems").display
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "solo", "tab")
        await type_text(pilot, "A lone agent.", "tab", "tab", "tab")
        await type_text(pilot, "Work alone.", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        assert list(rows(app)) == ["general-purpose", "Explore", "solo"]
        assert rows(app)["solo"][1:4] == [".claw/agents", "inherit", "all"]
