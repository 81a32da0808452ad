"""`claw acp` driven through the official ACP Python SDK's client side, against the fake model server."""

from __future__ import annotations

import asyncio
import os
import sys

import acp
import pytest
from acp_client import RecordingClient, agent_env, claw_acp
from fake_model import Reply, Text, Thinking, ToolCall

TWO_HUNKS_BEFORE = "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\n"
TWO_HUNKS_AFTER = "ALPHA\nbeta\ngamma\ndelta\nepsilon\nzeta\nETA\n"


def edit_script(path: str, old: str, new: str) -> list[Reply]:
    return [
        Reply(parts=[Thinking("look first"), ToolCall("Read", {"file_path": path})]),
        Reply(parts=[ToolCall("Edit", {"file_path": path, "old_string": old, "new_string": new})]),
        Reply(parts=[Text("Done editing.")]),
    ]


async def test_edits_approved_rejected_and_reviewed_hunk_by_hunk(tmp_path, isolated_home, fake_model):
    """Three sessions on one connection: an edit allowed (tool calls with kinds, statuses, locations and a diff),
    one rejected (the file stays, the model is told), one reviewed per hunk (only the accepted hunk lands)."""
    project = tmp_path / "project"
    project.mkdir()
    target = project / "notes.txt"
    letters = project / "letters.txt"
    client = RecordingClient(choose=lambda options, call: "allow_once")
    async with claw_acp(client, agent_env(isolated_home, fake_model.base_url), project) as conn:
        caps = conn.initialized.agent_capabilities
        assert caps.load_session and caps.prompt_capabilities.image and caps.prompt_capabilities.embedded_context
        assert caps.mcp_capabilities.http and caps.mcp_capabilities.sse

        target.write_text("hello\n")
        fake_model.script(*edit_script(str(target), "hello", "hello, world"))
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        assert session.modes.current_mode_id == "default"
        assert {o.id for o in session.config_options} == {"mode", "model"}
        result = await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("fix the greeting")])
        assert result.stop_reason == "end_turn"
        assert target.read_text() == "hello, world\n"
        assert "Done editing." in client.message_text()
        assert "look first" in "".join(u.content.text for u in client.of_kind("agent_thought_chunk"))
        starts = client.of_kind("tool_call")
        assert [u.kind for u in starts] == ["read", "edit"]
        edit_id = starts[1].tool_call_id
        [request] = client.permission_requests
        assert request.tool_call.tool_call_id == edit_id
        assert {o.kind for o in request.options} == {"allow_once", "allow_always", "reject_once"}
        diff = request.tool_call.content[0]
        assert diff.type == "diff" and diff.path == str(target)
        assert (diff.old_text, diff.new_text) == ("hello\n", "hello, world\n")
        updates = client.tool_updates(edit_id)
        assert updates[1].title == f"Edit {target}" and updates[1].locations[0].path == str(target)
        assert [u.status for u in updates if u.status] == ["pending", "in_progress", "completed"]
        assert updates[-1].content[0].type == "diff"
        assert any(u.session_update == "available_commands_update" for u in client.updates)

        client.updates.clear()
        client.permission_requests.clear()
        client.choose = lambda options, call: "reject_once"
        fake_model.script(*edit_script(str(target), "hello, world", "goodbye"))
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        result = await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("change it")])
        assert result.stop_reason == "end_turn"
        assert target.read_text() == "hello, world\n"
        assert client.tool_updates(client.of_kind("tool_call")[1].tool_call_id)[-1].status == "failed"
        assert "The user rejected this call." in str(fake_model.requests[-1].json["messages"])

        client.permission_requests.clear()
        answers = iter(["review_hunks", "accept_hunk", "reject_hunk"])
        client.choose = lambda options, call: next(answers)
        letters.write_text(TWO_HUNKS_BEFORE)
        fake_model.script(
            Reply(parts=[ToolCall("Read", {"file_path": str(letters)})]),
            Reply(parts=[ToolCall("Write", {"file_path": str(letters), "content": TWO_HUNKS_AFTER})]),
            Reply(parts=[Text("ok")]),
        )
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("shout")])
    assert letters.read_text() == TWO_HUNKS_BEFORE.replace("alpha", "ALPHA")
    first, hunk1, hunk2 = client.permission_requests
    assert "review_hunks" in {o.option_id for o in first.options}
    always = next(o for o in first.options if o.option_id == "allow_always")  # as the app's approval words it
    assert always.name == f"Allow edits anywhere in {project} for this session (Edit(/**))"
    assert hunk1.tool_call.content[0].new_text == TWO_HUNKS_BEFORE.replace("alpha", "ALPHA")
    assert hunk2.tool_call.content[0].new_text == TWO_HUNKS_BEFORE.replace("\neta\n", "\nETA\n")
    assert "The user rejected hunk 2 of letters.txt (line 7)" in str(fake_model.requests[-1].json["messages"])


