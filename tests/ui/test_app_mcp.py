"""MCP in the TUI: a real stdio MCP server (tests/mcp/servers/demo.py) and a real Agent against the fake model.

The app starts the servers in a worker after mount; `settle` waits for that worker, which ends once
every server has connected or failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fake_model import Reply, Text, ToolCall
from keyboard import type_text
from recorded_turns import settle
from textual.command import CommandPalette
from textual.widgets import OptionList

from claw_tui.config import load_config, user_config_dir
from claw_tui.ui.app import ClawApp
from claw_tui.ui.screens.main import MainScreen
from claw_tui.ui.screens.mcp import McpScreen, ServerTable
from claw_tui.ui.widgets.conversation import NoteBlock, UserPrompt
from claw_tui.ui.widgets.prompt import CompletionMenu

DEMO = Path(__file__).parents[1] / "mcp" / "servers" / "demo.py"
DEMO_TOOLS = 7  # echo, add, picture, huge, hang, crash_once, grow


def declare_servers(servers: dict[str, dict]) -> None:
    """User-scope servers (the user's own file: no trust needed)."""
    path = user_config_dir() / "mcp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}))


def demo_server() -> dict:
    return {"command": sys.executable, "args": [str(DEMO)]}



def main(app: ClawApp) -> MainScreen:
    return app.main_screen


def notes(app: ClawApp) -> list[str]:
    return [str(n.render()) for n in main(app).query(NoteBlock)]


def user_blocks(request) -> list[str]:
    """The texts of the first request's last user message, block by block."""
    content = request.json["messages"][-1]["content"]
    return [content] if isinstance(content, str) else [b.get("text", f"<{b['type']}>") for b in content]


async def test_mcp_screen_shows_the_server_connected_with_its_tools(app_for):
    declare_servers({"srv": demo_server()})
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.agent is not None, app.agent_error
        assert not notes(app), "a server that connects needs no note"
        await type_text(pilot, "/mcp", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, McpScreen)
        row = [str(cell) for cell in screen.query_one(ServerTable).get_row("srv")]
        assert row[:4] == ["srv", "stdio", "user", "● connected"]
        assert row[4].strip() == str(DEMO_TOOLS)
        assert "mcp__srv__echo" in app.agent.tools, "the server's tools reach the model"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_mcp_screen_without_servers_shows_how_to_add_one(app_for):
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_text(pilot, "/mcp", "enter")
        await settle(pilot)
        assert isinstance(app.screen, McpScreen)
        assert app.screen.has_class("-empty")
        assert "No MCP servers are configured." in str(app.screen.query_one("#mcp-empty").render())


async def test_a_broken_config_file_is_a_note_and_a_failing_server_is_named(project, app_for):
    (project / ".mcp.json").write_text("{not json")
    app = app_for()
    async with app.run_test() as pilot:
        await settle(pilot)
        (note,) = notes(app)
        assert note.startswith("MCP servers not started: ") and ".mcp.json" in note
        await type_text(pilot, "/mcp", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen), "no server list that would claim none is configured"
        assert notes(app)[-1] == f"{note}. Fix the file and start claw again."

    (project / ".mcp.json").unlink()
    declare_servers({"srv": demo_server(), "gone": {"command": str(project / "no-such-server")}})
    app = app_for()
    async with app.run_test() as pilot:
        await settle(pilot)
        assert notes(app) == ["MCP: gone failed to start. /mcp shows the details."]


async def test_an_at_mention_completes_and_attaches_the_resource(app_for, fake_model):
    declare_servers({"srv": demo_server()})
    fake_model.script(Reply(parts=[Text("It says hello.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main(app)
        await type_text(pilot, "what does @srv:demo://r")
        await settle(pilot)
        menu = screen.query_one(CompletionMenu)
        assert menu.is_open
        assert [c.insert for c in menu.completions] == ["@srv:demo://readme "]
        await pilot.press("tab")
        assert screen.prompt.text == "what does @srv:demo://readme "
        await type_text(pilot, "say?", "enter")
        await settle(pilot)
        blocks = user_blocks(fake_model.requests[0])
        assert blocks[0] == "what does @srv:demo://readme say?"
        assert blocks[1] == "Attached MCP resource @srv:demo://readme:"
        assert "# Demo\nHello from the demo server." in blocks[2]
        assert screen.query(UserPrompt).last().text == "what does @srv:demo://readme say?"
        assert notes(app) == ["Attached @srv:demo://readme to the prompt."]


async def test_an_unreadable_mention_is_a_note_and_the_prompt_still_goes(app_for, fake_model):
    declare_servers({"srv": demo_server()})
    fake_model.script(Reply(parts=[Text("No such file.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_text(pilot, "read @srv:demo://missing please", "enter")
        await settle(pilot)
        (note,) = notes(app)
        assert note.startswith("@srv:demo://missing was not attached: MCP server 'srv' refused resource")
        assert user_blocks(fake_model.requests[0]) == ["read @srv:demo://missing please"]


async def test_a_server_prompt_is_a_slash_command(app_for, fake_model):
    declare_servers({"srv": demo_server()})
    fake_model.script(Reply(parts=[Text("Looks fine.")]), Reply(parts=[Text("Still fine.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main(app)
        await type_text(pilot, "/srv")
        menu = screen.query_one(CompletionMenu)
        assert [str(o.prompt) for o in menu.options] == [
            "/srv:review <code> [language]  Review some code (MCP prompt from srv)"
        ]
        await pilot.press("enter")  # it needs an argument: Enter completes instead of running it
        assert screen.prompt.text == "/srv:review "
        await type_text(pilot, "print(1) rust", "enter")
        await settle(pilot)
        assert user_blocks(fake_model.requests[0]) == ["Review this rust code:\nprint(1)", "I will look at it."]
        assert screen.query(UserPrompt).last().text == "/srv:review print(1) rust"

        await type_text(pilot, "/srv:review", "space")
        await type_text(pilot, 'language=go "x := 1"', "enter")
        await settle(pilot)
        assert user_blocks(fake_model.requests[1])[0] == "Review this go code:\nx := 1"

        await type_text(pilot, "/srv:review", "space", "enter")
        await settle(pilot)
        assert notes(app)[-1] == "/srv:review: missing code. Usage: /srv:review <code> [language]"
        assert len(fake_model.requests) == 2, "nothing is sent without the required argument"

        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "review")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("/srv:review") for p in prompts), prompts


async def test_the_model_calls_an_mcp_tool_and_it_shows_in_the_tool_log(app_for, fake_model):
    declare_servers({"srv": demo_server()})
    fake_model.script(
        Reply(parts=[ToolCall("mcp__srv__echo", {"text": "over stdio"})]),
        Reply(parts=[Text("The server echoed it.")]),
    )
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_text(pilot, "echo something", "enter")
        await settle(pilot)
        log = main(app).tool_log
        (record,) = log.calls.values()
        assert record.name == "mcp__srv__echo" and record.status == "done"
        assert record.output == "echo: over stdio"
        row = str(log.option_list.get_option_at_index(0).prompt)
        assert row.startswith("✓ mcp__srv__echo srv:echo") and '"over stdio"' in row
        sent = fake_model.requests[1].json["messages"][-1]["content"]
        assert "echo: over stdio" in str(sent)


def test_prompt_arguments_map_by_position_by_name_and_the_last_takes_the_rest():
    from claw_tui.mcp import PromptEntry
    from claw_tui.mcp.prompts import PromptArgumentError, map_arguments

    review = PromptEntry("srv", "review", None, (("code", True, None), ("language", False, None)))
    assert map_arguments(review, "x rust") == {"code": "x", "language": "rust"}
    assert map_arguments(review, "language=go 'a b'") == {"language": "go", "code": "a b"}
    assert map_arguments(review, "x rust extra words") == {"code": "x", "language": "rust extra words"}
    assert map_arguments(review, "x=1") == {"code": "x=1"}, "a word naming no argument is positional"
    with pytest.raises(PromptArgumentError, match=r"missing code\. Usage: /srv:review <code> \[language\]"):
        map_arguments(review, "language=go")
    bare = PromptEntry("srv", "hello", None, ())
    assert map_arguments(bare, "") == {}
    with pytest.raises(PromptArgumentError, match="too many arguments. Usage: /srv:hello"):
        map_arguments(bare, "surprise")


async def test_mcp_config_files_from_the_command_line_start_in_the_app(project, fake_model, monkeypatch, tmp_path):
    """`claw --mcp-config FILE --strict-mcp-config`: only that file's servers, none of the user's."""
    declare_servers({"mine": demo_server()})
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"mcpServers": {"flagged": demo_server()}}))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)
    app = ClawApp(project, config=load_config(project, flags={"sandbox": {"enabled": False}}),
                  mcp_config=[str(extra)], strict_mcp_config=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        manager = main(app).mcp_manager
        assert manager is not None
        assert [(s.name, s.status) for s in manager.statuses()] == [("flagged", "connected")]