async def test_cancel_mid_stream_and_mid_command(tmp_path, isolated_home, fake_model):
    """session/cancel ends a streaming reply, then a running command (its process killed): stop reason cancelled."""
    project = tmp_path / "project"
    project.mkdir()
    pid_file = project / "pid"
    fake_model.script(
        Reply(parts=[Text("one two three four five six seven eight nine ten " * 20)], token_delay=0.05),
        Reply(parts=[ToolCall("Bash", {"command": f"echo $$ > {pid_file}; echo started; sleep 60"})]),
    )
    client = RecordingClient()
    async with claw_acp(client, agent_env(isolated_home, fake_model.base_url), project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        sid = session.session_id
        turn = asyncio.create_task(conn.prompt(session_id=sid, prompt=[acp.text_block("talk")]))
        while not client.of_kind("agent_message_chunk"):
            await asyncio.sleep(0.01)
        await conn.cancel(session_id=sid)
        assert (await turn).stop_reason == "cancelled"
        streamed = client.message_text()
        assert streamed and len(streamed) < len("one two three four five six seven eight nine ten " * 20)

        await conn.set_session_mode(session_id=sid, mode_id="bypassPermissions")
        turn = asyncio.create_task(conn.prompt(session_id=sid, prompt=[acp.text_block("run it")]))
        while not any("started" in str(u.content) for u in client.of_kind("tool_call_update") if u.content):
            await asyncio.sleep(0.01)
        await conn.cancel(session_id=sid)
        assert (await turn).stop_reason == "cancelled"
    call_id = client.of_kind("tool_call")[-1].tool_call_id
    assert client.tool_updates(call_id)[-1].status == "failed"
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # The kept transcript answers the cancelled call, so the next request is valid.
    assert len(fake_model.requests) == 2
    # And tells the model, as Claude Code does, that the reply before was cut by the user.
    after_cancel = fake_model.requests[1].json["messages"]
    assert after_cancel[-2]["role"] == "assistant" and after_cancel[-2]["content"][0]["text"].startswith(streamed)
    assert [b["text"] for b in after_cancel[-1]["content"]] == ["[Request interrupted by user]", "run it"]


async def test_a_stored_session_loads_with_its_history_replayed(tmp_path, isolated_home, fake_model):
    project = tmp_path / "project"
    project.mkdir()
    target = project / "notes.txt"
    target.write_text("hello\n")
    fake_model.script(*edit_script(str(target), "hello", "hi"), Reply(parts=[Text("Second answer.")]))
    env = agent_env(isolated_home, fake_model.base_url)
    first = RecordingClient(choose=lambda options, call: "allow_always")
    async with claw_acp(first, env, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("first prompt")])
        listed = await conn.list_sessions(cwd=str(project))
        assert session.session_id in [s.session_id for s in listed.sessions]
    sid = session.session_id

    second = RecordingClient()
    async with claw_acp(second, env, project) as conn:
        await conn.load_session(cwd=str(project), session_id=sid, mcp_servers=[])
        replayed = list(second.updates)
        await conn.prompt(session_id=sid, prompt=[acp.text_block("second prompt")])
    kinds = [u.session_update for u in replayed]
    assert kinds[0] == "user_message_chunk" and replayed[0].content.text == "first prompt"
    assert "Done editing." in "".join(u.content.text for u in replayed if u.session_update == "agent_message_chunk")
    edit = [u for u in replayed if u.session_update == "tool_call"][1]
    assert edit.title == f"Edit {target}" and edit.kind == "edit"
    edit_result = [u for u in replayed if getattr(u, "tool_call_id", None) == edit.tool_call_id][-1]
    assert edit_result.status == "completed" and edit_result.content[0].new_text == "hi\n"
    # The model sees the stored history; the store has both turns, as `claw sessions` shows it.
    assert "first prompt" in str(fake_model.requests[-1].json["messages"])
    from claw_tui.engine.sessions import SessionStore

    with SessionStore.open(isolated_home / "data" / "sessions.db") as store:
        assert [m.text for m in store.messages(sid) if m.role == "user" and m.text] == ["first prompt", "second prompt"]


async def test_file_tools_go_through_the_editors_buffers(tmp_path, isolated_home, fake_model):
    project = tmp_path / "project"
    project.mkdir()
    target = project / "draft.py"
    target.write_text("saved = 1\n")
    buffers = {str(target): "unsaved = 2\n"}
    fake_model.script(*edit_script(str(target), "unsaved = 2", "unsaved = 3"))
    client = RecordingClient(choose=lambda options, call: "allow_once", buffers=buffers)
    async with claw_acp(client, agent_env(isolated_home, fake_model.base_url), project, fs=True) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("bump it")])
    assert "unsaved = 2" in str(fake_model.requests[1].json["messages"])
    assert client.written == {str(target): "unsaved = 3\n"}
    assert target.read_text() == "saved = 1\n"  # the editor decides when to save


async def test_model_option_a_question_a_skill_and_the_clients_mcp_server(tmp_path, isolated_home, fake_model):
    """The model chosen as a session option is the one called; AskUserQuestion is answered in the client; a skill
    runs as a slash command; the client's MCP server's tools reach the model."""
    project = tmp_path / "project"
    skill = project / ".claude" / "skills" / "greet"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: greet\ndescription: Greets people\n---\nSay hello to $ARGUMENTS.\n")
    question = {"question": "Which colour?", "header": "Colour", "options": [
        {"label": "Red", "description": "warm"}, {"label": "Blue", "description": "cool"}]}
    fake_model.script(
        Reply(parts=[ToolCall("AskUserQuestion", {"questions": [question]})]),
        Reply(parts=[Text("Blue it is.")]),
        Reply(parts=[Text("Hello, Ada!")]),
    )
    client = RecordingClient(choose=lambda options, call: next(o.option_id for o in options if o.name == "Blue"))
    time_server = acp.schema.McpServerStdio(name="clock", command=sys.executable, args=["-m", "mcp_server_time"], env=[])
    async with claw_acp(client, agent_env(isolated_home, fake_model.base_url), project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[time_server])
        sid = session.session_id
        options = await conn.set_config_option(config_id="model", session_id=sid, value="anthropic/claude-opus-4-6")
        assert next(o for o in options.config_options if o.id == "model").current_value == "anthropic/claude-opus-4-6"
        await conn.prompt(session_id=sid, prompt=[acp.text_block("pick a colour")])
        await conn.prompt(session_id=sid, prompt=[acp.text_block("/greet Ada")])
    first, _, third = (r.json for r in fake_model.requests)
    assert first["model"] == "claude-opus-4-6"
    assert "mcp__clock__get_current_time" in {t["name"] for t in first["tools"]}
    [asked] = client.permission_requests
    assert asked.tool_call.title == "Which colour?" and [o.name for o in asked.options][:2] == ["Red", "Blue"]
    assert '"Which colour?"="Blue"' in str(fake_model.requests[1].json["messages"])
    assert "Say hello to Ada." in str(third["messages"][-1])
    commands = next(u for u in client.updates if u.session_update == "available_commands_update").available_commands
    assert {"compact", "greet"} <= {c.name for c in commands}


async def test_without_a_key_the_client_is_told_which_variable_to_set(tmp_path, isolated_home):
    project = tmp_path / "project"
    project.mkdir()
    client = RecordingClient()
    async with claw_acp(client, agent_env(isolated_home, None), project) as conn:
        with pytest.raises(acp.RequestError) as caught:
            await conn.new_session(cwd=str(project), mcp_servers=[])
    assert caught.value.code == -32000 and "ANTHROPIC_API_KEY" in str(caught.value)


async def test_commands_run_in_the_clients_terminal_when_not_sandboxed(tmp_path, isolated_home, fake_model):
    """With the sandbox off, Bash runs in the client's terminal: shown there, its output returned to the model,
    its directory and exports carried to the next command, claw's key kept out of its environment."""
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "echo hi from the editor; export FOO=bar; cd sub"})]),
        Reply(parts=[ToolCall("Bash", {"command": 'echo "$FOO in $(pwd) key=[$ANTHROPIC_API_KEY]"'})]),
        Reply(parts=[Text("ok")]),
    )
    client = RecordingClient()
    env = agent_env(isolated_home, fake_model.base_url, CLAW_PERMISSIONS__MODE="bypassPermissions")
    async with claw_acp(client, env, project, terminal=True) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("run things")])
    assert len(client.terminals) == 2 and all(t["released"] for t in client.terminals.values())
    first_call = client.of_kind("tool_call")[0].tool_call_id
    shown = [c for u in client.tool_updates(first_call) for c in (u.content or []) if c.type == "terminal"]
    assert [c.terminal_id for c in shown] == ["term_1"]
    sent = str(fake_model.requests[1].json["messages"]) + str(fake_model.requests[2].json["messages"])
    assert "hi from the editor" in sent
    assert f"bar in {project / 'sub'} key=[]" in sent


async def test_a_session_resumed_forked_and_closed(tmp_path, isolated_home, fake_model):
    """session/resume goes on without replaying; session/fork is a new stored copy that goes on apart;
    session/close ends a session (a prompt to it is refused)."""
    from claw_tui.engine.sessions import SessionStore

    project = tmp_path / "project"
    project.mkdir()
    fake_model.script(*(Reply(parts=[Text(answer)]) for answer in ("One.", "Two.", "Three.")))
    env = agent_env(isolated_home, fake_model.base_url)
    async with claw_acp(RecordingClient(), env, project) as conn:
        sid = (await conn.new_session(cwd=str(project), mcp_servers=[])).session_id
        await conn.prompt(session_id=sid, prompt=[acp.text_block("first")])
        await conn.close_session(session_id=sid)
        with pytest.raises(acp.RequestError):
            await conn.prompt(session_id=sid, prompt=[acp.text_block("closed")])
    client = RecordingClient()
    async with claw_acp(client, env, project) as conn:
        await conn.resume_session(cwd=str(project), session_id=sid, mcp_servers=[])
        assert not [u for u in client.updates if u.session_update == "user_message_chunk"]  # nothing replayed
        await conn.prompt(session_id=sid, prompt=[acp.text_block("second")])
        fork = (await conn.fork_session(cwd=str(project), session_id=sid, mcp_servers=[])).session_id
        await conn.prompt(session_id=fork, prompt=[acp.text_block("third, in the fork")])
    assert fork != sid
    with SessionStore.open(isolated_home / "data" / "sessions.db") as store:
        def prompts(session_id: str) -> list[str]:
            return [m.text for m in store.messages(session_id) if m.role == "user" and m.text]

        assert prompts(sid) == ["first", "second"]
        assert prompts(fork) == ["first", "second", "third, in the fork"]


async def test_an_mcp_server_over_acp_is_refused_by_name(tmp_path, isolated_home, fake_model):
    """claw does not offer MCP over ACP (initialize says so); a client sending one is told which and why."""
    project = tmp_path / "project"
    project.mkdir()
    async with claw_acp(RecordingClient(), agent_env(isolated_home, fake_model.base_url), project) as conn:
        assert not conn.initialized.agent_capabilities.mcp_capabilities.acp
        server = acp.schema.AcpMcpServer(type="acp", name="editor-tools", server_id="s1")
        with pytest.raises(acp.RequestError) as caught:
            await conn.new_session(cwd=str(project), mcp_servers=[server])
    assert "MCP server editor-tools: claw does not take MCP over ACP" in str(caught.value.data or caught.value)
